"""The fast sequential reader of ``events.jsonl``, for whoever folds the whole log.

One ``orjson.loads`` per line (:data:`.lines.load_record`), committed lines
only, resumable from a byte offset, each record with its line's chain hash.
This is what a million-event rebuild needs: a recorder's
``select_notifications`` parses each header, builds ``Notification`` objects
and UUIDs, and the payload would then be parsed a second time (about 4x
slower). It reads the file without the index and without the lock: a reader
stops at the last ``"commit":true`` line, so it never sees half a save.

Lines whose payload is not JSON (``data_b64``: the store was written
encrypted or compressed) raise :class:`.PayloadNotJSON`; such a store is
read through the recorders instead.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from complaintctl.filestore import errors, lines

#: What :meth:`LogReader.read_part` reads at a time (a rebuild's parts: 4 MB).
_CHUNK = 1 << 22
#: What :meth:`LogReader.read` reads at a time. Its batch is every event parsed from
#: one read, held until the caller is done with it: for a stream written as it is
#: read (``export --what events``) that batch is the command's memory (4 MB of lines
#: are ~12,000 dicts, 137 MB peak at 1M events; 1 MB: 113 MB), and a fold's CPU per
#: event is the same either way (BENCHMARKS.md, issue 14, fourth round).
_STREAM_CHUNK = 1 << 20

#: One committed event line as a dict: ``position``, ``originator_id``, ``version``,
#: ``topic``, ``recorded_at``, ``commit``, ``hash`` and ``data`` (the payload, parsed).
Record = dict[str, Any]


class Cursor:
    """Where a reader has got to: after the committed line at ``last_line_start``.

    A plain class with a dataclass's ``__init__``, ``__eq__`` and ``__repr__``: a
    ``@dataclass`` compiles its methods at import (BENCHMARKS.md, issue 14, fourth round).
    """

    def __init__(
        self,
        position: int = 0,  # of the last event read
        offset: int = 0,  # byte offset after the last line read
        last_line_start: int = -1,  # -1: nothing read yet
        last_hash: str = lines.GENESIS,
    ) -> None:
        self.position = position
        self.offset = offset
        self.last_line_start = last_line_start
        self.last_hash = last_hash

    def _key(self) -> tuple[int, int, int, str]:
        return (self.position, self.offset, self.last_line_start, self.last_hash)

    def __eq__(self, other: object) -> bool:
        if other.__class__ is not Cursor:
            return NotImplemented
        assert isinstance(other, Cursor)
        return self._key() == other._key()

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return (
            f"Cursor(position={self.position!r}, offset={self.offset!r}, "
            f"last_line_start={self.last_line_start!r}, last_hash={self.last_hash!r})"
        )


class LogReader:
    """Reads one events log directly (it holds only the path, so it pickles)."""

    #: Bytes per read of :meth:`read` (an instance may set its own).
    stream_chunk = _STREAM_CHUNK

    def __init__(self, path: Path) -> None:
        self.path = path

    def _bad(self, line: bytes, offset: int) -> Record:
        try:
            rec: Record = lines.load_record(line)
        except lines.RecordError:
            raise errors.LogCorruptedError(
                f"the line at byte {offset} of {self.path.name} is not JSON"
            ) from None
        return rec

    def identity(self) -> str:
        """The hash on the first line: a replaced log is a different store ("" if none yet)."""
        try:
            with open(self.path, "rb") as f:
                first = f.readline()
        except FileNotFoundError:
            return ""
        if not first.endswith(b"\n"):
            return ""
        return str(self._bad(first[:-1], 0).get("hash", ""))

    def moved(self, cursor: Cursor) -> str | None:
        """Why the log no longer has, before ``cursor``, the line it was taken after (or None)."""
        if cursor.last_line_start < 0:
            return None
        try:
            with open(self.path, "rb") as f:
                f.seek(cursor.last_line_start)
                line = f.read(cursor.offset - cursor.last_line_start)
        except OSError:
            return "the log cannot be read at the checkpoint"
        if not line.endswith(b"\n"):
            return "the log is shorter than the checkpoint"
        try:
            h = lines.load_record(line).get("hash")
        except lines.RecordError:
            return "no line starts at the checkpoint"
        if h != cursor.last_hash:
            return "the line at the checkpoint changed"
        return None

    def end(self) -> Cursor:
        """The cursor after the last committed line, found from the end of the file."""
        try:
            fd = os.open(self.path, os.O_RDONLY)
        except FileNotFoundError:
            return Cursor()
        try:
            size = os.fstat(fd).st_size
            back = 1 << 16
            while True:
                start = max(0, size - back)
                buf = os.pread(fd, size - start, start)
                cut = 0 if start == 0 else buf.find(b"\n") + 1  # the first line may be cut
                found: Cursor | None = None
                nl = buf.rfind(b"\n")
                while nl >= cut:
                    begin = buf.rfind(b"\n", 0, nl) + 1
                    if begin < cut:
                        break
                    line = buf[begin:nl]
                    if found is None and lines.COMMITTED in line:
                        rec = self._bad(line, start + begin)
                        found = Cursor(0, start + nl + 1, start + begin, rec["hash"])
                    if found is not None and line.startswith(lines.EVENT_START):
                        found.position = int(self._bad(line, start + begin)["position"])
                        return found
                    nl = begin - 1
                if start == 0:
                    return found or Cursor()
                back *= 4
        finally:
            os.close(fd)

    def read(
        self, cursor: Cursor, upto: int | None = None
    ) -> Iterator[tuple[list[Record], Cursor]]:
        """Committed events after ``cursor``, in batches, each with the cursor after it.

        The cursor only moves on a ``"commit":true`` line, so a reader never
        stops inside a save; lines after the last commit (a writer still
        busy, or a torn write) are left for later. Skipping lines unparsed by
        their topic was measured slower than parsing every line.
        """
        try:
            fd = os.open(self.path, os.O_RDONLY)
        except FileNotFoundError:
            return
        loads = lines.load_record
        error = lines.RecordError
        size = self.stream_chunk
        try:
            offset = cursor.offset
            carry = b""
            pending: list[Record] = []
            position = cursor.position
            while True:
                chunk = os.pread(fd, size, offset)
                if not chunk:
                    return
                base = offset - len(carry)
                buf = carry + chunk if carry else chunk
                offset += len(chunk)
                pos = 0
                done: list[Record] = []
                after = cursor
                find = buf.find
                stop = False
                while True:
                    nl = find(b"\n", pos)
                    if nl == -1:
                        break
                    try:
                        rec = loads(buf[pos:nl])
                    except error:
                        rec = self._bad(buf[pos:nl], base + pos)
                    if "position" in rec:
                        position = rec["position"]
                        if upto is not None and position > upto:
                            stop = True
                            break
                        if "data" not in rec:
                            raise errors.PayloadNotJSON(f"{self.path.name}: a payload is not JSON")
                        pending.append(rec)
                    if rec.get("commit"):
                        done.extend(pending)
                        pending = []
                        after = Cursor(position, base + nl + 1, base + pos, rec["hash"])
                    pos = nl + 1
                carry = buf[pos:]
                if done or after is not cursor:
                    cursor = after
                    yield done, after
                if stop:
                    return
        finally:
            os.close(fd)

    def read_part(self, end: Cursor, part: int, parts: int) -> Iterator[list[Record]]:
        """The events before ``end`` of the aggregates in one of ``parts`` buckets.

        For a fold on several processes: each reads the whole file but parses
        only the lines of its own aggregates (bucketed by the first hex digit
        of the id, found by its fixed place in the line). Everything before
        ``end`` is committed.
        """
        ours = {ord(c) for c in "0123456789abcdef" if int(c, 16) % parts == part}
        marker = lines.ORIGINATOR
        skip = len(marker)
        within = lines.ORIGINATOR_WITHIN
        loads = lines.load_record
        error = lines.RecordError
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
                batch: list[Record] = []
                while True:
                    nl = find(b"\n", pos)
                    if nl == -1:
                        break
                    i = find(marker, pos, pos + within)
                    if i != -1 and buf[i + skip] in ours:
                        try:
                            rec = loads(buf[pos:nl])
                        except error:
                            rec = self._bad(buf[pos:nl], offset - len(buf) + pos)
                        if "data" not in rec:
                            raise errors.PayloadNotJSON(f"{self.path.name}: a payload is not JSON")
                        batch.append(rec)
                    pos = nl + 1
                carry = buf[pos:]
                yield batch
