"""The shop's own tables beside the library's, in the database that holds the events.

With SQLite or PostgreSQL every desk of a shop works on one database, so
what every desk must see alike lives there too: the per-customer keys
(:mod:`complaintctl.keyring`) and the attachments
(:mod:`complaintctl.attachments`), each in tables of their own, never in the
event log. This module only reaches the database and creates tables; what
goes in them is said by those two modules.

- PostgreSQL: the tables live in the store's schema (``[store] schema``, else
  ``public``), reached through the application's own connection pool once
  :meth:`SharedDb.bind` is called, so a command opens no extra connection.
  Before that (the one question asked before the application opens: has this
  store ever sealed personal data?) a pool of one connection of its own is used,
  lent on to the application opened next on the same settings
  (``PostgresFactory.lending``): a one-shot command opens one connection.
- SQLite: the tables live in the same database file as the events, reached
  through a connection of our own (WAL, as the library sets it;
  ``synchronous=FULL``, so a commit is on disk; ``secure_delete``, so a
  deleted key's bytes are overwritten).

SQL is written once with ``?`` placeholders and ``{blob}`` for the binary type.
"""

from __future__ import annotations

import contextlib
import sqlite3
import threading
import zlib
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

SQLITE = "sqlite"
POSTGRES = "postgres"
_MODULES = {
    "eventsourcing.sqlite": SQLITE,
    "eventsourcing.postgres": POSTGRES,
    "complaintctl.postgres": POSTGRES,  # the library's, passing sslmode too
}
# One advisory lock serialises our CREATE TABLEs across processes (PostgreSQL only).
_DDL_LOCK = zlib.crc32(b"complaintctl-shared-tables")


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


class SharedDb:
    """One store's database, for the tables every desk shares (not the event log)."""

    def __init__(self, dialect: str, env: Mapping[str, str]) -> None:
        if dialect not in (SQLITE, POSTGRES):
            raise ValueError(f"no shared database for {dialect!r}")
        self.dialect = dialect
        self.env = dict(env)
        self._datastore: Any = None  # PostgreSQL: the application's, or our own
        self._own = False
        self._lent: Any = None  # our own's factory, whose pool the application may take over
        self._sqlite: sqlite3.Connection | None = None
        self._made: set[str] = set()
        self._lock = threading.RLock()

    @classmethod
    def for_env(cls, env: Mapping[str, str]) -> SharedDb | None:
        """The shared database of a persistence environment; None for the file store."""
        dialect = _MODULES.get(env.get("PERSISTENCE_MODULE", ""))
        return cls(dialect, env) if dialect else None

    @classmethod
    def for_app(cls, app: Any) -> SharedDb | None:
        """The shared database of an open application, on its connections."""
        env = {k: str(app.env.get(k) or "") for k in _ENV_KEYS}
        db = cls.for_env(env)
        if db is not None:
            db.bind(app)
        return db

    def __getstate__(self) -> dict[str, Any]:
        """Picklable (a helper process): it reconnects on its own."""
        keep = ("dialect", "env")
        return {k: v for k, v in self.__dict__.items() if k in keep}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__init__(state["dialect"], state["env"])  # type: ignore[misc]

    # -- reaching the database --------------------------------------------------

    def bind(self, app: Any) -> None:
        """Use the application's connection pool from now on (PostgreSQL)."""
        datastore = getattr(getattr(app, "recorder", None), "datastore", None)
        if self.dialect != POSTGRES or datastore is None:
            return
        with self._lock:
            if self._own and self._datastore is not None and self._datastore is not datastore:
                self._datastore.close()
            self._datastore, self._own, self._lent = datastore, False, None
            # The tables the application's factory saw in the schema need no look of ours.
            relations = getattr(getattr(app, "factory", None), "relations", None)
            if callable(relations):
                self._made.update(relations())

    @property
    def location(self) -> str:
        """Which database this is (no password): SQLite's file, PostgreSQL's schema."""
        if self.dialect == SQLITE:
            return f"sqlite:{Path(self.sqlite_path).resolve()}"
        e = self.env
        where = f"{e.get('POSTGRES_HOST', '')}:{e.get('POSTGRES_PORT', '5432')}"
        return f"postgres:{where}/{e.get('POSTGRES_DBNAME', '')}/{self._pg().schema}"

    @property
    def sqlite_path(self) -> str:
        return self.env.get("SQLITE_DBNAME", "")

    def exists(self) -> bool:
        """Whether the database is there at all (a SQLite file may not be yet)."""
        if self.dialect == SQLITE:
            name = self.sqlite_path
            return not name.startswith("file:") and Path(name).exists()
        return True

    def _pg(self) -> Any:
        if self._lent is not None and self._lent.handed_over and self._datastore.pool.closed:
            # The application that took our pool over has closed it: one of our own again.
            self._datastore, self._own, self._lent = None, False, None
        if self._datastore is None:
            from complaintctl.postgres import PostgresFactory

            env = {**self.env, "POSTGRES_POOL_SIZE": "1", "POSTGRES_MAX_OVERFLOW": "0"}
            # Lent on: the application opened next on these settings uses its connection.
            self._lent = PostgresFactory.lending(env)
            self._datastore, self._own = self._lent.datastore, True
        return self._datastore

    def _sq(self) -> sqlite3.Connection:
        if self._sqlite is None:
            try:
                db = sqlite3.connect(
                    self.sqlite_path,
                    uri=True,
                    timeout=60,
                    isolation_level=None,
                    check_same_thread=False,
                )
            except sqlite3.Error as e:
                from eventsourcing import persistence

                raise persistence.InterfaceError(str(e)) from e
            db.row_factory = sqlite3.Row
            with _sqlite_errors():
                db.execute("PRAGMA journal_mode=WAL")  # as the library has it
                db.execute("PRAGMA synchronous=FULL")  # a commit is on disk
                db.execute("PRAGMA secure_delete=ON")  # a deleted key is overwritten
            self._sqlite = db
        return self._sqlite

    def sql(self, text: str) -> str:
        """Our SQL in this dialect: ``{t:name}`` tables, ``{blob}``, ``?`` placeholders."""
        text = text.replace("{blob}", "bytea" if self.dialect == POSTGRES else "BLOB")
        if self.dialect == POSTGRES:
            schema = _quote(self._pg().schema)
            text = text.replace("?", "%s").replace("{t:", "{t:" + schema + ".")
        while "{t:" in text:
            start = text.index("{t:")
            end = text.index("}", start)
            text = text[:start] + text[start + 3 : end] + text[end + 1 :]
        return text

    @contextmanager
    def transaction(self, *, write: bool = True) -> Iterator[Any]:
        """A cursor in one committed transaction (SQLite: a writer's BEGIN IMMEDIATE, or a
        reader's BEGIN, which takes no lock another desk's writer would wait for)."""
        with self._lock:
            if self.dialect == POSTGRES:
                with self._pg().transaction(commit=True) as cursor:
                    yield cursor
                return
            db = self._sq()
            with _sqlite_errors():
                db.execute("BEGIN IMMEDIATE" if write else "BEGIN")
                try:
                    yield db.cursor()
                except BaseException:
                    if db.in_transaction:  # SQLite rolled back already on a full disk
                        db.execute("ROLLBACK")
                    raise
                db.execute("COMMIT")

    def run(self, text: str, params: tuple[Any, ...] = ()) -> list[Any]:
        """One statement in a transaction of its own; its rows.

        On PostgreSQL the statement goes alone on the autocommit connection (one
        statement is a transaction of its own): one round trip, where BEGIN and
        COMMIT around it would make three.
        """
        write = not text.lstrip().upper().startswith("SELECT")
        if self.dialect == POSTGRES:
            with self._lock, self._pg().get_connection() as conn:
                cursor = conn.execute(self.sql(text), params)
                return list(cursor.fetchall()) if cursor.description else []
        with self.transaction(write=write) as c:
            c.execute(self.sql(text), params)
            return list(c.fetchall()) if c.description else []

    def has_table(self, name: str) -> bool:
        if name in self._made:
            return True
        if self.dialect == POSTGRES:
            schema = self._pg().schema
            if self._lent is not None:  # our own: the catalogue, read once for the application too
                found = bool(self._lent.has_relation(name))
            else:
                qualified = f"{_quote(schema)}.{name}"
                rows = self.run("SELECT to_regclass(?) IS NOT NULL AS found", (qualified,))
                found = bool(rows[0]["found"])
        else:
            if not self.exists():
                return False
            rows = self.run("SELECT 1 AS found FROM sqlite_master WHERE name = ?", (name,))
            found = bool(rows)
        if found:
            self._made.add(name)
        return found

    def ensure(self, name: str, ddl: str) -> None:
        """Create table ``name`` with ``ddl`` unless it exists; safe when processes race.

        PostgreSQL's ``CREATE TABLE IF NOT EXISTS`` is not safe against another
        session creating the same table at once (a duplicate key in the catalogue),
        so creators queue on one advisory lock; SQLite serialises writers anyway.
        """
        if self.has_table(name):
            return
        with self.transaction() as c:
            if self.dialect == POSTGRES:
                c.execute("SELECT pg_advisory_xact_lock(%s)", (_DDL_LOCK,))
            for statement in self.sql(ddl).split(";"):
                if statement.strip():
                    c.execute(statement)
        self._made.add(name)

    def checkpoint(self) -> None:
        """SQLite: move committed pages from the WAL into the main file (best effort)."""
        if self.dialect == SQLITE and self._sqlite is not None:
            # A reader holding the WAL makes it fail: the next checkpoint moves it.
            with contextlib.suppress(sqlite3.Error):
                self._sqlite.execute("PRAGMA wal_checkpoint(TRUNCATE)")

    def close(self) -> None:
        with self._lock:
            if self._sqlite is not None:
                self._sqlite.close()
                self._sqlite = None
            lent_on = self._lent is not None and self._lent.handed_over
            if self._own and self._datastore is not None and not lent_on:
                self._datastore.close()
            self._datastore, self._own, self._lent = None, False, None


_ENV_KEYS = (
    "PERSISTENCE_MODULE",
    "SQLITE_DBNAME",
    "POSTGRES_HOST",
    "POSTGRES_PORT",
    "POSTGRES_DBNAME",
    "POSTGRES_USER",
    "POSTGRES_PASSWORD",
    "POSTGRES_SCHEMA",
    "POSTGRES_SSLMODE",
)


@contextmanager
def _sqlite_errors() -> Iterator[None]:
    """Raw sqlite3 errors as the library's, which the CLI maps to exit codes (a full disk: 7)."""
    try:
        yield
    except sqlite3.DatabaseError as e:
        from eventsourcing import persistence  # the library's classes: loaded on a failure only

        if isinstance(e, sqlite3.IntegrityError):
            raise persistence.IntegrityError(str(e)) from e
        if isinstance(e, sqlite3.OperationalError):
            raise persistence.OperationalError(str(e)) from e
        raise persistence.DataError(str(e)) from e
