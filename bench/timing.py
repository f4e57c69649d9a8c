"""What the bench scripts time with and record, in one place.

- :func:`machine`: the machine and the moment a figure was measured on
  (BENCHMARKS.md gives every figure with them);
- :func:`run_cli`: one command in a fresh process, as a user or cron runs it,
  timed by the wall clock.

The scripts are run as ``python bench/NAME.py``, so ``from timing import ...``
finds this module beside them.
"""

from __future__ import annotations

import os
import platform
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any


def _cpu() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine() or "unknown"


def _memory() -> str:
    try:
        out = subprocess.run(["free", "-h"], capture_output=True, text=True, check=False).stdout
    except OSError:
        return "?"
    return next((ln.split()[1] for ln in out.splitlines() if ln.startswith("Mem:")), "?")


def machine() -> dict[str, Any]:
    """Date (UTC), host, CPU, cores, memory, Python, kernel and the load before measuring."""
    return {
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "host": platform.node(),
        "cpu": _cpu(),
        "nproc": os.cpu_count(),
        "memory": _memory(),
        "python": platform.python_version(),
        "kernel": platform.release(),
        "load_before": [round(x, 2) for x in os.getloadavg()],
    }


def cli_env(extra: dict[str, str] | None = None) -> dict[str, str]:
    """The environment of a measured command: none of the caller's COMPLAINTCTL_ settings."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("COMPLAINTCTL_")}
    env["COMPLAINTCTL_LANG"] = "en"
    return env | (extra or {})


def run_cli(store: Path, *args: str, actor: str, check: bool = True) -> tuple[float, str]:
    """Run one command in a fresh process: (wall seconds, stdout); a failure stops the bench."""
    cmd = [sys.executable, "-m", "complaintctl", "--store", str(store), "--actor", actor, *args]
    started = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, env=cli_env(), check=False)
    took = time.perf_counter() - started
    if check and proc.returncode != 0:
        raise SystemExit(f"{' '.join(args)} failed ({proc.returncode}): {proc.stderr.decode()}")
    return took, proc.stdout.decode()
