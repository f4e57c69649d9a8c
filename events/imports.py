"""Import markers: a row of an import file, recognised when the file comes again.

Each imported row saves, in the same atomic batch as its new case, a marker
aggregate whose id is derived from the row's content hash. Importing the
same row again finds the marker and skips the row; two imports racing on
the same row collide on the marker's version, never on a duplicate case.
"""

from __future__ import annotations

from uuid import UUID, uuid5

from eventsourcing.domain import Aggregate, event

from events.businesstime import event_time
from events.complaint import NAMESPACE


def import_marker_id(row_key: str) -> UUID:
    return uuid5(NAMESPACE, "import:" + row_key)


class ImportedRow(Aggregate):
    """Records that the row with this content hash became case ``ref``."""

    TOPIC = "complaints:ImportedRow"

    class Event(Aggregate.Event):
        TOPIC = "complaints:ImportedRow.Event"
        create_timestamp = staticmethod(event_time)  # the business time (--at)

    @staticmethod
    def create_id(row_key: str, ref: str, source: str, line: int, actor: str) -> UUID:
        return import_marker_id(row_key)

    @event("RowImported", topic="complaints:RowImported")
    def __init__(self, row_key: str, ref: str, source: str, line: int, actor: str) -> None:
        self.row_key = row_key
        self.ref = ref
        self.source = source
        self.line = line
