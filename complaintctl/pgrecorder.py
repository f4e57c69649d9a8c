"""The library's PostgreSQL application recorder, with a bulk "which of these exist".

A bulk import asks, for each batch, which of its rows' import markers and
customer files are recorded already (``events.receipt``); through the
library's interface that is one ``select_events`` round trip each, about two
per imported row. :meth:`PostgresRecorder.originators_recorded` answers a
whole batch in one query (the table's primary key begins with the
originator id). Not part of the library's interface: the write model uses
it where a recorder has it.
"""

from __future__ import annotations

from collections.abc import Sequence
from uuid import UUID

import eventsourcing.postgres as library
from psycopg.sql import SQL, Identifier


class PostgresRecorder(library.PostgresApplicationRecorder):
    """The library's application recorder, plus :meth:`originators_recorded`."""

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
