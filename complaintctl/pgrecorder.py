"""The library's PostgreSQL application recorder, with a bulk "which of these exist".

A bulk import asks, for each batch, which of its rows' import markers and
customer files are recorded already (``events.receipt``); through the
library's interface that is one ``select_events`` round trip each, about two
per imported row. :meth:`PostgresRecorder.originators_recorded` answers a
whole batch in one query (the table's primary key begins with the
originator id). Not part of the library's interface: the write model uses
it where a recorder has it.

Inside a numbering block that numbers one case (``PostgresFactory.numbering``
with a counter), :meth:`PostgresRecorder.insert_events` sends the library's
statements (its table lock, NOTIFY, the insert) and the COMMIT in one
pipeline, one round trip, where the library's insert in the open transaction
took five (a savepoint, its release and three syncs) and the COMMIT a sixth:
the numbering lock is held that much shorter. An insert that collides with
another writer's change raises the library's IntegrityError (the case is then
numbered again), the transaction left to be rolled back.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from typing import Any
from uuid import UUID

import eventsourcing.postgres as library
import psycopg
from eventsourcing.persistence import StoredEvent
from psycopg.sql import SQL, Identifier


class PostgresRecorder(library.PostgresApplicationRecorder):
    """The library's application recorder, plus :meth:`originators_recorded`."""

    #: The factory's numbering state (``conn``, ``commit_with_insert``), set by the factory.
    held: threading.local | None = None

    def insert_events(
        self, stored_events: Sequence[StoredEvent], **kwargs: Any
    ) -> Sequence[int] | None:
        """The library's insert; numbering one case, with its COMMIT in one round trip."""
        held = self.held
        if (
            held is None
            or getattr(held, "conn", None) is None
            or not getattr(held, "commit_with_insert", False)
            or not stored_events
            or self.datastore.enable_db_functions
        ):
            ids: Sequence[int] | None = super().insert_events(stored_events, **kwargs)
            return ids
        held.commit_with_insert = False  # the block's first insert ends its transaction
        exc: Exception | None = None
        ids = None
        with self.datastore.get_connection() as conn:  # the block's, errors as the library's
            try:
                with conn.pipeline() as pipeline, conn.cursor() as curs:
                    try:
                        self._insert_events(curs, stored_events, **kwargs)
                        self._insert_stored_events(curs, stored_events, **kwargs)
                        conn.execute("COMMIT")
                        pipeline.sync()
                        ids = self._fetch_ids_after_insert_events(curs, stored_events, **kwargs)
                    except Exception as e:  # raised after the pipeline's end, as the library does
                        exc = e
            except psycopg.Error:
                if exc is None:
                    raise
                # The pipeline's end reports what the failed statement aborted (the
                # COMMIT): "pipeline aborted". The cause is the error already caught.
            if exc is not None:
                raise exc
        return ids

    def originators_recorded(self, originator_ids: Sequence[UUID | str]) -> set[UUID | str]:
        """Which of these aggregates have any event recorded: one query for all."""
        if not originator_ids:
            return set()
        statement = SQL(
            "SELECT DISTINCT originator_id FROM {schema}.{table} WHERE originator_id = ANY(%s)"
        ).format(
            schema=Identifier(self.datastore.schema),
            table=Identifier(self.events_table_name),
        )
        wanted = {str(oid): oid for oid in originator_ids}
        as_text = self.datastore.originator_id_type == "text"
        ids = list(wanted) if as_text else [UUID(oid) for oid in wanted]
        with self.datastore.get_connection() as conn, conn.cursor() as curs:
            curs.execute(statement, [ids])
            return {wanted[str(row["originator_id"])] for row in curs.fetchall()}
