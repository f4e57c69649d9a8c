"""The log's head as it stood at a time: the position and hash of its last committed line.

A report mailed every night carries the head so that an auditor can later
check the log against it (``verify --expect POSITION:HASH``). "As it stood at
``at``" means the last line *recorded* by then: the log is append-only and
its recorded times grow with it, so the answer for a past time never changes.

A source that can find it faster says so with a ``head_at`` method (the file
store: a binary search over the file, ``complaintctl.filehead``). Otherwise
the events are read from the start: on SQLite and PostgreSQL the hash is the
read side's computed chain hash (:mod:`projections.source`), which needs
every payload up to the head anyway.
"""

from __future__ import annotations

from datetime import datetime
from typing import Protocol, runtime_checkable

from projections.source import Checkpoint, EventSource

Head = dict[str, int | str | None]


@runtime_checkable
class HeadFinder(Protocol):
    def head_at(self, at: datetime) -> Head: ...


def head_at(source: EventSource, at: datetime) -> Head:
    """The head of the log as it stood at ``at`` (position 0 and no hash: an empty log)."""
    if isinstance(source, HeadFinder):
        return source.head_at(at)
    head: Head = {"position": 0, "hash": None}
    for batch, _cp in source.read(Checkpoint()):
        for ev in batch:
            ts = ev.get("recorded_at")
            if ts and datetime.fromisoformat(str(ts)) > at:
                return head
            head = {"position": int(ev["position"]), "hash": str(ev["hash"])}
    return head
