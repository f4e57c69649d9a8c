"""Benchmark the file store against the library's SQLite (file database) and POPO stores.

    .venv/bin/python bench/store.py [--events 1000000] [--quick] [--dir DIR] [--keep]

Every measurement of issue 2 is taken side by side in one run, through the
library's recorder interface, with the same events for every store:

* durable single-event insert (the shape of the library's ``test_performance``:
  one event of a new aggregate per ``insert_events``), microseconds each;
* 4 concurrent writers (the shape of ``test_concurrent_throughput``: 4 threads,
  jobs of 50 events of a new aggregate), events per second;
* (no goal, for the record) the same with 4 writer processes instead of threads;
* bulk append in batches of 1,000 (100 aggregates x 10 events), events per
  second; this is also how the big logs are built;
* reading one aggregate's 10 events in a fresh process (open the store, read,
  timed inside the child; interpreter start and imports are not counted),
  on a log of 1,000 events and on the big log;
* reading all notifications of the big log in pages of 1,000.

The stores take turns in every measurement (the same batches, alternating
order; medians of several rounds): on a shared VM disk the cost of one fsync
drifts severalfold within minutes, and taking turns gives every store the
same conditions.

Payloads are ~250 bytes of JSON shaped like the application's events. The
stores live in a temporary directory on the same disk as ``/tmp`` (or
``--dir``); fsync is on for the file store, and the library's SQLite runs in
WAL mode with its default ``synchronous=FULL``. The OS page cache is warm for
every read (nothing here can drop it). Timed goals are reported, never
asserted.
"""

from __future__ import annotations

import argparse
import importlib
import json
import multiprocessing
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import orjson
from eventsourcing.persistence import (
    ApplicationRecorder,
    InfrastructureFactory,
    StoredEvent,
)
from tabulate import tabulate
from timing import machine

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

STORES = ("file", "sqlite", "popo")
TOPIC = "complaints:Noted"
BATCH = 1000
PER_AGGREGATE = 10
PAGE = 1000


def env_for(store: str, where: Path) -> dict[str, str]:
    """The persistence settings of one store kept under ``where``."""
    if store == "file":
        return {
            "PERSISTENCE_MODULE": "complaintctl.filestore",
            "FILESTORE_PATH": str(where / "filestore"),
            "FILESTORE_FSYNC": "yes",
        }
    if store == "sqlite":
        where.mkdir(parents=True, exist_ok=True)
        return {"PERSISTENCE_MODULE": "eventsourcing.sqlite", "SQLITE_DBNAME": str(where / "db")}
    return {"PERSISTENCE_MODULE": "eventsourcing.popo"}


def open_store(env: dict[str, str]) -> tuple[InfrastructureFactory[Any], ApplicationRecorder]:
    factory = InfrastructureFactory.construct(env)
    return factory, factory.application_recorder()


def state(n: int) -> bytes:
    """A payload shaped like the application's (library JSON transcoder output)."""
    return orjson.dumps(
        {
            "timestamp": {"_type_": "datetime_iso", "_data_": "2026-11-23T10:04:05.123456+00:00"},
            "originator_topic": "events.complaint:Complaint",
            "actor": "李娜",
            "text": f"客户来电询问维修进度, 已告知预计完成时间 (note {n})",
            "channel": "phone",
        }
    )


def one_event_insert(recorder: ApplicationRecorder) -> None:
    recorder.insert_events([StoredEvent(uuid.uuid4(), 1, TOPIC, state(1))])


def job_of(n: int) -> list[StoredEvent]:
    oid = uuid.uuid4()
    return [StoredEvent(oid, v, TOPIC, state(v)) for v in range(n)]


def bulk_batch() -> tuple[list[StoredEvent], list[uuid.UUID]]:
    ids = [uuid.uuid4() for _ in range(BATCH // PER_AGGREGATE)]
    events = [
        StoredEvent(oid, v, TOPIC, state(v)) for oid in ids for v in range(1, PER_AGGREGATE + 1)
    ]
    return events, ids


# ---------------------------------------------------------------------------
# Measurements


def median_by_store(samples: dict[str, list[float]]) -> dict[str, float]:
    return {s: statistics.median(v) for s, v in samples.items() if v}


def measure_single_insert(
    recorders: dict[str, ApplicationRecorder], number: int, rounds: int
) -> dict[str, float]:
    """Median microseconds per durable one-event insert; the stores take turns each round.

    Taking turns matters on a shared VM disk, whose fsync time drifts by 2x
    within minutes: every store sees the same weather.
    """
    for rec in recorders.values():
        for _ in range(10):  # warm up
            one_event_insert(rec)
    samples: dict[str, list[float]] = {s: [] for s in recorders}
    for _ in range(rounds):
        for s, rec in recorders.items():
            started = time.perf_counter()
            for _ in range(number):
                one_event_insert(rec)
            samples[s].append((time.perf_counter() - started) / number * 1e6)
    return median_by_store(samples)


def measure_concurrent(
    recorders: dict[str, ApplicationRecorder], jobs: int, rounds: int
) -> dict[str, float]:
    """Median events per second: 4 threads, jobs of 50 events each, one recorder per store."""
    errors: list[BaseException] = []

    def run(recorder: ApplicationRecorder, n: int) -> float:
        def insert() -> None:
            try:
                recorder.insert_events(job_of(50))
            except BaseException as e:  # counted: a benchmark with errors is void
                errors.append(e)

        with ThreadPoolExecutor(max_workers=4) as ex:
            started = time.perf_counter()
            for f in [ex.submit(insert) for _ in range(n)]:
                f.result()
            return time.perf_counter() - started

    for rec in recorders.values():
        run(rec, 4)  # warm up
    samples: dict[str, list[float]] = {s: [] for s in recorders}
    for _ in range(rounds):
        for s, rec in recorders.items():
            samples[s].append(jobs * 50 / run(rec, jobs))
    if errors:
        raise RuntimeError(f"{len(errors)} errors, first {errors[0]!r}")
    return median_by_store(samples)


def _process_writer(env: dict[str, str], jobs: int, barrier: Any, results: Any) -> None:
    """One of the writer processes: build its jobs, wait for the others, save them."""
    factory, recorder = open_store(env)
    work = [job_of(50) for _ in range(jobs)]
    barrier.wait()
    started = time.time()
    for events in work:
        recorder.insert_events(events)
    results.put((started, time.time()))
    factory.close()


def processes_once(env: dict[str, str], jobs: int) -> float:
    """Events per second of 4 OS processes, each saving ``jobs`` jobs of 50 events.

    Not one of the issue's goals (the library's throughput test uses
    threads), but the store is meant for cron jobs and scripts writing at
    once; wall time runs from the first writer's start to the last one's end.
    """
    ctx = multiprocessing.get_context("spawn")
    barrier, results = ctx.Barrier(4), ctx.Queue()
    procs = [
        ctx.Process(target=_process_writer, args=(env, jobs, barrier, results)) for _ in range(4)
    ]
    for p in procs:
        p.start()
    spans = [results.get(timeout=600) for _ in procs]
    for p in procs:
        p.join()
    wall = max(end for _, end in spans) - min(start for start, _ in spans)
    return float(4 * jobs * 50 / wall)


def bulk_fill(
    recorders: dict[str, ApplicationRecorder], events: int
) -> tuple[dict[str, float], list[uuid.UUID]]:
    """Append the same batches of 1,000 to every store, in turns; return events/s and ids.

    Each batch is built once, outside the timed part, and saved to each
    store in turn (the order alternates), so the stores are built side by
    side under the same conditions. This is also how the big logs are made.
    """
    spent = dict.fromkeys(recorders, 0.0)
    ids: list[uuid.UUID] = []
    order = list(recorders)
    for n in range(events // BATCH):
        batch, batch_ids = bulk_batch()
        for s in order if n % 2 else reversed(order):
            started = time.perf_counter()
            recorders[s].insert_events(batch)
            spent[s] += time.perf_counter() - started
        ids.extend(batch_ids)
    return {s: events / t for s, t in spent.items()}, ids


def read_all(recorder: ApplicationRecorder, expected: int) -> float:
    """Seconds to read every notification in pages of 1,000."""
    started = time.perf_counter()
    count, start = 0, 1
    while True:
        page = recorder.select_notifications(start, PAGE)
        if not page:
            break
        count += len(page)
        start = page[-1].id + 1
    elapsed = time.perf_counter() - started
    if count != expected:
        raise RuntimeError(f"read {count} notifications, expected {expected}")
    return elapsed


def fresh_read_once(store: str, where: Path, oid: uuid.UUID) -> float:
    """Seconds to open the store and read one aggregate, in a new process."""
    env = os.environ | env_for(store, where)
    out = subprocess.run(
        [sys.executable, __file__, "--child-read", str(oid)],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    result = json.loads(out.stdout)
    if result["events"] != PER_AGGREGATE:
        raise RuntimeError(f"{store}: read {result['events']} events of {oid}")
    return float(result["seconds"])


def child_read(oid: str) -> None:
    """In the fresh process: open the store named in the environment and read one aggregate.

    The persistence module is imported before the clock starts: import time
    is the same for any log size and would only blur the comparison.
    """
    importlib.import_module(os.environ["PERSISTENCE_MODULE"])
    started = time.perf_counter()
    factory = InfrastructureFactory.construct(dict(os.environ))
    recorder = factory.application_recorder()
    events = recorder.select_events(uuid.UUID(oid))
    elapsed = time.perf_counter() - started
    factory.close()
    print(json.dumps({"seconds": elapsed, "events": len(events)}))


# ---------------------------------------------------------------------------
# Report


def fmt(value: float | None, digits: int = 0) -> str:
    if value is None:
        return "—"
    return f"{value:,.{digits}f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--events", type=int, default=1_000_000, help="size of the big log")
    parser.add_argument("--quick", action="store_true", help="small sizes, for a smoke run")
    parser.add_argument("--dir", type=Path, default=None, help="where to put the stores")
    parser.add_argument("--keep", action="store_true", help="keep the stores afterwards")
    parser.add_argument("--child-read", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child_read:
        child_read(args.child_read)
        return
    if args.quick:
        args.events = min(args.events, 50_000)
    events = args.events - args.events % BATCH
    singles, jobs, fresh_runs = (100, 40, 5) if args.quick else (200, 200, 9)
    rounds, read_rounds = (3, 1) if args.quick else (7, 3)

    base = Path(tempfile.mkdtemp(prefix="bench-store-", dir=args.dir))
    results: dict[str, dict[str, float | None]] = {s: {} for s in STORES}
    print(f"stores in {base}; big log {events:,} events", file=sys.stderr)

    def step(name: str, fn: Callable[[], Any]) -> Any:
        started = time.perf_counter()
        value = fn()
        print(f"  {name}: {time.perf_counter() - started:.1f} s", file=sys.stderr)
        return value

    opened: list[tuple[str, InfrastructureFactory[Any]]] = []

    def open_all(name: str, stores: tuple[str, ...] = STORES) -> dict[str, ApplicationRecorder]:
        recorders = {}
        for s in stores:
            factory, recorders[s] = open_store(env_for(s, base / f"{name}-{s}"))
            opened.append((s, factory))
        return recorders

    def put(key: str, values: dict[str, float]) -> None:
        for s, v in values.items():
            results[s][key] = v

    try:
        put(
            "single",
            step(
                "single inserts", lambda: measure_single_insert(open_all("single"), singles, rounds)
            ),
        )
        put(
            "concurrent",
            step(
                "4 writer threads", lambda: measure_concurrent(open_all("concurrent"), jobs, rounds)
            ),
        )
        samples: dict[str, list[float]] = {"file": [], "sqlite": []}
        for s in samples:
            InfrastructureFactory.construct(env_for(s, base / f"processes-{s}")).close()
        for _ in range(max(3, rounds // 2)):
            for s in samples:
                samples[s].append(processes_once(env_for(s, base / f"processes-{s}"), jobs // 4))
        put("processes", median_by_store(samples))
        print("  4 writer processes: done", file=sys.stderr)

        small = open_all("small")
        _, small_ids = bulk_fill(small, 1000)
        big = open_all("big")
        rates, big_ids = step(f"bulk {events:,}", lambda: bulk_fill(big, events))
        put("bulk", rates)
        for store_name, f in opened[:]:
            if store_name != "popo":  # quiescent stores for the reads (popo lives in memory)
                f.close()
                opened.remove((store_name, f))
        samples = {"file_small": [], "file_big": [], "sqlite_small": [], "sqlite_big": []}
        step_small = max(1, len(small_ids) // fresh_runs)
        step_big = max(1, len(big_ids) // fresh_runs)
        for n in range(fresh_runs):
            for s in ("file", "sqlite"):
                samples[f"{s}_small"].append(
                    fresh_read_once(s, base / f"small-{s}", small_ids[n * step_small])
                )
                samples[f"{s}_big"].append(
                    fresh_read_once(s, base / f"big-{s}", big_ids[n * step_big])
                )
        for s in ("file", "sqlite"):
            results[s]["fresh_small"] = statistics.median(samples[f"{s}_small"])
            results[s]["fresh_big"] = statistics.median(samples[f"{s}_big"])
        print("  fresh reads: done", file=sys.stderr)

        samples = {s: [] for s in STORES}
        for _ in range(read_rounds):
            for s in STORES:
                if s == "popo":
                    samples[s].append(read_all(big["popo"], events))
                    continue
                factory, recorder = open_store(env_for(s, base / f"big-{s}"))
                try:
                    samples[s].append(read_all(recorder, events))
                finally:
                    factory.close()
        put("read_all", median_by_store(samples))
        print("  read all: done", file=sys.stderr)
    finally:
        for _, f in opened:
            f.close()
        if args.keep:
            print(f"kept {base}", file=sys.stderr)
        else:
            shutil.rmtree(base, ignore_errors=True)

    print(render(results, events, machine(), " ".join(sys.argv[1:])))


def render(r: dict[str, dict[str, float | None]], events: int, m: dict[str, str], cmd: str) -> str:
    f, q, p = r["file"], r["sqlite"], r["popo"]

    def ratio(a: float | None, b: float | None) -> float | None:
        return None if a is None or b is None or b == 0 else a / b

    big = f"{events:,}"
    fresh_file = ratio(f.get("fresh_big"), f.get("fresh_small"))
    fresh_sqlite = ratio(q.get("fresh_big"), q.get("fresh_small"))
    rows: list[list[str]] = []

    def row(
        what: str,
        key: str,
        digits: int,
        goal: str,
        met: bool | None,
        scale: float = 1.0,
        vs: float | None = None,
    ) -> None:
        def get(d: dict[str, float | None]) -> float | None:
            v = d.get(key)
            return None if v is None else v * scale

        rows.append(
            [
                what,
                fmt(get(f), digits),
                fmt(get(q), digits),
                fmt(get(p), digits),
                fmt(vs if vs is not None else ratio(get(f), get(q)), 2) + "x",
                goal,
                "—" if met is None else ("met" if met else "MISSED"),
            ]
        )

    single = ratio(f.get("single"), q.get("single"))
    conc = ratio(f.get("concurrent"), q.get("concurrent"))
    bulk = f.get("bulk")
    read_all = ratio(f.get("read_all"), q.get("read_all"))
    row(
        "durable single insert (µs)",
        "single",
        0,
        "≤ 0.5x SQLite",
        single is not None and single <= 0.5,
    )
    row(
        "4 concurrent writers, threads (events/s)",
        "concurrent",
        0,
        "≥ 1.5x SQLite",
        conc is not None and conc >= 1.5,
    )
    row(
        "4 concurrent writer processes (events/s)",
        "processes",
        0,
        "(no goal)",
        None,
    )
    row(
        "bulk append, batches of 1,000 (events/s)",
        "bulk",
        0,
        "≥ 100,000/s",
        bulk is not None and bulk >= 100_000,
    )
    row("fresh process: open + read 10 events, log of 1,000 (ms)", "fresh_small", 2, "", None, 1000)
    row(f"fresh process: open + read 10 events, log of {big} (ms)", "fresh_big", 2, "", None, 1000)
    rows.append(
        [
            f"  ratio {big} / 1,000 (same store)",
            fmt(fresh_file, 2) + "x",
            fmt(fresh_sqlite, 2) + "x",
            "—",
            "",
            "≤ 1.2x",
            "met" if fresh_file is not None and fresh_file <= 1.2 else "MISSED",
        ]
    )
    row(
        f"read all {big} notifications, pages of 1,000 (s)",
        "read_all",
        2,
        "≤ 1.0x SQLite",
        read_all is not None and read_all <= 1.0,
    )
    table = tabulate(
        rows,
        headers=["measurement", "file store", "sqlite", "popo", "file / sqlite", "goal", ""],
        tablefmt="github",
        disable_numparse=True,
    )
    head = (
        f"date: {m['date']}\ncommand: .venv/bin/python bench/store.py {cmd}\n"
        f"cpu: {m['cpu']} x {m['nproc']}; python {m['python']}; kernel {m['kernel']}\n"
        f"memory:\n{m['memory']}\ndisk:\n{m['disk']}\n"
    )
    return head + "\n" + table


if __name__ == "__main__":
    main()
