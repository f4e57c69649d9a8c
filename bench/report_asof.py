"""Benchmark of the as-of fold of ``report daily --date yesterday``: before and after a change.

    .venv/bin/python bench/make_store.py /tmp/bench-asof/k1 --events 14000       # ~1,000 cases
    .venv/bin/python bench/make_store.py /tmp/bench-asof/k100 --events 1440000   # ~100,000 cases
    git archive main | tar -x -C /tmp/bench-asof/before                          # the old code
    .venv/bin/python bench/report_asof.py /tmp/bench-asof/k1 /tmp/bench-asof/k100 \\
        --before /tmp/bench-asof/before [--runs 5]

Each command runs as a fresh process on a caught-up cache (one untimed run
of each code first, which also checks that both give the same report), the
stores and the two codes taking turns in every round (interleaved), medians.
The old code (and with ``--after``, the new one: a tree of its own, so that
editing this one during a long run changes nothing) is run from its source
tree through ``PYTHONPATH``, ahead of the editable install of this one.
Printed per store: the cases changed since the day's end and the store's
cases (the share that picks the path), the medians of both codes and their
ratio.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sqlite3
import statistics
import subprocess
import sys
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from projections.cachefiles import cache_path

ACTOR = "张伟"


DAY: dict[Path, date] = {}  # yesterday in each store's zone, as its report says


def command(store: Path, days: int) -> tuple[str, ...]:
    """``report daily`` of the day ``days`` before today (in the shop's zone)."""
    if days == 1 or store not in DAY:
        when = "yesterday"
    else:
        when = (DAY[store] - timedelta(days=days - 1)).isoformat()
    return ("report", "daily", "--date", when, "--json")


def run(store: Path, code: Path | None, days: int) -> tuple[float, dict[str, object]]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("COMPLAINTCTL_")}
    env["COMPLAINTCTL_LANG"] = "en"
    if code is not None:
        env["PYTHONPATH"] = str(code)
    args = command(store, days)
    cmd = [sys.executable, "-m", "complaintctl", "--store", str(store), "--actor", ACTOR, *args]
    started = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, env=env, check=False)
    took = time.perf_counter() - started
    if proc.returncode != 0:
        raise SystemExit(f"{store} failed ({proc.returncode}): {proc.stderr.decode()}")
    out: dict[str, object] = json.loads(proc.stdout)
    return took, out


def changed_share(store: Path, as_of: str) -> tuple[int, int]:
    """(cases changed since the report's time, cases): read from the store's cache."""
    at = datetime.fromisoformat(as_of).timestamp()
    db = sqlite3.connect(f"file:{cache_path(store)}?mode=ro", uri=True)
    try:
        (changed,) = db.execute("SELECT count(*) FROM cases WHERE updated > ?", (at,)).fetchone()
        (cases,) = db.execute("SELECT count(*) FROM cases").fetchone()
    finally:
        db.close()
    return int(changed), int(cases)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("stores", type=Path, nargs="+")
    ap.add_argument("--before", type=Path, required=True, help="source tree of the old code")
    ap.add_argument("--after", type=Path, help="source tree of the new code (default: this one)")
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--days", type=int, nargs="+", default=[1, 2, 7], help="days back")
    args = ap.parse_args(argv)
    after = args.after.resolve() if args.after else None
    codes: dict[str, Path | None] = {"before": args.before.resolve(), "after": after}
    cells = [(store, days) for store in args.stores for days in args.days]
    for store in args.stores:
        DAY[store] = date.fromisoformat(str(run(store, after, 1)[1]["date"]))
    shares = {}
    for store, days in cells:  # caches caught up; both codes give the same report
        reports = {name: run(store, code, days)[1] for name, code in codes.items()}
        if reports["before"] != reports["after"]:
            raise SystemExit(f"{store}, {days} days back: the two codes give different reports")
        shares[store, days] = changed_share(store, str(reports["after"]["as_of"]))
    times: dict[tuple[str, Path, int], list[float]] = {(n, *c): [] for n in codes for c in cells}
    for _round in range(args.runs):
        for store, days in cells:
            for name, code in codes.items():
                times[name, store, days].append(run(store, code, days)[0])
    print(f"date {datetime.now(UTC):%Y-%m-%d %H:%M} UTC; python {platform.python_version()}; "
          f"nproc {os.cpu_count()}; load {os.getloadavg()[0]:.1f}; runs {args.runs}")  # fmt: skip
    print("| store | day | cases changed since its end / cases | before | after | before/after |")
    print("|---|---|---|---|---|---|")
    for store, days in cells:
        b, a = (statistics.median(times[n, store, days]) for n in codes)
        changed, cases = shares[store, days]
        print(f"| {store.name} | -{days}d | {changed:,} / {cases:,} | {b:.2f} s | {a:.2f} s"
              f" | {b / a:.2f}x |")  # fmt: skip
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
