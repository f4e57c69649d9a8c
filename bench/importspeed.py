"""`import` of a CSV against the library's own bulk insert of the same events (issue 14, goal 4).

    .venv/bin/python bench/importspeed.py [--rows 100000] [--rounds 2] [--no-postgres]
                                          [--work /tmp/importspeed-data] [--before SRC]

Writes a CSV of N rows (bench/portability.py's: a third as many customers as
rows, so customer files and the repeat rule are exercised), then, interleaved
round by round (A B A B):

- ``import file``: ``complaintctl import`` into a fresh file store (a fresh
  process, ``init --preset car-service`` first: personal fields and free text
  sealed, as a shop runs it);
- ``sqlite ref``: the very events that import stored (read back from the file
  store as the library's ``StoredEvent``), inserted into a fresh
  ``eventsourcing.sqlite`` database with ``SQLiteAggregateRecorder.insert_events``
  in batches of ``--ref-batch`` (the goal's reference: the recorder's own bulk rate);
- with PostgreSQL (127.0.0.1:5432, database ``test``, a schema of its own per
  run, dropped after): ``import postgres`` and ``postgres ref``
  (``PostgresAggregateRecorder.insert_events`` of the same stored events).

Each figure is wall seconds and, for the commands, the child's CPU seconds
(user + system): on a shared machine the CPU time is the steadier one. The
reference runs in this process, timed around the inserts only. Prints the
medians and the ratios (goal: import file / sqlite ref rate >= 0.5; import
postgres within 1.5x of postgres ref).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import Any

from tabulate import tabulate

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from portability import PG, pg_schema, write_csv  # noqa: E402
from timing import cli_env, machine  # noqa: E402

from complaintctl.app import persistence_env  # noqa: E402
from complaintctl.migrate import construct_factory, iter_notifications  # noqa: E402

ACTOR = "陈总"


def child_cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def run(store: Path, *args: str, env: dict[str, str]) -> tuple[float, float, str]:
    """One command in a fresh process: (wall s, CPU s, stdout)."""
    cmd = [sys.executable, "-m", "complaintctl", "--store", str(store), "--actor", ACTOR, *args]
    cpu, t = child_cpu(), time.perf_counter()
    # In the work directory: `-m` puts the current directory first on the path, which
    # would shadow a --before tree given by PYTHONPATH.
    proc = subprocess.run(cmd, capture_output=True, env=env, check=False, cwd=store.parent)
    wall, used = time.perf_counter() - t, child_cpu() - cpu
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(args[:2])} failed ({proc.returncode}): {proc.stderr!r}")
    return wall, used, proc.stdout.decode()


def pg_command_env(schema: str) -> dict[str, str]:
    return cli_env(
        {
            "POSTGRES_HOST": PG["host"],
            "POSTGRES_PORT": PG["port"],
            "POSTGRES_DBNAME": PG["dbname"],
            "POSTGRES_USER": PG["user"],
            "POSTGRES_SCHEMA": schema,
            # A loaded machine can leave a transaction idle past the library's 5 s.
            "POSTGRES_IDLE_IN_TRANSACTION_SESSION_TIMEOUT": "0",
        }
    )


def stored_events(env: dict[str, str]) -> list[Any]:
    """Every event of a store, as the library's StoredEvent (what a recorder inserts)."""
    from eventsourcing.persistence import StoredEvent

    f = construct_factory(env)
    try:
        out = []
        for page in iter_notifications(f.application_recorder()):
            out += [
                StoredEvent(n.originator_id, n.originator_version, n.topic, n.state) for n in page
            ]
        return out
    finally:
        f.close()


def insert_all(env: dict[str, str], events: list[Any], batch: int) -> tuple[float, float]:
    """The library's aggregate recorder inserting ``events`` in batches: (wall s, CPU s)."""
    f = construct_factory({**env, "CREATE_TABLE": "y"})
    try:
        rec = f.aggregate_recorder()
        cpu, t = time.process_time(), time.perf_counter()
        for i in range(0, len(events), batch):
            rec.insert_events(events[i : i + batch])
        return time.perf_counter() - t, time.process_time() - cpu
    finally:
        f.close()


def import_file(
    work: Path, csv_path: Path, n: int, source: Path | None = None
) -> tuple[float, float, Path]:
    store = work / f"file-{n}{'-before' if source else ''}"
    shutil.rmtree(store, ignore_errors=True)
    env = cli_env({"PYTHONPATH": str(source)} if source else None)
    run(store, "init", "--preset", "car-service", env=env)
    wall, cpu, out = run(store, "import", str(csv_path), "--json", env=env)
    assert json.loads(out)["imported"] > 0
    return wall, cpu, store


def import_postgres(
    work: Path, csv_path: Path, source: Path | None = None
) -> tuple[float, float, list[Any]]:
    schema = f"importspeed_{uuid.uuid4().hex[:8]}"
    pg_schema(True, schema)
    try:
        env = pg_command_env(schema) | ({"PYTHONPATH": str(source)} if source else {})
        store = work / "pg-desk"
        shutil.rmtree(store, ignore_errors=True)
        run(store, "--backend", "postgres", "init", "--preset", "car-service", env=env)
        wall, cpu, out = run(store, "--backend", "postgres", "import", str(csv_path), "--json",
                             env=env)  # fmt: skip
        assert json.loads(out)["imported"] > 0
        events = stored_events(persistence_env(store, "postgres", {**PG, "schema": schema},
                                               environ={}))  # fmt: skip
        return wall, cpu, events
    finally:
        pg_schema(False, schema)


def ref_sqlite(work: Path, events: list[Any], batch: int) -> tuple[float, float]:
    db = work / "ref.sqlite"
    for p in work.glob("ref.sqlite*"):
        p.unlink()
    env = {"PERSISTENCE_MODULE": "eventsourcing.sqlite", "SQLITE_DBNAME": str(db)}
    try:
        return insert_all(env, events, batch)
    finally:
        for p in work.glob("ref.sqlite*"):
            p.unlink()


def ref_postgres(events: list[Any], batch: int) -> tuple[float, float]:
    schema = f"importspeed_{uuid.uuid4().hex[:8]}"
    pg_schema(True, schema)
    try:
        env = {
            "PERSISTENCE_MODULE": "eventsourcing.postgres",
            "POSTGRES_HOST": PG["host"],
            "POSTGRES_PORT": PG["port"],
            "POSTGRES_DBNAME": PG["dbname"],
            "POSTGRES_USER": PG["user"],
            "POSTGRES_PASSWORD": "",
            "POSTGRES_SCHEMA": schema,
            "POSTGRES_IDLE_IN_TRANSACTION_SESSION_TIMEOUT": "0",
        }
        return insert_all(env, events, batch)
    finally:
        pg_schema(False, schema)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--rows", type=int, default=100_000)
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--ref-batch", type=int, default=5_000)
    ap.add_argument("--no-postgres", action="store_true")
    ap.add_argument(
        "--no-file",
        action="store_true",
        help="PostgreSQL only (its reference inserts the events the PostgreSQL import stored)",
    )
    ap.add_argument("--work", type=Path, default=Path("/tmp/importspeed-data"))
    ap.add_argument(
        "--before",
        type=Path,
        help="a source tree (e.g. `git archive main` unpacked) whose import also runs, "
        "interleaved: 'import file (before)', 'import postgres (before)'",
    )
    args = ap.parse_args()
    os.environ.pop("PYTHONDONTWRITEBYTECODE", None)
    work: Path = args.work
    work.mkdir(parents=True, exist_ok=True)
    csv_path = work / f"rows-{args.rows}.csv"
    if not csv_path.exists():
        write_csv(csv_path, args.rows)
    print(json.dumps(machine()), flush=True)
    times: dict[str, list[tuple[float, float]]] = {}
    n_events: dict[str, int] = {}
    for r in range(args.rounds):
        events: list[Any] | None = None
        store: Path | None = None
        if not args.no_file:
            wall, cpu, store = import_file(work, csv_path, args.rows)
            times.setdefault("import file", []).append((wall, cpu))
            events = stored_events(persistence_env(store, "file", {}, environ={}))
            n_events["import file"] = n_events["sqlite ref"] = len(events)
            print(f"round {r + 1}: import file {wall:.1f} s ({cpu:.1f} s CPU)", flush=True)
            times.setdefault("sqlite ref", []).append(ref_sqlite(work, events, args.ref_batch))
            print(f"round {r + 1}: sqlite ref {times['sqlite ref'][-1]}", flush=True)
        if args.before and not args.no_file:
            wall, cpu, old = import_file(work, csv_path, args.rows, args.before)
            times.setdefault("import file (before)", []).append((wall, cpu))
            n_events["import file (before)"] = n_events["import file"]
            print(f"round {r + 1}: import file (before) {wall:.1f} s ({cpu:.1f} s CPU)", flush=True)
            shutil.rmtree(old, ignore_errors=True)
        if not args.no_postgres:
            wall, cpu, pg_events = import_postgres(work, csv_path)
            n_pg = len(pg_events)
            times.setdefault("import postgres", []).append((wall, cpu))
            n_events["import postgres"] = n_events["postgres ref"] = n_pg
            print(f"round {r + 1}: import postgres {wall:.1f} s ({cpu:.1f} s CPU)", flush=True)
            ref_events = pg_events if events is None else events
            del pg_events
            times.setdefault("postgres ref", []).append(ref_postgres(ref_events, args.ref_batch))
            print(f"round {r + 1}: postgres ref {times['postgres ref'][-1]}", flush=True)
            if args.before:
                wall, cpu, _n = import_postgres(work, csv_path, args.before)
                times.setdefault("import postgres (before)", []).append((wall, cpu))
                n_events["import postgres (before)"] = n_pg
                print(f"round {r + 1}: import postgres (before) {wall:.1f} s ({cpu:.1f} s CPU)",
                      flush=True)  # fmt: skip
        if store is not None:
            shutil.rmtree(store, ignore_errors=True)
    med = {k: (statistics.median(w for w, _ in v), statistics.median(c for _, c in v))
           for k, v in times.items()}  # fmt: skip
    rows = [
        [k, f"{n_events[k]:,}", f"{w:.2f}", f"{c:.2f}", f"{n_events[k] / w:,.0f}",
         f"{n_events[k] / c:,.0f}" if c else ""]
        for k, (w, c) in med.items()
    ]  # fmt: skip
    print(tabulate(rows, headers=["what", "events", "wall s", "CPU s", "events/s (wall)",
                                  "events/s (CPU)"], tablefmt="github"))  # fmt: skip

    def ratio(a: str, b: str, i: int) -> str:
        return f"{(n_events[a] / med[a][i]) / (n_events[b] / med[b][i]):.3f}"

    for what in ("import file", "import file (before)"):
        if what in med:
            print(f"{what} / sqlite ref (rate): wall {ratio(what, 'sqlite ref', 0)}, "
                  f"CPU {ratio(what, 'sqlite ref', 1)} (goal >= 0.5)")  # fmt: skip
    for what in ("import postgres", "import postgres (before)"):
        if what in med:
            pg = [med[what][i] / med["postgres ref"][i] for i in (0, 1)]
            print(f"{what} / postgres ref (time): wall {pg[0]:.2f}x, CPU {pg[1]:.2f}x"
                  " (goal <= 1.5x)")  # fmt: skip


if __name__ == "__main__":
    main()
