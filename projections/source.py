"""What the read models read the event log through: the :class:`EventSource` interface.

The read side never opens a store and never borrows the write application's
recorder: the edge (``complaintctl.sources``) builds a source for the store
and hands it in. Two kinds exist:

- on the plain-file store, the store's own sequential reader (one
  ``orjson.loads`` per line, committed lines only, resumable from a byte
  offset, each event with its line's chain hash); it is a
  :class:`PartedSource`, so a big rebuild can fold on several processes;
- on every other store (SQLite, PostgreSQL, or an encrypted file store),
  :class:`RecorderSource`, over a library ``ApplicationRecorder`` the edge
  made, in pages (ids may have gaps on PostgreSQL), with a ``decode`` the
  edge gives it when payloads are encrypted or compressed.

Both give the same :data:`Event` dicts, whose ``data`` is the payload as
stored (transcoded values still wrapped, ``projections.case.val`` unwraps).

The ``hash`` of an event is the line's chain hash on the file store. Other
backends have no stored hash; there :class:`RecorderSource` computes the same
kind of chain over the notifications (documented in ``docs/projections.md``):
``hash(n) = SHA-256(hash(n-1) || canonical(n))`` with ``hash(0)`` 64 zeros
and ``canonical(n)`` the compact JSON of ``{"position", "originator_id",
"version", "topic"}`` followed by the payload bytes.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable
from uuid import UUID

import orjson

if TYPE_CHECKING:
    from eventsourcing.persistence import ApplicationRecorder

GENESIS = "0" * 64
_PAGE = 5000


#: One event as the read models see it: a dict with ``position``, ``originator_id``,
#: ``version``, ``topic``, ``data`` (the payload, transcoded values still wrapped),
#: ``recorded_at`` and ``hash``.
Event = dict[str, Any]


def recorded_at(data: dict[str, Any]) -> str | None:
    """When an event was saved, from its payload: SQLite and PostgreSQL keep no append time.

    The payload's ``recorded_at`` where the event's own time is not when it was
    saved (:mod:`events.businesstime`), else its own time (it was saved then,
    within a few seconds).
    """
    ts = data.get("recorded_at") or data.get("timestamp")
    value = ts.get("_data_") if isinstance(ts, dict) else ts
    return value if isinstance(value, str) else None


class Checkpoint:
    """Where a reader has got to: the position, and for the file store the byte offset.

    A plain class (as the mutable dataclass it was: equality by fields, unhashable,
    the same repr): ``@dataclass`` compiles its methods at import, ~4.5 M instructions
    on every read (BENCHMARKS.md, issue 14, fifth round)."""

    __hash__ = None  # type: ignore[assignment]  # mutable: unhashable, as the dataclass
    __match_args__ = ("position", "offset", "last_line_start", "last_hash")

    def __init__(
        self,
        position: int = 0,
        offset: int = 0,
        last_line_start: int = -1,
        last_hash: str = GENESIS,
    ) -> None:
        self.position = position
        self.offset = offset
        self.last_line_start = last_line_start
        self.last_hash = last_hash

    def __repr__(self) -> str:
        return (
            f"Checkpoint(position={self.position!r}, offset={self.offset!r}, "
            f"last_line_start={self.last_line_start!r}, last_hash={self.last_hash!r})"
        )

    def __eq__(self, other: object) -> bool:
        if other.__class__ is not self.__class__:
            return NotImplemented
        o: Checkpoint = other  # type: ignore[assignment]
        return (self.position, self.offset, self.last_line_start, self.last_hash) == (
            o.position,
            o.offset,
            o.last_line_start,
            o.last_hash,
        )


class SourceMoved(Exception):
    """The log at the checkpoint is not the log the checkpoint was taken on."""


class EventSource(Protocol):
    """The event log as the read models read it."""

    #: Recorded in the cache: a cache built from another kind of source is rebuilt.
    kind: str

    def identity(self) -> str:
        """A fingerprint of the log's beginning ("" if it has none): a replaced log differs."""
        ...

    def check(self, cp: Checkpoint) -> None:
        """Raise :class:`SourceMoved` unless the log still holds what ``cp`` was taken after."""
        ...

    def last_position(self) -> int:
        """The position of the last committed event (0 for an empty log)."""
        ...

    def read(
        self, cp: Checkpoint, upto: int | None = None, topics: frozenset[str] | None = None
    ) -> Iterator[tuple[list[Event], Checkpoint]]:
        """Committed events after ``cp`` (up to position ``upto``), in batches, each with
        the checkpoint after it. ``topics`` is a hint a source may ignore."""
        ...

    def aggregate(self, originator_id: UUID) -> Iterator[Event]:
        """One aggregate's events in version order (``topic``, ``version``, ``data``)."""
        ...

    def close(self) -> None: ...


@runtime_checkable
class PartedSource(EventSource, Protocol):
    """A source that can be read in parts by several processes (it must pickle)."""

    def end(self) -> Checkpoint:
        """The checkpoint after the last committed event."""
        ...

    def read_part(self, end: Checkpoint, part: int, parts: int) -> Iterator[list[Event]]:
        """The events before ``end`` of the aggregates in bucket ``part`` of ``parts``."""
        ...


class RecorderSource:
    """Any backend, through a library application recorder the edge made for reading."""

    kind = "recorder"

    def __init__(
        self,
        recorder: ApplicationRecorder,
        decode: Callable[[bytes], bytes] | None = None,
        on_close: Callable[[], None] | None = None,
        database: str = "",
        page: int = _PAGE,
    ) -> None:
        """``decode`` turns a stored payload into JSON (decrypt, decompress) when needed;
        ``database`` names the database (a SQLite file, a PostgreSQL db and schema);
        ``page``: the events of one batch of :meth:`read`."""
        self.recorder = recorder
        self.page = page
        self.decode = decode
        self._on_close = on_close
        self.database = database

    def identity(self) -> str:
        """The database's name and a fingerprint of its first event: a cache built from
        another database (a switched ``SQLITE_DBNAME``) differs."""
        first = self.recorder.select_notifications(None, 1, inclusive_of_start=True)
        if not first:
            return self.database
        n = first[0]
        head = f"{n.id}|{n.originator_id}|{n.originator_version}|{n.topic}|".encode()
        return f"{self.database}|{hashlib.sha256(head + n.state).hexdigest()}"

    def check(self, cp: Checkpoint) -> None:
        """The event the checkpoint was taken after must still be the database's, and
        the database must not end before it (a backup restored over it)."""
        if not cp.position:
            return
        last = self.recorder.max_notification_id() or 0
        if last < cp.position:
            raise SourceMoved(
                f"the database ends at position {last}, before the {cp.position} the cache"
                " has read (restored from a backup?)"
            )
        page = self.recorder.select_notifications(cp.position, 1, inclusive_of_start=True)
        if not page or page[0].id != cp.position:
            raise SourceMoved(f"the event at position {cp.position} the cache has read is gone")

    def last_position(self) -> int:
        return self.recorder.max_notification_id() or 0

    def _data(self, state: bytes) -> dict[str, Any]:
        try:
            data: dict[str, Any] = orjson.loads(
                state if self.decode is None else self.decode(state)
            )
        except Exception as e:  # a cipher's or compressor's refusal, or not JSON
            from projections.damage import LogDamaged

            raise LogDamaged(f"an event's payload cannot be read ({e})") from None
        return data

    def read(
        self, cp: Checkpoint, upto: int | None = None, topics: frozenset[str] | None = None
    ) -> Iterator[tuple[list[Event], Checkpoint]]:
        """Events after ``cp.position`` in pages; the hash is the computed chain (module doc).

        ``topics`` is not used for filtering here: the chain needs every event.
        """
        recorder = self.recorder
        start = cp.position or None
        prev = cp.last_hash
        while True:
            page = recorder.select_notifications(
                start, self.page, stop=upto, inclusive_of_start=start is None
            )
            if not page:
                return
            out: list[Event] = []
            for n in page:
                head = orjson.dumps(
                    {
                        "position": n.id,
                        "originator_id": str(n.originator_id),
                        "version": n.originator_version,
                        "topic": n.topic,
                    }
                )
                prev = hashlib.sha256(prev.encode() + head + n.state).hexdigest()
                data = self._data(n.state)
                out.append(
                    {
                        "position": n.id,
                        "originator_id": str(n.originator_id),
                        "version": n.originator_version,
                        "topic": n.topic,
                        "data": data,
                        "recorded_at": recorded_at(data),
                        "hash": prev,
                    }
                )
            yield out, Checkpoint(page[-1].id, 0, -1, prev)
            start = page[-1].id

    def aggregate(self, originator_id: UUID) -> Iterator[Event]:
        for se in self.recorder.select_events(originator_id):
            data = self._data(se.state)
            yield {
                "originator_id": str(originator_id),
                "version": se.originator_version,
                "topic": se.topic,
                "data": data,
                "recorded_at": recorded_at(data),
            }

    def close(self) -> None:
        if self._on_close is not None:
            self._on_close()
