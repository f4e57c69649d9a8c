"""``show --as-recorded``: one case's events through the store's index, against a log pass.

    .venv/bin/python bench/make_store.py /tmp/big --events 200000
    .venv/bin/python bench/as_recorded.py /tmp/big [--runs 7]

Times, in one process and taking turns, the read model's
``AuditLog.case_as_recorded`` (the case's own events, filtered by their
recorded time) and the former way, a pass over the whole log picking the
case's events out (kept here as :func:`log_pass`), for the same cases and
the same time; both must give the same case. Prints the medians and their
ratio with the machine and the date (for BENCHMARKS.md).
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from complaintctl import config as configuration
from complaintctl.sources import open_source
from events.ids import case_id
from events.topics import CASE_TOPICS, RECEIVED
from projections.case import Case, apply
from projections.models import ReadModels
from projections.source import Checkpoint, EventSource


def log_pass(source: EventSource, ref: str, at: datetime) -> Case | None:
    """The former ``case_as_recorded``: every event of the log read, the case's folded."""
    wanted = str(case_id(ref))
    hi = at.astimezone(UTC).isoformat()
    state: Case | None = None
    for batch, _cp in source.read(Checkpoint()):
        for ev in batch:
            if ev["originator_id"] != wanted or ev["topic"] not in CASE_TOPICS:
                continue
            recorded = ev["recorded_at"]
            if datetime.fromisoformat(recorded).astimezone(UTC).isoformat() > hi:
                continue
            state = apply(state, ev["topic"], ev["data"], wanted, ev["version"], None)
    return state


def some_refs(source: EventSource, n: int) -> list[str]:
    """``n`` case references spread over the log (its first batch and later ones)."""
    refs: list[str] = []
    for batch, _cp in source.read(Checkpoint()):
        refs += [ev["data"]["ref"] for ev in batch if ev["topic"] == RECEIVED][:1]
        if len(refs) >= n:
            break
    return refs


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("store", type=Path, help="a store made by make_store.py")
    ap.add_argument("--runs", type=int, default=7)
    args = ap.parse_args(argv)
    cfg = configuration.load(args.store / configuration.CONFIG_NAME)
    source = open_source(args.store, backend="file", settings=cfg.store)
    models = ReadModels(source, args.store, cfg.policy, cfg.read)
    at = datetime.now(UTC)
    refs = some_refs(source, args.runs)
    events = source.last_position()
    times: dict[str, list[float]] = {"case's events": [], "log pass": []}
    for n, ref in enumerate(refs):
        ways: list[tuple[str, Any]] = [
            ("case's events", lambda r=ref: models.audit.case_as_recorded(r, at)),
            ("log pass", lambda r=ref: log_pass(source, r, at)),
        ]
        if n % 2:
            ways.reverse()  # taking turns: the page cache and the load even out
        results = []
        for name, run in ways:
            started = time.perf_counter()
            results.append(run())
            times[name].append(time.perf_counter() - started)
        assert results[0] == results[1], f"{ref}: the two ways disagree"
    new, old = (statistics.median(times[k]) for k in ("case's events", "log pass"))
    load = os.getloadavg()[0]
    when = f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC"
    machine = f"{platform.machine()}, {os.cpu_count()} cores, load {load:.1f}"
    print(f"{when}, {machine}; {events} events, {len(refs)} cases")
    print(f"case's events: median {new * 1000:.1f} ms")
    print(f"log pass:      median {old * 1000:.1f} ms  ({old / new:.0f}x)")
    models.close()
    source.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
