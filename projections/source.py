"""Reading the event log for the read models: fast, in order, from a checkpoint.

Two readers give the same :class:`Event` tuples:

- :class:`FileSource` reads the plain-file store's ``events.jsonl`` itself
  (its format is documented in ``docs/storage.md``): one ``orjson.loads`` per
  line, committed lines only, resumable from a byte offset. This is the fast
  path a million-event rebuild needs: the recorder's ``select_notifications``
  parses each line's header, builds ``Notification`` objects and UUIDs, and
  then the payload would be parsed a second time (about 4x slower here).
- :class:`RecorderSource` works on every backend (file, SQLite, PostgreSQL)
  through the library's ``ApplicationRecorder.select_notifications`` in
  pages (ids may have gaps on PostgreSQL) and decodes payloads with orjson.
  When a cipher or compressor is configured the payload is not JSON, so it
  goes through the application's mapper instead.

The ``hash`` of an event is the line's chain hash on the file store. Other
backends have no stored hash; there :class:`RecorderSource` computes the same
kind of chain over the notifications (documented in ``docs/projections.md``):
``hash(n) = SHA-256(hash(n-1) || canonical(n))`` with ``hash(0)`` 64 zeros
and ``canonical(n)`` the compact JSON of ``{"position", "originator_id",
"version", "topic"}`` followed by the payload bytes.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson
from eventsourcing.application import Application
from eventsourcing.persistence import DataError, StoredEvent

GENESIS = "0" * 64
_CHUNK = 1 << 22
_PAGE = 5000


#: One event as the read models see it: a dict with ``position``, ``originator_id``,
#: ``version``, ``topic``, ``data`` (the payload, transcoded values still wrapped),
#: ``recorded_at`` and ``hash`` (a plain dict: the file store's parsed line as it is).
Event = dict[str, Any]


@dataclass
class Checkpoint:
    """Where a reader has got to: the position, and for the file store the byte offset."""

    position: int = 0
    offset: int = 0
    last_line_start: int = -1
    last_hash: str = GENESIS


class SourceMoved(Exception):
    """The log at the checkpoint is not the log the checkpoint was taken on."""


class LogDamaged(DataError):
    """A committed line of the log is not JSON: the store failed verification (exit 6)."""


def _parse(line: bytes, offset: int) -> Event:
    try:
        rec: Event = orjson.loads(line)
    except orjson.JSONDecodeError:
        raise LogDamaged(f"the line at byte {offset} of events.jsonl is not JSON") from None
    return rec


class FileSource:
    """The plain-file store's ``events.jsonl``, read directly."""

    kind = "file"

    def __init__(self, path: Path) -> None:
        self.path = path

    def identity(self) -> str:
        """The hash on the first line: a replaced log is a different store."""
        try:
            with open(self.path, "rb") as f:
                first = f.readline()
        except FileNotFoundError:
            return ""
        if not first.endswith(b"\n"):
            return ""
        return str(orjson.loads(first).get("hash", ""))

    def check(self, cp: Checkpoint) -> None:
        """Raise SourceMoved unless the line before the checkpoint still has its hash."""
        if cp.last_line_start < 0:
            return
        try:
            with open(self.path, "rb") as f:
                f.seek(cp.last_line_start)
                line = f.read(cp.offset - cp.last_line_start)
        except OSError:
            raise SourceMoved("the log cannot be read at the checkpoint") from None
        if not line.endswith(b"\n"):
            raise SourceMoved("the log is shorter than the checkpoint")
        try:
            h = orjson.loads(line).get("hash")
        except orjson.JSONDecodeError:
            raise SourceMoved("no line starts at the checkpoint") from None
        if h != cp.last_hash:
            raise SourceMoved("the line at the checkpoint changed")

    def last_position(self) -> int:
        """The position of the last committed event."""
        return self.end().position

    def end(self) -> Checkpoint:
        """The checkpoint after the last committed line, found from the end of the file."""
        try:
            fd = os.open(self.path, os.O_RDONLY)
        except FileNotFoundError:
            return Checkpoint()
        try:
            size = os.fstat(fd).st_size
            back = 1 << 16
            while True:
                start = max(0, size - back)
                buf = os.pread(fd, size - start, start)
                cut = 0 if start == 0 else buf.find(b"\n") + 1  # the first line may be cut
                found: Checkpoint | None = None
                nl = buf.rfind(b"\n")
                while nl >= cut:
                    begin = buf.rfind(b"\n", 0, nl) + 1
                    if begin < cut:
                        break
                    line = buf[begin:nl]
                    if found is None and b'"commit":true' in line:
                        rec = orjson.loads(line)
                        found = Checkpoint(0, start + nl + 1, start + begin, rec["hash"])
                    if found is not None and line.startswith(b'{"position":'):
                        found.position = int(orjson.loads(line)["position"])
                        return found
                    nl = begin - 1
                if start == 0:
                    return found or Checkpoint()
                back *= 4
        finally:
            os.close(fd)

    def read_part(self, end: Checkpoint, part: int, parts: int) -> Iterator[list[Event]]:
        """The events up to ``end`` of the aggregates in one of ``parts`` buckets.

        For a rebuild on several processes: each reads the whole file but parses
        only the lines of its own aggregates (bucketed by the first hex digit of
        the id, found by its fixed place in the line), so the folds of different
        cases run in parallel. Everything before ``end`` is committed.
        """
        ours = {ord(c) for c in "0123456789abcdef" if int(c, 16) % parts == part}
        marker = b'"originator_id":"'
        loads = orjson.loads
        with open(self.path, "rb") as f:
            offset = 0
            carry = b""
            while offset < end.offset:
                chunk = f.read(min(_CHUNK, end.offset - offset))
                if not chunk:
                    break
                offset += len(chunk)
                buf = carry + chunk if carry else chunk
                find = buf.find
                pos = 0
                batch: list[Event] = []
                while True:
                    nl = find(b"\n", pos)
                    if nl == -1:
                        break
                    i = find(marker, pos, pos + 48)
                    if i != -1 and buf[i + 17] in ours:
                        try:
                            rec = loads(buf[pos:nl])
                        except orjson.JSONDecodeError:
                            rec = _parse(buf[pos:nl], offset - len(buf) + pos)
                        if "data" not in rec:
                            raise SourceMoved("an encrypted or compressed payload")
                        batch.append(rec)
                    pos = nl + 1
                carry = buf[pos:]
                yield batch

    def read(
        self, cp: Checkpoint, upto: int | None = None, topics: frozenset[str] | None = None
    ) -> Iterator[tuple[list[Event], Checkpoint]]:
        """Committed events after the checkpoint, in batches, each with the checkpoint after it.

        The checkpoint only moves on a ``"commit":true`` line, so a reader
        never stops inside a save; lines after the last commit (a writer still
        busy, or a torn write) are left for later. ``topics`` is accepted for
        the readers' common interface; skipping lines unparsed by their topic
        was measured slower than parsing every line with orjson.
        """
        try:
            fd = os.open(self.path, os.O_RDONLY)
        except FileNotFoundError:
            return
        loads = orjson.loads
        try:
            offset = cp.offset
            carry = b""
            pending: list[Event] = []
            position = cp.position
            while True:
                chunk = os.pread(fd, _CHUNK, offset)
                if not chunk:
                    return
                base = offset - len(carry)
                buf = carry + chunk if carry else chunk
                offset += len(chunk)
                pos = 0
                done: list[Event] = []
                after = cp
                find = buf.find
                stop = False
                while True:
                    nl = find(b"\n", pos)
                    if nl == -1:
                        break
                    try:
                        rec = loads(buf[pos:nl])
                    except orjson.JSONDecodeError:
                        rec = _parse(buf[pos:nl], base + pos)
                    if "position" in rec:
                        position = rec["position"]
                        if upto is not None and position > upto:
                            stop = True
                            break
                        if "data" not in rec:
                            raise SourceMoved("an encrypted or compressed payload")
                        pending.append(rec)
                    if rec.get("commit"):
                        done.extend(pending)
                        pending = []
                        after = Checkpoint(position, base + nl + 1, base + pos, rec["hash"])
                    pos = nl + 1
                carry = buf[pos:]
                if done or after is not cp:
                    cp = after
                    yield done, after
                if stop:
                    return
        finally:
            os.close(fd)


class RecorderSource:
    """Any backend, through the library's application recorder."""

    kind = "recorder"

    def __init__(self, app: Application[Any]) -> None:
        self.app = app
        mapper = app.mapper
        self.plain = mapper.cipher is None and mapper.compressor is None

    def identity(self) -> str:
        return ""

    def check(self, cp: Checkpoint) -> None:
        return None

    def last_position(self) -> int:
        return self.app.recorder.max_notification_id() or 0

    def _data(self, n: Any) -> dict[str, Any]:
        if self.plain:
            data: dict[str, Any] = orjson.loads(n.state)
            return data
        from projections.caselog import event_data

        ev = self.app.mapper.to_domain_event(
            StoredEvent(n.originator_id, n.originator_version, n.topic, n.state)
        )
        out = event_data(ev)
        out["timestamp"] = getattr(ev, "timestamp").isoformat()  # noqa: B009
        return out

    def read(
        self, cp: Checkpoint, upto: int | None = None, topics: frozenset[str] | None = None
    ) -> Iterator[tuple[list[Event], Checkpoint]]:
        """Events after ``cp.position`` in pages; the hash is the computed chain (module doc).

        ``topics`` is not used for filtering here: the chain needs every event.
        """
        recorder = self.app.recorder
        start = cp.position or None
        prev = cp.last_hash
        while True:
            page = recorder.select_notifications(
                start, _PAGE, stop=upto, inclusive_of_start=start is None
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
                data = self._data(n)
                ts = data.get("timestamp")
                out.append(
                    {
                        "position": n.id,
                        "originator_id": str(n.originator_id),
                        "version": n.originator_version,
                        "topic": n.topic,
                        "data": data,
                        "recorded_at": ts.get("_data_") if isinstance(ts, dict) else ts,
                        "hash": prev,
                    }
                )
            yield out, Checkpoint(page[-1].id, 0, -1, prev)
            start = page[-1].id


Source = FileSource | RecorderSource


def source_for(app: Application[Any]) -> Source:
    """The fastest reader that is exact for this application's store."""
    recorder = app.recorder
    log = getattr(recorder, "log", None)
    path = getattr(log, "path", None)
    mapper = app.mapper
    if (
        type(recorder).__module__ == "complaintctl.filestore"
        and isinstance(path, Path)
        and mapper.cipher is None
        and mapper.compressor is None
    ):
        return FileSource(path)
    return RecorderSource(app)
