"""The soak script still works: a short run on the file store passes its own checks.

``bench/soak.py`` is run as a user runs it (a subprocess, real CLI processes,
real SIGKILLs); its figures for BENCHMARKS.md come from the long run. Here
every writer runs a fixed number of commands (``--commands``, no deadline),
so a slow or busy machine does the same work as a fast one, only later; the
test asserts on what was checked, not on how much got done in a time.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

SOAK = Path(__file__).resolve().parent.parent / "bench" / "soak.py"
WRITERS, COMMANDS = 3, 8


def test_short_soak_on_the_file_store(tmp_path: Path) -> None:
    argv = [sys.executable, str(SOAK), "--commands", str(COMMANDS), "--writers", str(WRITERS)]
    r = subprocess.run(
        [*argv, "--sample", "3", "--seed", "7", "--dir", str(tmp_path), "--json"],
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )
    try:
        result = json.loads(r.stdout)
    except ValueError:
        raise AssertionError((r.returncode, r.stdout[-3000:], r.stderr[-3000:])) from None
    # The checks that failed, with their details, say more than the exit code.
    assert [c for c in result["checks"] if not c["ok"]] == []
    assert r.returncode == 0 and result["ok"] is True, r.stderr[-3000:]
    assert result["commands"] == WRITERS * COMMANDS  # every command ran, none cut by a clock
    figures = result["figures"]
    assert figures["acknowledged writes found"] == figures["acknowledged writes"]
    assert {c["check"] for c in result["checks"]} >= {
        "verify exits 0",
        "refs gapless",
        "log positions 1..N, each once",
        "a write after the soak succeeds",
        "the write after the soak found",
        "exit codes only 0, 5, 7 or killed",
        "acknowledged new found",
        "acknowledged note found",
    }
    assert list(tmp_path.iterdir()) == []  # the temporary store is gone
