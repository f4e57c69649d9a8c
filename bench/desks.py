"""Numbering under contention: writer processes on two desks creating cases in one PostgreSQL.

Each writer is a process that, like a one-shot ``new``, opens the store,
receives one case and closes it, over and over; half of them use desk A's
config, half desk B's (two store directories, one schema). Prints cases/s,
the retries (saves that met another writer's change), how many gave up
(exit 5 for ``new``), and whether the references are gapless and in order.

    python bench/desks.py --writers 16 --cases 10
    python bench/desks.py --writers 16 --cases 10 --no-lock    # the library's retries alone
    python bench/desks.py --writers 16 --cases 5 --migrated 500

``--migrated N``: the schema is not fresh but, as right after a shop moved,
a file store of N cases (received with ``import``) copied in by the CLI's
``migrate`` just before the writers start; references then go on from N+1.

Needs PostgreSQL (``POSTGRES_HOST``... or 127.0.0.1:5432, database ``test``);
it works in a fresh schema and drops it afterwards.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
import uuid
from contextlib import nullcontext
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from timing import machine, run_cli  # noqa: E402

PG = {
    "host": os.environ.get("POSTGRES_HOST", "127.0.0.1"),
    "port": int(os.environ.get("POSTGRES_PORT", "5432")),
    "dbname": os.environ.get("POSTGRES_DBNAME", "test"),
    "user": os.environ.get("POSTGRES_USER", "postgres"),
}


def _writer(desk: str, cases: int, no_lock: bool, tag: str, backend: str = "postgres") -> None:
    """One writer process: ``cases`` one-shot receives; prints a JSON line of its counts."""
    from eventsourcing.persistence import IntegrityError

    from complaintctl.app import open_app
    from complaintctl.config import load
    from events.errors import ConcurrentChange
    from events.intake import NewCase

    cfg = load(Path(desk) / "complaintctl.toml")
    retries = gave_up = 0
    refs = []
    for i in range(cases):
        app = open_app(Path(desk), policy=cfg.policy, backend=backend, settings=cfg.store,
                       encrypt_personal=cfg.encrypt_personal)  # fmt: skip
        if no_lock:
            app.numbering_lock = nullcontext
        save = app.save

        def counted(*aggs: Any, _save: Any = save, **kw: Any) -> Any:
            nonlocal retries
            try:
                return _save(*aggs, **kw)
            except IntegrityError:
                retries += 1
                raise

        app.save = counted  # type: ignore[method-assign]
        new = NewCase(customer=f"客户{tag}{i}", contact=f"139{tag}{i:04d}", channel="phone",
                      category="other", summary="bench")  # fmt: skip
        try:
            refs.append(app.receive(new, "陈总"))
        except ConcurrentChange:
            gave_up += 1
        finally:
            app.close()
    print(json.dumps({"refs": refs, "retries": retries, "gave_up": gave_up}))


def _migrated(tmp: Path, schema: str, data: dict[str, Any], cases: int) -> float:
    """A file store of ``cases`` cases, moved into the schema by ``migrate``; its seconds."""
    import tomli_w

    source = tmp / "file-store"
    source.mkdir()
    data = {**data, "store": {"backend": "file"}}
    (source / "complaintctl.toml").write_text(tomli_w.dumps(data), "utf-8")
    rows = ["customer,contact,channel,category,summary"]
    rows += [f"旧客户{i},137{i:08d},phone,other,before the move" for i in range(cases)]
    csv = tmp / "cases.csv"
    csv.write_text("\n".join(rows) + "\n", "utf-8")
    run_cli(source, "import", str(csv), actor="陈总")
    url = (f"postgresql://{PG['user']}@{PG['host']}:{PG['port']}/{PG['dbname']}"
           f"?schema={schema}")  # fmt: skip
    took, _out = run_cli(source, "migrate", "--to", "postgres", "--target", url, actor="陈总")
    return took


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--writers", type=int, default=16)
    ap.add_argument("--cases", type=int, default=10, help="cases per writer")
    ap.add_argument("--no-lock", action="store_true", help="no advisory lock: retries only")
    ap.add_argument("--migrated", type=int, default=0, help="writers start right after a migrate")
    ap.add_argument(
        "--backend",
        choices=("postgres", "file"),
        default="postgres",
        help="file: the same writers on one file store (one desk), for comparison",
    )
    ap.add_argument("--worker", nargs=3, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.worker:
        _writer(args.worker[0], args.cases, args.no_lock, args.worker[2], args.backend)
        return

    import psycopg
    import tomli_w

    from complaintctl import presets

    schema = f"bench_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(**PG, autocommit=True) as conn:
        conn.execute(f'CREATE SCHEMA "{schema}"')
    try:
        with tempfile.TemporaryDirectory() as tmp:
            desks = []
            for name in ("desk-a", "desk-b"):
                d = Path(tmp) / name
                d.mkdir()
                data = presets.preset("general")
                data["staff"]["陈总"] = {"tier": 3, "role": "manager"}
                data["store"] = {"backend": "postgres", **PG, "schema": schema}
                if args.backend == "file":  # one store: both "desks" are the same directory
                    data["store"] = {"backend": "file"}
                    d = Path(tmp) / "desk-a"
                (d / "complaintctl.toml").write_text(tomli_w.dumps(data), "utf-8")
                desks.append(d)
            if args.migrated:
                migrate_s = _migrated(Path(tmp), schema, data, args.migrated)
            else:  # as after the first desk's init: the tables are there before the writers
                migrate_s = None
                run_cli(desks[0], "list", actor="陈总")
            started = time.monotonic()
            flags = ["--cases", str(args.cases), "--backend", args.backend]
            flags += ["--no-lock"] if args.no_lock else []
            procs = [
                subprocess.Popen(
                    [
                        sys.executable,
                        __file__,
                        *flags,
                        "--worker",
                        str(desks[n % 2]),
                        "-",
                        f"{n:02d}",
                    ],
                    stdout=subprocess.PIPE,
                    text=True,
                )
                for n in range(args.writers)
            ]
            results = [json.loads(p.communicate()[0].strip().splitlines()[-1]) for p in procs]
            seconds = time.monotonic() - started
    finally:
        with psycopg.connect(**PG, autocommit=True) as conn:
            conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
    refs = sorted(r for res in results for r in res["refs"])
    numbers = [int(r.rsplit("-", 1)[1]) for r in refs]
    made = len(refs)
    print(
        json.dumps(
            {
                "backend": args.backend,
                "writers": args.writers,
                "lock": not args.no_lock,
                "cases": made,
                "seconds": round(seconds, 2),
                "cases_per_s": round(made / seconds, 1),
                "retries": sum(r["retries"] for r in results),
                "gave_up": sum(r["gave_up"] for r in results),
                "migrated_cases": args.migrated,
                "migrate_seconds": None if migrate_s is None else round(migrate_s, 1),
                "gapless": numbers == list(range(args.migrated + 1, args.migrated + made + 1)),
                "unique": len(set(refs)) == made,
                "machine": machine(),
            }
        )
    )


if __name__ == "__main__":
    main()
