"""Time ``complaintctl rebuild`` in fresh processes against the orjson parse of the same log.

Issue 14, goal 3: a rebuild of 1M events within 3x an ``orjson.loads`` of every
line of ``events.jsonl``, with a peak memory under 500 MB. This script measures
that for one or more installs side by side, on identical copies of one store:

    .venv/bin/python bench/rebuild.py --cmd /work/main/.venv/bin/complaintctl
    .venv/bin/python bench/rebuild.py --cmd before=/work/main/.venv/bin/complaintctl \\
        --cmd after=.venv/bin/complaintctl --events 1000000 --rounds 3

How it measures, and why:

- The store is made once by ``bench/make_store.py`` (``--events N``, default
  100,000: a quick run) or taken as given (``--store DIR``, a store made by it),
  then copied for every install without its read-model cache, so every install
  rebuilds the very same log.
- Each rebuild is a fresh process of the install's own script (``complaintctl
  --json rebuild``), as a user runs it, with the environment of
  ``coldstart.py``; its wall time and peak RSS come from ``os.wait4``; one
  warm-up rebuild per install first (``.pyc`` files, the page cache).
- "peak MB one" is that ``wait4`` peak: the largest of the command and its
  helper process, not their sum. "peak MB sum", the goal's figure, is the sum
  of their peaks that ``rebuild --json`` reports (``peak_memory_mb``).
- The floor is one ``orjson.loads`` per line of the log, timed inside a fresh
  process of the first install's Python (so the parse is measured, not
  Python's start-up), once per round.
- "in-process s" is the time the rebuild itself reports (``--json``'s
  ``seconds``), without Python's start-up and imports, which weigh on a small
  store but not at the goal's 1M events.
- "cpu s" is the rebuild process's user + system time (``wait4``), and the
  floor's CPU time (``process_time``): a busy machine disturbs them less than
  the wall times, so their ratio is the steadier one there.
- ``--sqlite FILE`` (the same events in the library's SQLite store, from
  ``make_store.py --sqlite``) adds the second yardstick of the goal: every
  event read through the library's SQLite recorder (``select_notifications``
  in pages of 5,000) and decoded by the application's mapper, timed inside a
  fresh process like the floor, in every round; the goal is a rebuild at
  least 2x faster than that.
- The floor and the installs take turns in every round (A B, then B A...);
  medians of ``--rounds`` rounds.

The default (100,000 events, 5 rounds) takes about a minute per install on a
2-core VM; ``--events 1000000`` (the goal's size) takes about 10x as long and
needs ~600 MB of disk per install.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from coldstart import (
    ACTOR,
    Install,
    checked,
    clean_env,
    fmt_table,
    interpreter,
    parse_installs,
    ratio,
    source_of,
)
from timing import machine

HERE = Path(__file__).resolve().parent
GOAL_X_FLOOR = 3.0  # at 1M events
GOAL_PEAK_MB = 500
GOAL_X_SQLITE = 2.0  # at least this many times faster than the SQLite recorder and mapper
FLOOR_CODE = """\
import sys, time, orjson
n = 0
started, cpu = time.perf_counter(), time.process_time()
with open(sys.argv[1], "rb") as f:
    for line in f:
        orjson.loads(line)
        n += 1
print(time.perf_counter() - started, time.process_time() - cpu, n)
"""
#: argv: store, SQLite file, the repository root (for the application's mapper).
SQLITE_CODE = """\
import sys, time
from pathlib import Path
sys.path.insert(0, sys.argv[3])
from complaintctl import config as configuration
from complaintctl.app import persistence_env
from events.application import ComplaintsApp
store = Path(sys.argv[1])
cfg = configuration.load(store / configuration.CONFIG_NAME)
env = persistence_env(store, "sqlite", {"sqlite_dbname": sys.argv[2]})
app = ComplaintsApp(env, policy=cfg.policy)
n, start = 0, None
started, cpu = time.perf_counter(), time.process_time()
while True:
    page = app.recorder.select_notifications(start, 5000, inclusive_of_start=start is None)
    if not page:
        break
    for note in page:
        app.mapper.to_domain_event(note)
        n += 1
    start = page[-1].id
print(time.perf_counter() - started, time.process_time() - cpu, n)
app.close()
"""


def copy_store(source: Path, target: Path) -> None:
    """A copy of the store without its read models (``cache/``): the log, indexes, config."""
    shutil.copytree(source, target, ignore=shutil.ignore_patterns("cache"))


def rebuild_once(inst: Install, env: dict[str, str], cwd: Path) -> dict[str, Any]:
    """One ``rebuild`` in a fresh process: wall seconds, peak RSS, and what it reported."""
    argv = [str(inst.script), "--store", str(inst.store), "--actor", ACTOR, "--json", "rebuild"]
    result = checked(argv, env, cwd, capture=True)
    try:
        said = json.loads(result.stdout)
    except ValueError:
        said = {}
    return {
        "seconds": result.seconds,
        "cpu_s": result.cpu_seconds,
        "maxrss_mb": result.maxrss_kb / 1024,
        "events": said.get("events"),
        "inside_s": said.get("seconds"),
        # The goal's figure: the command's and its helper processes' peaks summed, as
        # ``rebuild --json`` reports it (wait4's peak is the largest one process's).
        "peak_sum_mb": said.get("peak_memory_mb"),
    }


def floor_once(
    python: list[str], log: Path, env: dict[str, str], cwd: Path
) -> tuple[float, float, int]:
    """The parse floor: wall and CPU seconds of one orjson.loads per line, and the line count."""
    out = checked([*python, "-c", FLOOR_CODE, str(log)], env, cwd, capture=True)
    seconds, cpu, lines = out.stdout.decode().split()
    return float(seconds), float(cpu), int(lines)


def sqlite_once(
    python: list[str], store: Path, sqlite: Path, env: dict[str, str], cwd: Path
) -> tuple[float, float, int]:
    """Every event through the library's SQLite recorder and the mapper: wall, CPU, count."""
    argv = [*python, "-c", SQLITE_CODE, str(store), str(sqlite), str(HERE.parent)]
    out = checked(argv, env, cwd, capture=True)
    seconds, cpu, n = out.stdout.decode().split()
    return float(seconds), float(cpu), int(n)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(
        description=__doc__.splitlines()[0],
        epilog="Defaults (100,000 events, 5 rounds) finish in about a minute per install "
        "on a 2-core machine; --events 1000000 takes about ten times as long.",
    )
    ap.add_argument(
        "--cmd",
        action="append",
        required=True,
        metavar="[LABEL=]PATH",
        help="a complaintctl script to measure (repeat to compare; labels A, B... by default)",
    )
    ap.add_argument("--store", type=Path, help="an existing store (made by make_store.py)")
    ap.add_argument(
        "--events", type=int, default=100_000, help="events of the store to make (default 100000)"
    )
    ap.add_argument("--rounds", type=int, default=5, help="timed rounds (default 5)")
    ap.add_argument(
        "--python",
        help="the interpreter of make_store.py and of the parse floor "
        "(default: the first install's, which has orjson)",
    )
    ap.add_argument(
        "--sqlite", type=Path, help="the same events in SQLite (make_store.py --sqlite FILE)"
    )
    ap.add_argument("--dir", type=Path, help="where to make the temp stores (default: $TMPDIR)")
    ap.add_argument("--keep", action="store_true", help="keep the stores (the path is printed)")
    ap.add_argument("--json", action="store_true", help="print the figures as JSON, no table")
    args = ap.parse_args(argv)
    if args.rounds < 1:
        ap.error("--rounds must be >= 1")
    if args.store and not (args.store / "events.jsonl").is_file():
        ap.error(f"--store {args.store}: no events.jsonl there")

    installs = parse_installs(args.cmd)
    python = [args.python] if args.python else interpreter(installs[0].script)[:-1]
    env = clean_env()
    if args.dir:
        args.dir.mkdir(parents=True, exist_ok=True)
    root = Path(tempfile.mkdtemp(prefix="rebuild-", dir=args.dir))
    try:
        info = machine()
        source = args.store
        if source is None:
            source = root / "source"
            print(f"making a store of {args.events:,} events", file=sys.stderr)
            checked(
                [*python, str(HERE / "make_store.py"), str(source), "--events", str(args.events)],
                env,
                root,
            )
        log = source / "events.jsonl"
        sources = {}
        for inst in installs:
            sources[inst.label] = source_of(inst, env, root)
            inst.store = root / f"store-{inst.label}"
            copy_store(source, inst.store)
        print("warm-up rebuilds", file=sys.stderr)
        floor_once(python, log, env, root)
        for inst in installs:
            rebuild_once(inst, env, root)
        floors: list[float] = []
        floor_cpus: list[float] = []
        sqlites: list[tuple[float, float]] = []
        lines = 0
        runs: dict[str, list[dict[str, Any]]] = {inst.label: [] for inst in installs}
        for r in range(args.rounds):
            print(f"round {r + 1}/{args.rounds}", file=sys.stderr)
            seconds, cpu, lines = floor_once(python, log, env, root)
            floors.append(seconds)
            floor_cpus.append(cpu)
            for inst in installs[r % len(installs) :] + installs[: r % len(installs)]:
                runs[inst.label].append(rebuild_once(inst, env, root))
            if args.sqlite:
                wall, cpu, _n = sqlite_once(python, source, args.sqlite, env, root)
                sqlites.append((wall, cpu))
        info["load_after"] = [round(x, 2) for x in os.getloadavg()]
        floor = statistics.median(floors)
        floor_cpu = statistics.median(floor_cpus)
        sqlite_s = statistics.median(w for w, _c in sqlites) if sqlites else None
        sqlite_cpu = statistics.median(c for _w, c in sqlites) if sqlites else None
        summary: dict[str, dict[str, Any]] = {}
        for inst in installs:
            rs = runs[inst.label]
            med = statistics.median(r["seconds"] for r in rs)
            inside = [r["inside_s"] for r in rs if r["inside_s"] is not None]
            events = rs[-1]["events"] or lines
            summary[inst.label] = {
                **sources[inst.label],
                "median_s": med,
                "min_s": min(r["seconds"] for r in rs),
                "cpu_median_s": statistics.median(r["cpu_s"] for r in rs),
                "cpu_x_floor": statistics.median(r["cpu_s"] for r in rs) / floor_cpu,
                "inside_median_s": statistics.median(inside) if inside else None,
                "x_floor": med / floor,
                "sqlite_over_rebuild": sqlite_s / med if sqlite_s else None,
                "inside_x_floor": statistics.median(inside) / floor if inside else None,
                "peak_rss_mb": max(r["maxrss_mb"] for r in rs),
                "peak_sum_mb": max(
                    (r["peak_sum_mb"] for r in rs if r["peak_sum_mb"] is not None), default=None
                ),
                "events": events,
                "events_per_s": events / med,
                "runs": rs,
            }
        if args.json:
            doc: dict[str, Any] = {
                "machine": info,
                "store": {"events": lines, "log_bytes": log.stat().st_size, "source": str(source)},
                "floor": {
                    "median_s": floor,
                    "samples_s": floors,
                    "cpu_median_s": floor_cpu,
                    "python": python,
                },
                "sqlite_mapper": {
                    "median_s": sqlite_s,
                    "cpu_median_s": sqlite_cpu,
                    "runs": sqlites,
                },
                "goals": {
                    "x_floor": GOAL_X_FLOOR,
                    "x_sqlite": GOAL_X_SQLITE,
                    "peak_rss_mb": GOAL_PEAK_MB,
                },
                "installs": summary,
            }
            if len(installs) == 2:
                a, b = (summary[i.label] for i in installs)
                doc["ratio_b_over_a"] = b["median_s"] / a["median_s"]
                doc["cpu_ratio_b_over_a"] = b["cpu_median_s"] / a["cpu_median_s"]
            print(json.dumps(doc, ensure_ascii=False, indent=2))
        else:
            print(
                f"rebuild, fresh processes: {info['date']}, {info['cpu']}, nproc {info['nproc']}, "
                f"load {info['load_before']} -> {info['load_after']}"
            )
            print(
                f"store: {lines:,} events, {log.stat().st_size / 1e6:.0f} MB log"
                f" ({'given: ' + str(args.store) if args.store else 'made by make_store.py'});"
                f" medians of {args.rounds} rounds, installs taking turns"
            )
            for inst in installs:
                src = sources[inst.label]
                print(
                    f"{inst.label}: {inst.script} (Python {src.get('python', '?')}; "
                    f"code {src.get('source', '?')} at {src.get('commit', '?')})"
                )
            print(
                f"goals (at 1M events): rebuild <= {GOAL_X_FLOOR:g}x the parse floor, "
                f"peak RSS < {GOAL_PEAK_MB} MB (the processes' peaks summed)"
                + (f", SQLite/this >= {GOAL_X_SQLITE:g}x" if sqlites else "")
            )
            print()
            header = ["what", "median s", "min s", "x floor", "in-process s", "x floor"]
            header += ["cpu s", "cpu x", "peak MB one", "peak MB sum", "events/s", "SQLite/this"]
            if len(installs) == 2:
                ba = f"{installs[1].label}/{installs[0].label}"
                header += [ba, f"{ba} cpu"]
            rows = [
                ["orjson.loads per line (floor)", f"{floor:.3f}", f"{min(floors):.3f}", "1.00x"]
                + [f"{floor:.3f}", "1.00x", f"{floor_cpu:.2f}", "1.00x", "", ""]
                + [f"{lines / floor:,.0f}", ""]
                + (["", ""] if len(installs) == 2 else [])
            ]
            if sqlite_s is not None and sqlite_cpu is not None:
                rows.append(
                    ["SQLite recorder + mapper", f"{sqlite_s:.3f}", ""]
                    + [f"{sqlite_s / floor:.2f}x", "", "", f"{sqlite_cpu:.2f}"]
                    + [f"{sqlite_cpu / floor_cpu:.2f}x", "", ""]
                    + [f"{lines / sqlite_s:,.0f}", "1.00x"]
                    + (["", ""] if len(installs) == 2 else [])
                )
            for inst in installs:
                fig = summary[inst.label]
                x_mark = "" if fig["x_floor"] <= GOAL_X_FLOOR else " MISSED"
                peak = fig["peak_sum_mb"] if fig["peak_sum_mb"] is not None else fig["peak_rss_mb"]
                mb_mark = "" if peak < GOAL_PEAK_MB else " MISSED"
                own = fig["inside_median_s"]
                row = [
                    f"{inst.label}: complaintctl rebuild",
                    f"{fig['median_s']:.3f}",
                    f"{fig['min_s']:.3f}",
                    f"{fig['x_floor']:.2f}x{x_mark}",
                    f"{own:.2f}" if own is not None else "-",
                    ratio(own, floor),
                    f"{fig['cpu_median_s']:.2f}",
                    f"{fig['cpu_x_floor']:.2f}x",
                    f"{fig['peak_rss_mb']:.0f}",
                    f"{peak:.0f}{mb_mark}",
                    f"{fig['events_per_s']:,.0f}",
                    ratio(sqlite_s, fig["median_s"]) if sqlite_s else "",
                ]
                if len(installs) == 2:
                    first = summary[installs[0].label]
                    if inst is installs[1]:
                        row.append(ratio(fig["median_s"], first["median_s"]))
                        row.append(ratio(fig["cpu_median_s"], first["cpu_median_s"]))
                    else:
                        row += ["", ""]
                rows.append(row)
            print(fmt_table(header, rows))
        if args.keep:
            print(f"stores kept in {root}", file=sys.stderr)
    finally:
        if not args.keep:
            shutil.rmtree(root, ignore_errors=True)
    return 0


if __name__ == "__main__":
    started = time.perf_counter()
    code = main()
    print(f"({time.perf_counter() - started:.0f} s)", file=sys.stderr)
    sys.exit(code)
