"""The soak script still works: a short run on the file store passes its own checks.

``bench/soak.py`` is run as a user runs it (a subprocess, real CLI processes,
real SIGKILLs); its figures for BENCHMARKS.md come from the long run. It
takes about 15 s (17 s with the machine's 2 cores at load average 6), so it
stays in the default suite.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

SOAK = Path(__file__).resolve().parent.parent / "bench" / "soak.py"


def test_short_soak_on_the_file_store(tmp_path: Path) -> None:
    argv = [sys.executable, str(SOAK), "--seconds", "8", "--writers", "3", "--sample", "3"]
    r = subprocess.run(
        [*argv, "--dir", str(tmp_path), "--json"],
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    try:
        result = json.loads(r.stdout)
    except ValueError:
        raise AssertionError((r.returncode, r.stdout[-3000:], r.stderr[-3000:])) from None
    # The checks that failed, with their details, say more than the exit code.
    assert [c for c in result["checks"] if not c["ok"]] == []
    assert r.returncode == 0 and result["ok"] is True, r.stderr[-3000:]
    figures = result["figures"]
    assert figures["acknowledged writes found"] == figures["acknowledged writes"] > 0
    assert {c["check"] for c in result["checks"] if c["ok"]} >= {
        "verify exits 0",
        "refs gapless",
        "log positions 1..N, each once",
    }
    assert list(tmp_path.iterdir()) == []  # the temporary store is gone
