"""A one-shot ``new`` on PostgreSQL: one connection, and a numbering that still rolls back.

Sixteen writers at once queue on the numbering lock, so what a case costs
while holding it, and what every case costs the server (a backend per
connection), bounds their throughput. A warm desk's ``new`` opens one
connection, also where the config does not say to seal (the question whether
the shop ever sealed personal data is then asked on the application's own
connection; it took a second one), counted by the server in a database of
the test's own. The case's insert and the commit go in one round trip; when
the insert meets another writer's change, the transaction rolls back and the
case is numbered again, with no gap.
"""

from __future__ import annotations

import threading
import time
import tomllib
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import tomli_w
from conftest import ADVISER, Store, make_store, run_cli
from eventsourcing.persistence import IntegrityError
from pgsupport import PG, _connect, pg_schema, postgres_or_skip  # noqa: F401  (fixture)

from complaintctl import config as configuration
from complaintctl.app import open_app
from events.intake import NewCase
from events.receipt import no_lock

NEW = ("new", "--customer", "王先生", "--contact", "13800000000", "--channel", "walk-in",
       "--category", "other", "--summary", "报价错误")  # fmt: skip


@pytest.fixture
def database() -> Iterator[tuple[Any, str]]:
    """A database of the test's own, and a connection to another one to count with."""
    postgres_or_skip()
    dbname = f"pgdesks2_{uuid.uuid4().hex[:12]}"
    with _connect() as conn:
        conn.execute(f'CREATE DATABASE "{dbname}"')
        try:
            yield conn, dbname
        finally:
            conn.execute(f'DROP DATABASE IF EXISTS "{dbname}" WITH (FORCE)')


def _sessions(conn: Any, dbname: str) -> int:
    """Sessions ever opened on the database, once no session is open on it."""
    deadline = time.monotonic() + 60
    open_now = "SELECT count(*) FROM pg_stat_activity WHERE datname = %s"
    while conn.execute(open_now, (dbname,)).fetchone()[0]:
        assert time.monotonic() < deadline, "sessions still open after 60 s"
        time.sleep(0.05)
    conn.execute("SELECT pg_stat_clear_snapshot()")
    query = "SELECT sessions FROM pg_stat_database WHERE datname = %s"
    return int(conn.execute(query, (dbname,)).fetchone()[0])


@pytest.mark.parametrize("sealing", [True, False])
def test_a_warm_desks_new_opens_one_connection(
    tmp_path: Path, database: tuple[Any, str], sealing: bool
) -> None:
    conn, dbname = database
    settings = {k: v for k, v in PG.items() if k != "dbname"} | {"dbname": dbname}
    desk = make_store(tmp_path / "desk", preset="general", backend="postgres", **settings)
    path = desk.path / configuration.CONFIG_NAME
    data = tomllib.loads(path.read_text("utf-8"))
    data["privacy"]["encrypt_personal"] = sealing  # without: "has it ever sealed?" is asked
    path.write_text(tomli_w.dumps(data), "utf-8")
    first = run_cli(desk.path, *NEW)  # the tables are made, the cache built
    assert first.returncode == 0, first.stderr
    counts, refs = [], [first.stdout.strip()]
    for _ in range(2):
        before = _sessions(conn, dbname)
        r = run_cli(desk.path, *NEW)
        assert r.returncode == 0, (r.stdout, r.stderr)
        refs.append(r.stdout.strip())
        counts.append(_sessions(conn, dbname) - before)
    assert counts == [1, 1], counts
    assert [int(ref.rsplit("-", 1)[1]) for ref in refs] == [1, 2, 3], refs


def _open(store: Store) -> Any:
    cfg = configuration.load(store.path / configuration.CONFIG_NAME)
    return open_app(store.path, policy=cfg.policy, backend="postgres", settings=cfg.store,
                    encrypt_personal=cfg.encrypt_personal)  # fmt: skip


def test_a_numbering_whose_insert_collides_rolls_back_and_numbers_again(
    tmp_path: Path,
    pg_schema: dict[str, Any],  # noqa: F811
) -> None:
    desk = make_store(tmp_path / "desk", backend="postgres", **pg_schema)
    new = NewCase(customer="王先生", contact="13800000000", channel="walk-in",
                  category="misquote", summary="报价错误")  # fmt: skip
    waiting, other = _open(desk), _open(desk)
    other.numbering_lock = no_lock  # saves past the lock: the customer's file moves under it
    name = f"complaintctl:numbering:{pg_schema['schema']}"
    got: list[str] = []
    collisions: list[Exception] = []
    save = waiting.save

    def counted(*aggregates: Any, **kwargs: Any) -> Any:
        try:
            return save(*aggregates, **kwargs)
        except IntegrityError as e:
            collisions.append(e)
            raise

    waiting.save = counted
    with _connect() as holder:
        holder.execute("BEGIN")
        holder.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", (name,))
        writer = threading.Thread(target=lambda: got.append(waiting.receive(new, ADVISER)))
        writer.start()
        deadline = time.monotonic() + 30
        query = "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted"
        while not holder.execute(query).fetchone()[0]:  # it read the file, now it waits
            assert time.monotonic() < deadline, "the writer never waited for the lock"
            time.sleep(0.02)
        first = other.receive(new, ADVISER)  # the same customer's file, one version on
        holder.execute("COMMIT")
        writer.join(60)
    assert not writer.is_alive()
    waiting.close()
    other.close()
    assert collisions, "the waiting writer's insert never met the other's change"
    assert [int(r.rsplit("-", 1)[1]) for r in (first, *got)] == [1, 2], (first, got)
    listed = desk.invoke("list", "--json")
    assert listed.exit_code == 0, listed.stderr
    assert first in listed.stdout and got[0] in listed.stdout


def test_a_pool_lent_to_an_application_and_closed_with_it_is_made_again(
    tmp_path: Path,
    pg_schema: dict[str, Any],  # noqa: F811
) -> None:
    from complaintctl.app import persistence_env
    from complaintctl.postgres import PostgresFactory
    from complaintctl.shareddb import SharedDb

    env = persistence_env(tmp_path, "postgres", dict(pg_schema), environ={})
    db = SharedDb.for_env(env)
    assert db is not None
    assert not db.has_table("no_such_table")  # asked before an application: a pool, lent on
    factory = PostgresFactory(env)  # as the application's: takes the pool over
    assert factory.datastore is db._pg()
    factory.close()  # the application closes it
    assert db.run("SELECT 1 AS one") == [{"one": 1}]  # a pool of its own again
    db.close()


def test_a_forked_child_does_not_take_its_parents_lent_connection(
    tmp_path: Path,
    pg_schema: dict[str, Any],  # noqa: F811
) -> None:
    import os

    from complaintctl.app import persistence_env
    from complaintctl.postgres import PostgresFactory
    from complaintctl.shareddb import SharedDb

    env = persistence_env(tmp_path, "postgres", dict(pg_schema), environ={})
    db = SharedDb.for_env(env)
    assert db is not None
    db.has_table("no_such_table")  # the pool is open, lent on
    pid = os.fork()
    if pid == 0:  # the child: a factory of its own, never the parent's socket
        os._exit(0 if PostgresFactory(env).datastore is not db._pg() else 1)
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0
    factory = PostgresFactory(env)  # in the parent, the lent pool is still there to take
    assert factory.datastore is db._pg()
    factory.close()
    db.close()
