"""Import and migrate at size, on every backend, as whole commands.

    .venv/bin/python bench/portability.py [--cases 100000] [--events 1000000] [--quick]

1. Writes a CSV of N cases (repeat customers included), then times
   ``complaintctl import`` of it into a fresh store on the file store, the
   library's SQLite store and PostgreSQL (a schema of its own, dropped after).
2. Builds (or reuses) a store of M events with ``bench/make_store.py`` and
   times ``complaintctl migrate`` of it into PostgreSQL and into SQLite,
   including the proof (both sides re-read and digested).

Prints a table; PostgreSQL is the local service (POSTGRES_HOST/PORT/USER/
DBNAME, default 127.0.0.1:5432 postgres/test).
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

from tabulate import tabulate

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from complaintctl.app import persistence_env  # noqa: E402
from complaintctl.migrate import construct_factory  # noqa: E402

PG = {
    "host": os.environ.get("POSTGRES_HOST", "127.0.0.1"),
    "port": os.environ.get("POSTGRES_PORT", "5432"),
    "dbname": os.environ.get("POSTGRES_DBNAME", "test"),
    "user": os.environ.get("POSTGRES_USER", "postgres"),
}
ACTOR = "陈总"
CHANNELS = ["walk-in", "phone", "email", "web"]
CATEGORIES = ["repair-quality", "misquote", "service-attitude", "billing"]


def cli(store: Path, *args: str, env: dict[str, str] | None = None) -> tuple[float, str]:
    cmd = [sys.executable, "-m", "complaintctl", "--store", str(store), "--actor", ACTOR, *args]
    t = time.perf_counter()
    r = subprocess.run(cmd, capture_output=True, text=True, env=env, check=False)
    elapsed = time.perf_counter() - t
    if r.returncode != 0:
        raise SystemExit(f"{' '.join(args[:2])} failed ({r.returncode}): {r.stderr[-2000:]}")
    return elapsed, r.stdout


def write_csv(path: Path, n: int) -> None:
    rng = random.Random(42)
    with open(path, "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["customer", "contact", "channel", "category", "summary", "received_at"])
        for i in range(n):
            person = rng.randrange(max(n // 3, 1))
            w.writerow(
                [
                    f"客户{person}",
                    f"13{person:09d}",
                    rng.choice(CHANNELS),
                    rng.choice(CATEGORIES),
                    f"问题描述 {i}: 维修后仍有异响",
                    f"2026-{rng.randint(1, 10):02d}-{rng.randint(1, 28):02d}"
                    f"T{rng.randint(8, 18):02d}:00",
                ]
            )


def event_count(env: dict[str, str]) -> int:
    f = construct_factory(env)
    try:
        n = 0
        rec = f.application_recorder()
        start = 0
        while True:
            page = rec.select_notifications(start=start, limit=10000, inclusive_of_start=False)
            if not page:
                return n
            n += len(page)
            start = page[-1].id
    finally:
        f.close()


def pg_schema(create: bool, name: str) -> None:
    import psycopg

    with psycopg.connect(
        host=PG["host"],
        port=int(PG["port"]),
        dbname=PG["dbname"],
        user=PG["user"],
        autocommit=True,
    ) as conn:
        if create:
            conn.execute(f'CREATE SCHEMA "{name}"')
        else:
            conn.execute(f'DROP SCHEMA IF EXISTS "{name}" CASCADE')


def pg_env(schema: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("COMPLAINTCTL_")}
    env.update(
        POSTGRES_HOST=PG["host"],
        POSTGRES_PORT=PG["port"],
        POSTGRES_DBNAME=PG["dbname"],
        POSTGRES_USER=PG["user"],
        POSTGRES_SCHEMA=schema,
    )
    return env


def bench_import(work: Path, cases: int) -> list[list[Any]]:
    csv_path = work / "cases.csv"
    write_csv(csv_path, cases)
    rows = []
    for backend in ("file", "sqlite", "postgres"):
        store = work / f"import-{backend}"
        schema = f"bench_{uuid.uuid4().hex[:8]}"
        env = {k: v for k, v in os.environ.items() if not k.startswith("COMPLAINTCTL_")}
        if backend == "postgres":
            pg_schema(True, schema)
            env = pg_env(schema)
        try:
            cli(store, "--backend", backend, "init", "--preset", "car-service", env=env)
            seconds, out = cli(
                store, "--backend", backend, "import", str(csv_path), "--json", env=env
            )
            imported = json.loads(out)["imported"]
            settings: dict[str, Any] = {}
            if backend == "postgres":
                settings = {**PG, "schema": schema}
            events = event_count(persistence_env(store, backend, settings, environ={}))
            rows.append(
                [
                    f"import {imported:,} cases",
                    backend,
                    f"{events:,}",
                    f"{seconds:.1f}",
                    f"{imported / seconds:,.0f}",
                    f"{events / seconds:,.0f}",
                ]
            )
            print(rows[-1], flush=True)
        finally:
            if backend == "postgres":
                pg_schema(False, schema)
    return rows


def bench_migrate(work: Path, events: int) -> list[list[Any]]:
    big = work / f"store-{events}"
    if not (big / "events.jsonl").exists():
        subprocess.run(
            [
                sys.executable,
                str(ROOT / "bench" / "make_store.py"),
                str(big),
                "--events",
                str(events),
            ],
            check=True,
        )
    n = event_count(persistence_env(big, "file", {}))
    rows = []
    schema = f"bench_{uuid.uuid4().hex[:8]}"
    pg_schema(True, schema)
    try:
        url = f"postgresql://{PG['user']}@{PG['host']}:{PG['port']}/{PG['dbname']}?schema={schema}"
        seconds, out = cli(big, "migrate", "--to", "postgres", "--target", url, "--json")
        assert json.loads(out)["ok"]
        rows.append(
            [
                "migrate file -> postgres",
                "postgres",
                f"{n:,}",
                f"{seconds:.1f}",
                "",
                f"{n / seconds:,.0f}",
            ]
        )
        print(rows[-1], flush=True)
    finally:
        pg_schema(False, schema)
    db = work / "migrated.db"
    seconds, out = cli(big, "migrate", "--to", "sqlite", "--target", str(db), "--json")
    assert json.loads(out)["ok"]
    rows.append(
        ["migrate file -> sqlite", "sqlite", f"{n:,}", f"{seconds:.1f}", "", f"{n / seconds:,.0f}"]
    )
    print(rows[-1], flush=True)
    return rows


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--cases", type=int, default=100_000)
    ap.add_argument("--events", type=int, default=1_000_000)
    ap.add_argument("--quick", action="store_true", help="1,000 cases and 20,000 events")
    ap.add_argument("--work", type=Path, help="working directory (default: a temp dir)")
    ap.add_argument("--skip-import", action="store_true")
    ap.add_argument("--skip-migrate", action="store_true")
    args = ap.parse_args()
    if args.quick:
        args.cases, args.events = 1000, 20_000
    work = args.work or Path(tempfile.mkdtemp(prefix="complaintctl-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    rows: list[list[Any]] = []
    try:
        if not args.skip_import:
            rows += bench_import(work, args.cases)
        if not args.skip_migrate:
            rows += bench_migrate(work, args.events)
    finally:
        if args.work is None:
            shutil.rmtree(work, ignore_errors=True)
    print(
        tabulate(
            rows,
            headers=["what", "backend", "events", "seconds", "cases/s", "events/s"],
            tablefmt="github",
        )
    )


if __name__ == "__main__":
    main()
