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

``cases_per_s`` counts from starting the writer processes (their imports
included) to the last case; ``writing_cases_per_s`` from the moment every
writer has imported and is told to go (the numbering under contention alone).
``client_cpu_s`` is the writers' CPU, ``import_cpu_s`` the part of it spent
before they were ready (interpreter and imports), ``server_cpu_s`` that of
the PostgreSQL backends that ended during the run, as the postmaster reaped
them (``/proc``: a server on this machine; other sessions' backends that
ended meanwhile are in it too, so it is an upper bound).
``numbering_span_s``: from the first case's numbering lock granted to the
last case committed (the lock's queue alone), ``numbering_held_ms`` the
median time a writer held it (granted, case built, saved and committed, as
the writer sees it).
``--cli``: each case is a real one-shot ``complaintctl new`` process (its
interpreter, imports, settings read and output included), ``--cases`` of them
one after another per writer. ``--rounds N --backend both``: PostgreSQL and
the file store taking turns, N runs each, then the medians.

Needs PostgreSQL (``POSTGRES_HOST``... or 127.0.0.1:5432, database ``test``);
it works in a fresh schema and drops it afterwards.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from timing import cli_env, machine, run_cli  # noqa: E402

PG = {
    "host": os.environ.get("POSTGRES_HOST", "127.0.0.1"),
    "port": int(os.environ.get("POSTGRES_PORT", "5432")),
    "dbname": os.environ.get("POSTGRES_DBNAME", "test"),
    "user": os.environ.get("POSTGRES_USER", "postgres"),
}


def _reaped_cpu(pid: int | None) -> float | None:
    """CPU seconds of a process's ended children (the postmaster's backends); None: unseen."""
    if pid is None:
        return None
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:  # a server on another machine
        return None
    return (int(fields[13]) + int(fields[14])) / os.sysconf("SC_CLK_TCK")


def _postmaster(conn: Any) -> int | None:
    """The pid of the server's postmaster (its backends' parent), if it runs here."""
    backend = conn.execute("SELECT pg_backend_pid()").fetchone()[0]
    try:
        return int(Path(f"/proc/{backend}/stat").read_text().rsplit(")", 1)[1].split()[1])
    except OSError:
        return None


def _ready() -> None:
    """Tell the bench this writer has imported (and its CPU so far); wait for everyone's start."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    print(f"ready {usage.ru_utime + usage.ru_stime:.4f}", flush=True)
    sys.stdin.readline()


def _cli_writer(desk: str, cases: int, tag: str) -> None:
    """One writer of ``--cli``: ``cases`` real ``complaintctl new`` processes, one after another."""
    _ready()
    refs, gave_up, failed = [], 0, []
    for i in range(cases):
        proc = subprocess.run(
            [sys.executable, "-m", "complaintctl", "--store", desk, "--actor", "陈总", "new",
             "--customer", f"客户{tag}{i}", "--contact", f"139{tag}{i:04d}", "--channel", "phone",
             "--category", "other", "--summary", "bench"],
            capture_output=True, text=True, env=cli_env(), check=False,
        )  # fmt: skip
        if proc.returncode == 0:
            refs.append(proc.stdout.strip().splitlines()[-1])
        elif proc.returncode == 5:
            gave_up += 1
        else:
            failed.append(proc.stderr.strip()[-300:])
    print(json.dumps({"refs": refs, "retries": None, "gave_up": gave_up, "failed": failed}))


def _writer(desk: str, cases: int, no_lock: bool, tag: str, backend: str = "postgres") -> None:
    """One writer process: ``cases`` one-shot receives; prints a JSON line of its counts."""
    from eventsourcing.persistence import IntegrityError

    from complaintctl.app import open_app, persistence_env
    from complaintctl.config import load
    from events.errors import ConcurrentChange
    from events.intake import NewCase
    from events.receipt import no_lock as unlocked

    cfg = load(Path(desk) / "complaintctl.toml")
    retries = gave_up = 0
    refs = []
    held: list[tuple[float, float]] = []  # per case: the lock granted, the case committed
    # What the first case would import: the write model, the store's module, the cipher.
    import importlib

    import events.application  # noqa: F401

    env = persistence_env(Path(desk), backend, cfg.store)
    importlib.import_module(env["PERSISTENCE_MODULE"])
    importlib.import_module("Crypto.Cipher.AES")
    _ready()
    for i in range(cases):
        app = open_app(Path(desk), policy=cfg.policy, backend=backend, settings=cfg.store,
                       encrypt_personal=cfg.encrypt_personal)  # fmt: skip
        if no_lock:
            app.numbering_lock = unlocked

        @contextmanager
        def timed(counter: Any = None, _lock: Any = app.numbering_lock) -> Iterator[Any]:
            with _lock(counter) as last:
                granted = time.time()
                yield last
            held.append((granted, time.time()))

        app.numbering_lock = timed
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
    print(json.dumps({"refs": refs, "retries": retries, "gave_up": gave_up, "failed": [],
                      "held": held}))  # fmt: skip


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


def _run(args: argparse.Namespace, backend: str) -> dict[str, Any]:
    """One run: a fresh schema (or store), the writers at once; the figures as a dict."""
    import psycopg
    import tomli_w

    from complaintctl import presets

    schema = f"bench_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(**PG, autocommit=True) as conn:
        conn.execute(f'CREATE SCHEMA "{schema}"')
        postmaster = _postmaster(conn)
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    try:
        with tempfile.TemporaryDirectory() as tmp:
            desks = []
            for name in ("desk-a", "desk-b"):
                d = Path(tmp) / name
                d.mkdir()
                data = presets.preset("general")
                data["staff"]["陈总"] = {"tier": 3, "role": "manager"}
                data["store"] = {"backend": "postgres", **PG, "schema": schema}
                if backend == "file":  # one store: both "desks" are the same directory
                    data["store"] = {"backend": "file"}
                    d = Path(tmp) / "desk-a"
                (d / "complaintctl.toml").write_text(tomli_w.dumps(data), "utf-8")
                desks.append(d)
            if args.migrated:
                migrate_s = _migrated(Path(tmp), schema, data, args.migrated)
            else:  # as after the first desk's init: the tables are there before the writers
                migrate_s = None
                run_cli(desks[0], "list", actor="陈总")
            before = resource.getrusage(resource.RUSAGE_CHILDREN)
            server_before = _reaped_cpu(postmaster)
            started = time.monotonic()
            flags = ["--cases", str(args.cases), "--backend", backend]
            flags += ["--no-lock"] if args.no_lock else []
            flags += ["--cli"] if args.cli else []
            procs = []
            for n in range(args.writers):
                cmd = [sys.executable, __file__, *flags, "--worker", str(desks[n % 2]), "-"]
                procs.append(
                    subprocess.Popen(
                        [*cmd, f"{n:02d}"], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
                    )
                )
            import_cpu = 0.0
            for p in procs:  # every writer has imported what it needs
                assert p.stdout is not None
                word, cpu = p.stdout.readline().split()
                assert word == "ready"
                import_cpu += float(cpu)
            going = time.monotonic()
            for p in procs:
                assert p.stdin is not None
                p.stdin.write("go\n")
                p.stdin.flush()
            results = [json.loads(p.communicate()[0].strip().splitlines()[-1]) for p in procs]
            done = time.monotonic()
            after = resource.getrusage(resource.RUSAGE_CHILDREN)
            server_after = _reaped_cpu(postmaster)
    finally:
        with psycopg.connect(**PG, autocommit=True) as conn:
            conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
    refs = sorted(r for res in results for r in res["refs"])
    numbers = [int(r.rsplit("-", 1)[1]) for r in refs]
    made = len(refs)
    server = None
    if backend == "postgres" and server_before is not None and server_after is not None:
        server = round(server_after - server_before, 2)
    retries = [r["retries"] for r in results if r["retries"] is not None]
    held = sorted(h for r in results for h in r.get("held", ()))
    return {
        "backend": backend,
        "cli": args.cli,
        "writers": args.writers,
        "lock": not args.no_lock,
        "cases": made,
        "seconds": round(done - started, 2),
        "cases_per_s": round(made / (done - started), 1),
        "writing_seconds": round(done - going, 2),
        "writing_cases_per_s": round(made / (done - going), 1),
        "client_cpu_s": round(
            after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime, 2
        ),
        "import_cpu_s": round(import_cpu, 2),
        "numbering_span_s": round(held[-1][1] - held[0][0], 2) if held else None,
        "numbering_held_ms": round(1000 * statistics.median(b - a for a, b in held), 1)
        if held
        else None,
        "server_cpu_s": server,
        "retries": sum(retries) if retries else None,
        "gave_up": sum(r["gave_up"] for r in results),
        "failed": [f for r in results for f in r["failed"]][:3],
        "migrated_cases": args.migrated,
        "migrate_seconds": None if migrate_s is None else round(migrate_s, 1),
        "gapless": numbers == list(range(args.migrated + 1, args.migrated + made + 1)),
        "unique": len(set(refs)) == made,
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--writers", type=int, default=16)
    ap.add_argument("--cases", type=int, default=10, help="cases per writer")
    ap.add_argument("--no-lock", action="store_true", help="no advisory lock: retries only")
    ap.add_argument("--migrated", type=int, default=0, help="writers start right after a migrate")
    ap.add_argument(
        "--backend",
        choices=("postgres", "file", "both"),
        default="postgres",
        help="file: the same writers on one file store (one desk); both: taking turns",
    )
    ap.add_argument("--cli", action="store_true", help="each case a `complaintctl new` process")
    ap.add_argument("--rounds", type=int, default=1, help="runs of each backend, taking turns")
    ap.add_argument("--worker", nargs=3, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.worker:
        if args.cli:
            _cli_writer(args.worker[0], args.cases, args.worker[2])
        else:
            _writer(args.worker[0], args.cases, args.no_lock, args.worker[2], args.backend)
        return
    backends = ("postgres", "file") if args.backend == "both" else (args.backend,)
    info = machine()
    runs: dict[str, list[dict[str, Any]]] = {b: [] for b in backends}
    for _round in range(args.rounds):
        for backend in backends:
            run = _run(args, backend)
            runs[backend].append(run)
            print(json.dumps(run), flush=True)
    keys = ("cases_per_s", "writing_cases_per_s", "numbering_span_s", "client_cpu_s",
            "import_cpu_s", "server_cpu_s")  # fmt: skip
    medians = {
        b: {k: statistics.median(r[k] for r in rs) if rs[0][k] is not None else None for k in keys}
        for b, rs in runs.items()
    }
    print(json.dumps({"medians": medians, "machine": info}))


if __name__ == "__main__":
    main()
