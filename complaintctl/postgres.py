"""The library's PostgreSQL module, with what it does not pass on, says too little about,
or does on every start that a one-shot command pays for.

``eventsourcing.postgres`` builds its connection pool from its own variables
(host, port, database, user, password, pool size, timeouts) and passes
nothing else to libpq, so ``[store] sslmode`` would be lost; and when no
connection can be made it says only "couldn't get a connection after 5.00
sec", the reason (no SSL on the server, authentication, no such database)
left in the pool's log. This factory is the library's, with

- the libpq settings of :data:`LIBPQ_OPTIONS` added to the pool's connection
  arguments before the pool opens;
- the last connection failure's reason added to that message (with the
  password, should libpq ever quote it, masked);
- a connection's settings (autocommit, ``idle_in_transaction_session_timeout``)
  given in its start-up packet, where the library sends a ``SET`` (a round
  trip) at every connection, and the composite type the library inserts
  with read in the catalogue's round trip, where the library's lookup took
  three (BEGIN, the query, COMMIT);
- the pool opened by waiting for its first connection (a client asking while
  it is still being made would make the pool open a second one), with one
  worker thread, not three, and no prepared statements (each costs a round
  trip, and a one-shot command's connection runs a statement once or twice);
- tables made only when missing (:meth:`PostgresFactory.make_tables`): the
  library runs its ``CREATE`` statements at every start (ten round trips and
  two commits, one rewriting a function in the catalogue), and processes doing
  so at once on a new schema collide ("tuple concurrently updated");
- :meth:`PostgresFactory.numbering`: one transaction on one connection that
  takes an advisory lock first and holds every statement of the block, the
  library's insert included, so numbering a case queues writers on every desk
  for no longer than reading the counter and inserting.

Select it with ``PERSISTENCE_MODULE=complaintctl.postgres`` (as
``app.persistence_env`` does). The module holds one factory class, as the
library's lookup of a module requires.
"""

from __future__ import annotations

import os
import threading
import zlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from typing import Any, TypeVar
from uuid import UUID

import eventsourcing.postgres as library
import psycopg
import psycopg.sql
from eventsourcing import persistence
from eventsourcing.persistence import OperationalError
from psycopg.types.composite import CompositeInfo, register_composite

from complaintctl.pgrecorder import PostgresRecorder

#: libpq connection settings the library does not pass: [store] key -> variable.
LIBPQ_OPTIONS = {"sslmode": "POSTGRES_SSLMODE"}
#: How the pool says it got no connection: at its first use, or when it opened.
_TIMED_OUT = ("couldn't get a connection", "pool initialization incomplete")
#: The advisory lock the library's tables are made under (one per database).
DDL_LOCK = zlib.crc32(b"complaintctl-library-tables")

R = TypeVar("R")
#: The factory ``PostgresFactory.lending`` made, until the next factory takes its pool over.
_LENT: list[PostgresFactory] = []

# The objects of a schema, by kind: relations (tables, indexes), composite types, functions.
_CATALOGUE = """
SELECT 'r' AS kind, c.relname AS name FROM pg_class c
  JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = %(schema)s AND c.relkind <> 'c'
UNION ALL
SELECT 't', t.typname FROM pg_type t
  JOIN pg_namespace n ON n.oid = t.typnamespace WHERE n.nspname = %(schema)s AND t.typtype = 'c'
UNION ALL
SELECT 'f', p.proname FROM pg_proc p
  JOIN pg_namespace n ON n.oid = p.pronamespace WHERE n.nspname = %(schema)s
"""
# The composite types made by CREATE TYPE in a schema, as psycopg's CompositeInfo.fetch reads one.
_TYPES = """
SELECT t.typname AS name, t.oid AS oid, t.typarray AS array_oid, t.oid::regtype::text AS regtype,
  coalesce(array_agg(a.attname ORDER BY a.attnum) FILTER (WHERE a.attnum IS NOT NULL), '{}')
    AS field_names,
  coalesce(array_agg(a.atttypid ORDER BY a.attnum) FILTER (WHERE a.attnum IS NOT NULL), '{}')
    AS field_types
FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace
  JOIN pg_class c ON c.oid = t.typrelid AND c.relkind = 'c'
  LEFT JOIN pg_attribute a ON a.attrelid = t.typrelid AND a.attnum > 0 AND NOT a.attisdropped
WHERE n.nspname = %(schema)s AND t.typtype = 'c'
GROUP BY t.oid, t.typname, t.typarray
"""
# psycopg's errors as the library's (its own get_connection maps them so), most specific first.
_ERRORS: tuple[tuple[type[psycopg.Error], type[persistence.PersistenceError]], ...] = (
    (psycopg.InterfaceError, persistence.InterfaceError),
    (psycopg.OperationalError, persistence.OperationalError),
    (psycopg.DataError, persistence.DataError),
    (psycopg.IntegrityError, persistence.IntegrityError),
    (psycopg.InternalError, persistence.InternalError),
    (psycopg.ProgrammingError, persistence.ProgrammingError),
    (psycopg.NotSupportedError, persistence.NotSupportedError),
    (psycopg.DatabaseError, persistence.DatabaseError),
    (psycopg.Error, persistence.PersistenceError),
)


class PostgresFactory(library.PostgresFactory):
    """The library's PostgreSQL factory; see the module docstring for what it adds."""

    application_recorder_class = PostgresRecorder  # bulk imports ask in one query per batch

    def __init__(self, env: Any) -> None:
        super().__init__(env)
        datastore = self.datastore
        kwargs = datastore.pool.kwargs
        assert isinstance(kwargs, dict)  # the library gives a dict (and sets the password in it)
        for key, var in LIBPQ_OPTIONS.items():
            if value := self.env.get(var):
                kwargs[key] = value
        # The library prepares its statements (prepare=True): on a connection that lives
        # for one command each is used once or twice, and preparing costs a round trip.
        kwargs["prepare_threshold"] = None
        # The session's setting in the start-up packet, not a SET after it (a round trip).
        idle = int(datastore.idle_in_transaction_session_timeout * 1000)
        setting = f"-c idle_in_transaction_session_timeout={idle}"
        given = os.environ.get("PGOPTIONS")  # libpq's own: an options argument would hide it
        kwargs["options"] = f"{given} {setting}" if given else setting
        datastore.pool._configure = _autocommit
        datastore.pool.num_workers = 1  # a one-shot command's pool makes one connection
        # Wait for the first connection when the pool opens (as long as a connection may take).
        datastore.pool_open_timeout = float(datastore.pool.timeout)
        self._held = threading.local()  # the connection of this thread's open numbering block
        self._catalogue: set[tuple[str, str]] | None = None
        self._types: dict[str, CompositeInfo] = {}  # read with the catalogue
        self._fetch_types = datastore.register_type_adapters  # the library's: three round trips
        datastore.register_type_adapters = self._register_types  # type: ignore[method-assign]
        self._events: library.PostgresApplicationRecorder | None = None
        _explain_failures(datastore, lambda: str(kwargs.get("password") or ""))
        _share_held(datastore, self._held)
        self.handed_over = False  # its datastore now another factory's (see lending)
        self._lent_in = 0  # the process that lent it (lending)
        self._take_over()

    # -- one connection for a command: the question before the application, then it --

    @classmethod
    def lending(cls, env: Any) -> PostgresFactory:
        """A factory for a question asked before the application opens, its pool lent on.

        Whether the shop ever sealed personal data decides how the application
        is built, so it is asked first (``SharedDb``); the factory made next in
        this process on the same connection settings (the application's) takes
        this one's pool, connection and catalogue over, so the command opens one
        connection, not two, and reads the catalogue once.
        """
        factory = cls(env)
        _LENT[:] = [factory]
        factory._lent_in = os.getpid()  # a forked child never takes its parent's connection
        return factory

    def _take_over(self) -> None:
        spare = _LENT[0] if _LENT else None
        if spare is None or spare is self:
            return
        pool = spare.datastore.pool
        if pool.closed or spare._lent_in != os.getpid():
            _LENT.clear()
            return
        if _settings(spare.datastore) != _settings(self.datastore):
            return
        _LENT.clear()
        mine = self.datastore.pool
        pool.resize(mine.min_size, mine.max_size)  # this factory's pool size, from its env
        self.datastore, self._held = spare.datastore, spare._held
        self._catalogue, self._types = spare._catalogue, spare._types
        self._fetch_types = spare._fetch_types
        self.datastore.register_type_adapters = self._register_types  # type: ignore[method-assign]
        spare.handed_over = True

    def has_relation(self, name: str) -> bool:
        """Whether the schema holds this table or index (the catalogue, read once)."""
        return ("r", name) in self._existing()

    # -- the library's tables, made once ----------------------------------------------

    def env_create_table(self) -> bool:
        return False  # the recorders are given their tables by make_tables, when missing

    def aggregate_recorder(self, purpose: str = "events") -> persistence.AggregateRecorder:
        return self.make_tables(super().aggregate_recorder(purpose))

    def application_recorder(self) -> persistence.ApplicationRecorder:
        recorder = self.make_tables(super().application_recorder())
        if isinstance(recorder, library.PostgresApplicationRecorder):
            self._events = recorder  # the events table, read under the numbering lock
        if isinstance(recorder, PostgresRecorder):
            recorder.held = self._held  # its insert ends a case's numbering transaction
        return recorder

    def tracking_recorder(self, tracking_recorder_class: Any = None) -> Any:
        return self.make_tables(super().tracking_recorder(tracking_recorder_class))

    def process_recorder(self) -> persistence.ProcessRecorder:
        return self.make_tables(super().process_recorder())

    def make_tables(self, recorder: R) -> R:
        """Give a recorder its tables: none of the library's statements if they are there.

        One query reads what the schema holds (once per command); what is missing
        is made under an advisory lock, in one transaction, after looking again
        (another process may have made it while this one waited), so processes
        opening a new schema at once queue instead of colliding in the catalogue.
        ``CREATE_TABLE=no`` makes nothing, as in the library.
        """
        if not library.PostgresFactory.env_create_table(self):
            self._fetch_types()
            return recorder
        needed = _objects(recorder)
        if needed is None or not needed <= self._existing():
            self._create(recorder)
            self._catalogue = None
        self._register_types(fetch=True)
        return recorder

    def _existing(self, cursor: Any = None) -> set[tuple[str, str]]:
        if cursor is not None or self._catalogue is None:
            params = {"schema": self.datastore.schema}
            if cursor is None:
                with self.datastore.get_connection() as conn:
                    with conn.pipeline():  # autocommit, both in one round trip
                        relations = conn.execute(_CATALOGUE, params)
                        types = conn.execute(_TYPES, params)
                    rows, type_rows = relations.fetchall(), types.fetchall()
            else:
                rows = cursor.execute(_CATALOGUE, params).fetchall()
                type_rows = cursor.execute(_TYPES, params).fetchall()
            self._catalogue = {(r["kind"], r["name"]) for r in rows}
            self._types = {r["name"]: _composite(r) for r in type_rows}
        return self._catalogue

    def _register_types(self, fetch: bool = False) -> None:
        """The library's composite types, as its ``register_type_adapters`` makes them.

        From the catalogue's read when it has them; the library asks as each
        recorder is made, before :meth:`make_tables` has read the catalogue, so
        until then (and unless ``fetch``) a type not read yet waits; with
        ``fetch``, one the catalogue did not hold is looked up the library's way.
        """
        datastore = self.datastore
        names = datastore.db_type_names - datastore.psycopg_type_adapters.keys()
        known = [self._types[name] for name in sorted(names) if name in self._types]
        if known:
            with datastore.get_connection() as conn:  # no round trip: adapters of this process
                for info in known:
                    register_composite(info, conn)
                    datastore.psycopg_type_adapters[info.name] = info
                    datastore.psycopg_python_types[info.name] = info.python_type
        if fetch and len(known) < len(names):
            self._fetch_types()

    def _create(self, recorder: Any) -> None:
        with self.datastore.transaction(commit=True) as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", (DDL_LOCK,))
            there = self._existing(cursor)  # a fresh look, now that no one else is making them
            needed = _objects(recorder)
            if needed is not None and needed <= there:
                return
            for statement in recorder.sql_create_statements:
                text = statement.as_string()
                if "CREATE TYPE" in text and ("t", _type_name(recorder)) in there:
                    continue  # the library's CREATE TYPE has no IF NOT EXISTS
                cursor.execute(statement, prepare=False)

    # -- numbering: a lock held for one short transaction --------------------------

    @contextmanager
    def numbering(
        self, name: str, originator_id: UUID | None = None
    ) -> Iterator[list[persistence.StoredEvent] | None]:
        """One transaction under the advisory lock ``name``, for every statement of the block.

        The lock is the transaction's first statement, so what the block reads
        after it (the year's counter) no other holder changes until the commit,
        which releases the lock (so does the process's death). Statements of the
        block go to the one connection: a one-shot command needs no second one.

        With ``originator_id`` (numbering one case: the counter's last event
        read, then one save), that event is read in the lock's round trip and
        yielded (a list of none or one), and the block's insert carries the
        COMMIT in its own round trip (``PostgresRecorder.insert_events``): from
        the lock's grant to its release, two round trips. Without it, None is
        yielded and the block's inserts join the transaction, committed at its end.
        """
        held = self._held
        if getattr(held, "conn", None) is not None:  # already inside one
            yield None
            return
        recorder = self._events
        with self.datastore.get_connection() as conn:
            with conn.pipeline():  # BEGIN, the lock and the read in one round trip
                conn.execute("BEGIN")
                conn.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", (name,))
                cursor = None
                if originator_id is not None and recorder is not None:
                    last = recorder.select_events_statement + psycopg.sql.SQL(
                        " ORDER BY originator_version DESC LIMIT 1"
                    )  # as the library's select_events(desc=True, limit=1)
                    cursor = conn.execute(last, (originator_id,))
            read = None
            if cursor is not None:
                read = [
                    persistence.StoredEvent(
                        originator_id=row["originator_id"],
                        originator_version=row["originator_version"],
                        topic=row["topic"],
                        state=bytes(row["state"]),
                    )
                    for row in cursor.fetchall()
                ]
            held.conn, held.commit_with_insert = conn, originator_id is not None
            try:
                yield read
            except BaseException:
                held.conn = None
                if conn.info.transaction_status != psycopg.pq.TransactionStatus.IDLE:
                    with suppress(psycopg.Error):  # a broken connection: the server rolls back
                        conn.execute("ROLLBACK")
                raise
            held.conn = None
            if conn.info.transaction_status != psycopg.pq.TransactionStatus.IDLE:
                conn.execute("COMMIT")  # not committed with an insert

    def relations(self) -> set[str]:
        """The tables and indexes this command saw in its schema (none if it made some)."""
        return {name for kind, name in self._catalogue or () if kind == "r"}


def _settings(datastore: Any) -> str:
    """What makes two datastores' connections alike (but the pool's size)."""
    pool = datastore.pool
    same = (sorted((k, repr(v)) for k, v in pool.kwargs.items()), datastore.schema,
            datastore.originator_id_type, datastore.enable_db_functions, datastore.lock_timeout,
            datastore.pre_ping, pool.timeout, pool.max_lifetime, pool.max_waiting)  # fmt: skip
    return repr(same)


def _composite(row: Any) -> CompositeInfo:
    """A row of ``_TYPES`` as psycopg's ``CompositeInfo.fetch`` would make it."""
    names, types = row["field_names"], row["field_types"]
    info = CompositeInfo(row["name"], row["oid"], row["array_oid"], regtype=row["regtype"],
                         field_names=names, field_types=types)  # fmt: skip
    return info


def _autocommit(conn: Any) -> None:
    """What the library's pool does to a new connection, but its SET (given at start-up)."""
    conn.autocommit = True


def _type_name(recorder: Any) -> str:
    return str(getattr(recorder, "stored_event_type_name", ""))


def _objects(recorder: Any) -> set[tuple[str, str]] | None:
    """What the library's statements make for this recorder (None: a recorder not known here)."""
    found: set[tuple[str, str]] = set()
    attrs = [("events_table_name", "r"), ("stored_event_type_name", "t"),
             ("tracking_table_name", "r")]  # fmt: skip
    if isinstance(recorder, library.PostgresApplicationRecorder):  # an index and a function
        attrs += [("notification_id_index_name", "r"), ("pg_function_name_insert_events", "f")]
    for attr, kind in attrs:
        value = getattr(recorder, attr, None)
        if isinstance(value, str):
            found.add((kind, value))
    known = isinstance(
        recorder, library.PostgresAggregateRecorder | library.PostgresTrackingRecorder
    )
    return found if known and found else None


def _share_held(datastore: Any, held: threading.local) -> None:
    """Inside a numbering block, the datastore hands out the block's connection."""
    get_connection = datastore.get_connection

    @contextmanager
    def connection() -> Iterator[Any]:
        conn = getattr(held, "conn", None)
        if conn is None:
            with get_connection() as fresh:
                yield fresh
            return
        try:
            yield conn
        except psycopg.Error as e:
            for raw, ours in _ERRORS:
                if isinstance(e, raw):
                    raise ours(str(e)) from e
            raise

    datastore.get_connection = connection


def _explain_failures(datastore: Any, password: Callable[[], str]) -> None:
    """Keep the reason of the pool's last failed connection, and add it to its timeout."""
    pool = datastore.pool
    connect = pool._connect
    reasons: list[str] = []

    def remembering(timeout: float | None = None) -> Any:
        try:
            return connect(timeout=timeout)
        except psycopg.Error as e:
            reasons[:] = [_reason(str(e), password())]
            raise

    get_connection = datastore.get_connection

    @contextmanager
    def explained() -> Iterator[Any]:
        try:
            with get_connection() as conn:
                yield conn
        except OperationalError as e:
            if reasons and str(e).startswith(_TIMED_OUT):
                raise OperationalError(f"{e}: {reasons[-1]}") from e
            raise

    pool._connect = remembering
    datastore.get_connection = explained


def _reason(text: str, password: str) -> str:
    """libpq's message in one line (its last, the cause), never with the password."""
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    reason = lines[-1] if lines else text
    return reason.replace(password, "***") if password else reason
