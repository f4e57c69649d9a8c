"""Many processes reading while the read-model cache is rebuilt (found by the soak).

After a torn tail is set aside, every reader finds the cache stale at once
and rebuilds it. One rebuild replaced the cache file and deleted its WAL
files under another process that had the old one open: ``list`` exited 1
with SQLite's "disk I/O error". Real processes, started together.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

from conftest import ADVISER, Store

from projections.cachefiles import CACHE_DIR

READERS = 6


def _start(store: Path, *args: str) -> subprocess.Popen[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("COMPLAINTCTL_")}
    env["COMPLAINTCTL_LANG"] = "en"
    return subprocess.Popen(
        [sys.executable, "-m", "complaintctl", "--store", str(store), "--actor", ADVISER, *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )


def test_readers_rebuilding_the_cache_at_once_all_succeed(store: Store) -> None:
    refs = [store.new(summary=f"case {i}") for i in range(5)]
    failures = []
    for round_no in range(6):
        shutil.rmtree(store.path / CACHE_DIR, ignore_errors=True)
        procs = [
            _start(store.path, *(["list", "--json"] if i % 2 else ["show", refs[i], "--json"]))
            for i in range(READERS)
        ]
        for i, p in enumerate(procs):
            out, err = p.communicate(timeout=120)
            if p.returncode != 0:
                failures.append((round_no, i, p.returncode, err[-400:]))
            elif i % 2:
                assert sorted(c["ref"] for c in json.loads(out)) == sorted(refs)
            else:
                assert json.loads(out)["ref"] == refs[i]
    assert failures == []
