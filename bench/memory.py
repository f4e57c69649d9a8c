"""Peak memory of the commands that read every case or event (issue 14, goal 5: < 150 MB).

The commands of the goal: ``stats``, ``report`` (daily, weekly, monthly),
``export`` (cases as CSV and JSON Lines, events as JSON Lines and CSV) and
``list --format csv``. ``--cmd`` runs another install (e.g. main's) on the same
store: both must share the cache format, or each run rebuilds the other's cache.

On a store built by ``bench/make_store.py`` (1M events), each command runs in a
fresh process whose own peak RSS is read from ``wait4`` (``ru_maxrss``), with its
wall time and the time to its first line of output (streamed output shows at
once). The read-model cache is brought up to date by one untimed ``report daily``
first, so every figure is the command's own work.

    .venv/bin/python bench/make_store.py /tmp/bench-speed/big1m --events 1000000
    .venv/bin/python bench/memory.py /tmp/bench-speed/big1m
"""

from __future__ import annotations

import argparse
import os
import platform
import subprocess
import sys
import time
from pathlib import Path

COMMANDS = {
    "stats": ["stats", "--json"],
    "report daily": ["report", "daily", "--json"],
    "report weekly": ["report", "weekly", "--json"],
    "report weekly --week last": ["report", "weekly", "--week", "last", "--json"],
    "report monthly": ["report", "monthly", "--json"],
    "report monthly --month last": ["report", "monthly", "--month", "last", "--json"],
    "list --format csv": ["list", "--format", "csv"],
    "export --format csv": ["export", "--format", "csv"],
    "export --format jsonl": ["export", "--format", "jsonl"],
    "export --what events --format jsonl": ["export", "--what", "events", "--format", "jsonl"],
    "export --what events --format csv": ["export", "--what", "events", "--format", "csv"],
}


def measure(argv: list[str], env: dict[str, str]) -> tuple[float, float | None, int, int]:
    """(wall s, s to the first byte of stdout, peak RSS KB, bytes written)."""
    t = time.perf_counter()
    proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=env)
    assert proc.stdout is not None
    first: float | None = None
    size = 0
    while chunk := proc.stdout.read1(1 << 16):
        if first is None:
            first = time.perf_counter() - t
        size += len(chunk)
    _pid, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(argv[3:])} exited {proc.returncode}")
    return time.perf_counter() - t, first, usage.ru_maxrss, size


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("store", type=Path)
    ap.add_argument("--cmd", default=str(Path(sys.executable).with_name("complaintctl")))
    ap.add_argument("--only", help="comma-separated names of COMMANDS")
    args = ap.parse_args()
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env["COMPLAINTCTL_LANG"] = "en"
    base = [args.cmd, "--store", str(args.store), "--actor", "陈总"]
    wall, _f, rss, _n = measure([*base, "report", "daily", "--json"], env)
    print(f"cache brought up to date: {wall:.1f} s, peak {rss / 1024:.0f} MB", file=sys.stderr)
    wanted = args.only.split(",") if args.only else list(COMMANDS)
    with open(args.store / "events.jsonl", "rb") as f:
        events = sum(1 for _ in f)
    print(
        f"machine: {platform.machine()}, {os.cpu_count()} cpus, Python"
        f" {platform.python_version()}, load {os.getloadavg()[0]:.1f}; {events:,} events"
    )
    print("| command | peak RSS MB | wall s | first output s | output MB |")
    print("|---|---:|---:|---:|---:|")
    for name in wanted:
        wall, first, rss, size = measure([*base, *COMMANDS[name]], env)
        shown = f"{first:.2f}" if first is not None else "-"
        print(f"| `{name}` | {rss / 1024:.0f} | {wall:.1f} | {shown} | {size / 1e6:.0f} |")
        sys.stdout.flush()


if __name__ == "__main__":
    main()
