"""Benchmark of ``report weekly`` and ``report monthly``: a small store against a big one.

    .venv/bin/python bench/make_store.py /tmp/k1 --events 14000        # ~1,000 cases
    .venv/bin/python bench/make_store.py /tmp/k100 --events 1440000    # ~100,000 cases
    .venv/bin/python bench/make_store.py /tmp/k200 --events 2900000    # ~200,000 cases
    .venv/bin/python bench/periods.py /tmp/k1 /tmp/k100 /tmp/k200 [--runs 5]

Each command runs as a fresh process on a caught-up cache (one untimed run
first), the stores taking turns in every round (interleaved), medians of
the runs. Printed per command: the cases the period holds on each store
(what the report has to fold), the medians and each one's ratio to the first
store's. Also
timed: ``report daily`` on a past day (the same kind of as-of fold) as a
yardstick.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
from datetime import UTC, datetime
from pathlib import Path

from timing import run_cli

ACTOR = "张伟"
COMMANDS = {
    "weekly, last week": ("report", "weekly", "--week", "last"),
    "weekly, this week": ("report", "weekly", "--week", "this"),
    "monthly, last month": ("report", "monthly", "--month", "last"),
    "daily, yesterday": ("report", "daily", "--date", "yesterday"),
}


def run(store: Path, *args: str) -> tuple[float, str]:
    return run_cli(store, *args, actor=ACTOR)


def cases_in(store: Path, args: tuple[str, ...]) -> int:
    _t, out = run(store, *args, "--json")
    r = json.loads(out)
    totals = r["totals"]
    return int(totals["received"])


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("stores", type=Path, nargs="+", help="the first is the baseline")
    ap.add_argument("--runs", type=int, default=5)
    args = ap.parse_args(argv)
    stores = tuple(args.stores)
    for store in stores:  # the cache built and caught up before timing
        run(store, "list", "--limit", "1")
    held = {name: [cases_in(s, cmd) for s in stores] for name, cmd in COMMANDS.items()}
    times: dict[tuple[str, Path], list[float]] = {(n, s): [] for n in COMMANDS for s in stores}
    for _round in range(args.runs):
        for name, cmd in COMMANDS.items():
            for store in stores:
                took, _out = run(store, *cmd, "--json")
                times[name, store].append(took)
    print(f"date {datetime.now(UTC):%Y-%m-%d %H:%M} UTC; python {platform.python_version()}; "
          f"nproc {os.cpu_count()}; load {os.getloadavg()[0]:.1f}")  # fmt: skip
    names = " / ".join(s.name for s in stores)
    print(f"| command | cases received in the period ({names}) | "
          + " | ".join(s.name for s in stores) + " | ratios to the first |")  # fmt: skip
    print("|---|---|" + "---|" * len(stores) + "---|")
    for name in COMMANDS:
        medians = [statistics.median(times[name, s]) for s in stores]
        held_n = " / ".join(str(n) for n in held[name])
        cells = " | ".join(f"{m:.2f} s" for m in medians)
        ratios = " / ".join(f"{m / medians[0]:.2f}x" for m in medians[1:])
        print(f"| {name} | {held_n} | {cells} | {ratios} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
