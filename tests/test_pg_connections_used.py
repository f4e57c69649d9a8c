"""How many connections a one-shot command opens on the PostgreSQL server: one or two.

Counted by the server itself: the test gets a database of its own, so the
server's cumulative ``pg_stat_database.sessions`` of that database moves only
for the command's connections (the counting connection is to another
database). After each command the test waits until the database has no
backend left, so every session of the command is in the count.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from conftest import make_store, run_cli
from pgsupport import PG, _connect, postgres_or_skip


class Server:
    """A connection to count with, and the database the desk works on."""

    def __init__(self, conn: Any, dbname: str) -> None:
        self.conn = conn
        self.dbname = dbname

    def _quiet(self) -> None:
        """Wait until no session is open on the database (a closed one ends soon after)."""
        deadline = time.monotonic() + 60
        query = "SELECT count(*) FROM pg_stat_activity WHERE datname = %s"
        while self.conn.execute(query, (self.dbname,)).fetchone()[0]:
            assert time.monotonic() < deadline, "sessions still open on the database after 60 s"
            time.sleep(0.05)

    def sessions(self) -> int:
        """Sessions ever opened on the database, once every open one has ended."""
        self._quiet()
        self.conn.execute("SELECT pg_stat_clear_snapshot()")
        query = "SELECT sessions FROM pg_stat_database WHERE datname = %s"
        return int(self.conn.execute(query, (self.dbname,)).fetchone()[0])


@pytest.fixture
def server() -> Iterator[Server]:
    postgres_or_skip()
    dbname = f"conn_{uuid.uuid4().hex[:12]}"
    with _connect() as conn:
        conn.execute(f'CREATE DATABASE "{dbname}"')
        try:
            yield Server(conn, dbname)
        finally:
            conn.execute(f'DROP DATABASE IF EXISTS "{dbname}" WITH (FORCE)')


def test_show_new_and_list_open_one_or_two_connections(tmp_path: Path, server: Server) -> None:
    settings = {k: v for k, v in PG.items() if k != "dbname"} | {"dbname": server.dbname}
    desk = make_store(tmp_path / "desk", backend="postgres", **settings)
    new = ["new", "--customer", "王先生", "--contact", "13800000000", "--channel", "walk-in",
           "--category", "misquote", "--summary", "报价错误"]  # fmt: skip
    counts: dict[str, list[int]] = {}
    ref = ""
    for _round in range(2):  # the first read of a desk builds its cache; the second is warm
        for name in ("new", "show", "list"):
            args = new if name == "new" else ["show", ref] if name == "show" else ["list"]
            before = server.sessions()
            r = run_cli(desk.path, *args)
            assert r.returncode == 0, (args, r.stdout, r.stderr)
            if name == "new":
                ref = r.stdout.strip()
            counts.setdefault(name, []).append(server.sessions() - before)
    assert all(1 <= n <= 2 for seen in counts.values() for n in seen), counts
