"""Benchmark of the read side against the goals of issue 4, all measured in one run.

    .venv/bin/python bench/make_store.py bench/data/big1m --events 1000000 \\
        --sqlite bench/data/big1m.sqlite
    .venv/bin/python bench/projections.py bench/data/big1m --sqlite bench/data/big1m.sqlite

Measures, on the big store:

- the time to parse its ``events.jsonl`` with orjson (one ``loads`` per line),
- the time to read the same events from the library's SQLite store through
  the application's mapper (``select_notifications`` + ``to_domain_event``),
- a full rebuild of every read model (``complaintctl rebuild`` as a command,
  in a fresh process, with its peak memory from ``wait4``),
- ``show REF``, ``list --status open --limit 20`` and ``report daily`` as
  whole commands right after 100 new events were appended (so each run
  includes the catch-up), against the same on a store of about 1,000 events
  (built by ``make_store.py`` with the same seed);

and prints each goal with the figures, the ratio, and met/missed.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import orjson
from tabulate import tabulate
from timing import machine, run_cli

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from complaintctl import config as configuration  # noqa: E402
from complaintctl.app import open_app, persistence_env  # noqa: E402
from events.application import ComplaintsApp, NewCase  # noqa: E402

ACTOR = "张伟"


def parse_seconds(store: Path) -> float:
    """One orjson.loads per line of the log, as the goal's yardstick."""
    started = time.perf_counter()
    with open(store / "events.jsonl", "rb") as f:
        for line in f:
            orjson.loads(line)
    return time.perf_counter() - started


def sqlite_mapper_seconds(store: Path, sqlite: Path) -> tuple[float, int]:
    """Every event from the library's SQLite store, decoded by the application's mapper."""
    cfg = configuration.load(store / configuration.CONFIG_NAME)
    env = persistence_env(store, "sqlite", {"sqlite_dbname": str(sqlite)})
    app = ComplaintsApp(env, policy=cfg.policy)
    started = time.perf_counter()
    n = 0
    start: int | None = None
    while True:
        page = app.recorder.select_notifications(start, 5000, inclusive_of_start=start is None)
        if not page:
            break
        for note in page:
            app.mapper.to_domain_event(note)
            n += 1
        start = page[-1].id
    took = time.perf_counter() - started
    app.close()
    return took, n


def run(store: Path, *args: str) -> tuple[float, str]:
    """Run one command in a fresh process, as a user or cron would: (wall seconds, stdout)."""
    return run_cli(store, *args, actor=ACTOR)


def run_measured(store: Path, *args: str) -> tuple[float, int, str]:
    """Like :func:`run`, but reaps the process itself to read its peak memory (wait4)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("COMPLAINTCTL_")}
    cmd = [sys.executable, "-m", "complaintctl", "--store", str(store), "--actor", ACTOR, *args]
    started = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env)
    _pid, status, usage = os.wait4(proc.pid, 0)
    took = time.perf_counter() - started
    proc.returncode = os.waitstatus_to_exitcode(status)
    err = proc.stderr.read() if proc.stderr else b""
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(args)} failed ({proc.returncode}): {err.decode()[-2000:]}")
    return took, usage.ru_maxrss // 1024, ""


def add_events(store: Path, count: int = 100) -> str:
    """Append at least ``count`` events through the write model; return a new case's ref."""
    cfg = configuration.load(store / configuration.CONFIG_NAME)
    app = open_app(store, policy=cfg.policy)
    try:
        before = app.recorder.max_notification_id() or 0
        ref = ""
        n = 0
        while (app.recorder.max_notification_id() or 0) - before < count:
            n += 1
            ref = app.receive(
                NewCase(
                    customer="赵女士",
                    contact=f"1500000{n:04d}",
                    channel="phone",
                    category="billing",
                    summary="账单多收费",
                ),
                ACTOR,
            )
            app.acknowledge(ref, ACTOR, message="已致歉")
            app.note(ref, "已转财务核实", ACTOR)
        return ref
    finally:
        app.close()


def command_seconds(stores: list[Path], args: list[str], repeats: int) -> list[float]:
    """Median wall time of a command on each store, each run right after 100 new events.

    The stores take turns (big, small, big, small...), so that both meet the
    same conditions on a machine that other jobs share.
    """
    times: list[list[float]] = [[] for _ in stores]
    for _ in range(repeats):
        for i, store in enumerate(stores):
            ref = add_events(store)
            argv = [a.replace("{ref}", ref) for a in args]
            took, _out = run(store, *argv)
            times[i].append(took)
    return [statistics.median(t) for t in times]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("store", type=Path, help="the big store (made by make_store.py)")
    ap.add_argument("--sqlite", type=Path, required=True, help="the same events in SQLite")
    ap.add_argument("--small", type=Path, default=ROOT / "bench" / "data" / "small1k")
    ap.add_argument("--repeats", type=int, default=5, help="runs of each command")
    ap.add_argument("--rounds", type=int, default=3, help="rounds of parse and rebuild")
    ap.add_argument("--json-out", type=Path, help="also write the figures here as JSON")
    args = ap.parse_args(argv)

    if not (args.small / "events.jsonl").exists():
        shutil.rmtree(args.small, ignore_errors=True)
        subprocess.run(
            [
                sys.executable,
                str(ROOT / "bench" / "make_store.py"),
                str(args.small),
                "--events",
                "1000",
            ],
            check=True,
        )
    for store in (args.store, args.small):  # the store's own index, built before timing
        warm = open_app(store)
        warm.recorder.max_notification_id()
        warm.close()
    info = machine()
    info["load_before"] = os.getloadavg()
    with open(args.store / "events.jsonl", "rb") as f:
        events = sum(1 for _ in f)
    print(f"store {args.store}: {events} lines; machine {info}", file=sys.stderr)

    # The parse and the rebuild take turns (3 rounds, medians): both meet the same load.
    parses: list[float] = []
    rebuilds: list[float] = []
    parent_peak = 0
    for _ in range(args.rounds):
        parses.append(parse_seconds(args.store))
        took, peak_mb, _ = run_measured(args.store, "rebuild")
        rebuilds.append(took)
        parent_peak = max(parent_peak, peak_mb)
        print(f"orjson parse {parses[-1]:.2f} s, rebuild {took:.2f} s", file=sys.stderr)
    parse = statistics.median(parses)
    rebuild = statistics.median(rebuilds)
    mapper, mapped = sqlite_mapper_seconds(args.store, args.sqlite)
    print(f"sqlite + mapper: {mapper:.2f} s ({mapped} events)", file=sys.stderr)
    # Once more with --json for the memory of the command and its helper together.
    _t, out = run(args.store, "rebuild", "--json")
    peak = max(parent_peak, int(json.loads(out)["peak_memory_mb"]))
    print(f"peak {peak} MB (command alone {parent_peak} MB)", file=sys.stderr)
    run(args.small, "rebuild")

    commands = {
        "show REF": ["show", "{ref}"],
        "list --status open --limit 20": ["list", "--status", "open", "--limit", "20"],
        "report daily": ["report", "daily"],
    }
    rows: list[list[Any]] = [
        [
            "full rebuild <= 3x orjson parse",
            f"{rebuild:.2f} s vs {parse:.2f} s",
            f"{rebuild / parse:.2f}x",
            "met" if rebuild <= 3 * parse else "missed",
        ],
        [
            "full rebuild >= 2.5x faster than SQLite via mapper",
            f"{rebuild:.2f} s vs {mapper:.2f} s",
            f"{mapper / rebuild:.2f}x faster",
            "met" if mapper >= 2.5 * rebuild else "missed",
        ],
        [
            "peak memory of a full rebuild <= 500 MB",
            f"{peak} MB",
            f"{peak / 500:.2f} of goal",
            "met" if peak <= 500 else "missed",
        ],
    ]
    figures: dict[str, Any] = {
        "machine": info,
        "events": events,
        "parse_s": parse,
        "parse_runs_s": parses,
        "rebuild_runs_s": rebuilds,
        "sqlite_mapper_s": mapper,
        "rebuild_s": rebuild,
        "rebuild_peak_mb": peak,
        "commands": {},
    }
    for name, argv_ in commands.items():
        big, small = command_seconds([args.store, args.small], argv_, args.repeats)
        figures["commands"][name] = {"big_s": big, "small_s": small}
        print(f"{name}: {big:.3f} s vs {small:.3f} s", file=sys.stderr)
        rows.append(
            [
                f"{name} after 100 new events: 1M <= 1.3x 1k",
                f"{big:.3f} s vs {small:.3f} s",
                f"{big / small:.2f}x",
                "met" if big <= 1.3 * small else "missed",
            ]
        )
    info["load_after"] = os.getloadavg()
    print(
        "load average (1, 5, 15 min) before "
        + ", ".join(f"{x:.1f}" for x in info["load_before"])
        + "; after "
        + ", ".join(f"{x:.1f}" for x in info["load_after"])
    )
    print(
        f"machine: {info['cpu']}, {info['nproc']} cores, {info['memory']} RAM;"
        f" Python {info['python']}; {info['date']}; {events} events"
    )
    print(tabulate(rows, headers=["goal", "measured", "ratio", "result"], tablefmt="github"))
    if args.json_out:
        args.json_out.write_text(json.dumps(figures, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
