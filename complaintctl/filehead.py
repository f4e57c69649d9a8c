"""The file store's head as it stood at a time, found by a binary search over ``events.jsonl``.

The read side's :func:`projections.head.head_at` asks the source for this
(:meth:`complaintctl.sources.FileSource.head_at`): the last committed line
recorded at or before a time, read in a few seeks instead of the whole log.
It relies on the line format of docs/storage.md (``position``,
``recorded_at``, ``"commit":true``, ``hash`` on each line) and on recorded
times growing with the log (one writer at a time appends, under the lock).
"""

from __future__ import annotations

import os
from datetime import datetime
from pathlib import Path

import orjson

Head = dict[str, int | str | None]


def _recorded(line: bytes) -> datetime | None:
    """The recorded time of a committed event line (None for any other line)."""
    try:
        rec = orjson.loads(line)
    except orjson.JSONDecodeError:
        return None
    ts = rec.get("recorded_at")
    return datetime.fromisoformat(ts) if isinstance(ts, str) and "position" in rec else None


def _line_at(fd: int, size: int, offset: int) -> tuple[int, bytes] | None:
    """The first whole line starting at or after ``offset``: (its start, its bytes)."""
    start = offset
    if offset > 0:
        back = os.pread(fd, 1, offset - 1)
        if back != b"\n":
            buf = os.pread(fd, 1 << 16, offset)
            nl = buf.find(b"\n")
            while nl == -1 and offset + len(buf) < size:
                buf += os.pread(fd, 1 << 16, offset + len(buf))
                nl = buf.find(b"\n")
            if nl == -1:
                return None
            start = offset + nl + 1
    if start >= size:
        return None
    buf = os.pread(fd, 1 << 16, start)
    while b"\n" not in buf and start + len(buf) < size:
        buf += os.pread(fd, 1 << 16, start + len(buf))
    nl = buf.find(b"\n")
    return (start, buf[:nl]) if nl != -1 else None


def head_at(path: Path, at: datetime) -> Head:
    """The last committed line of ``events.jsonl`` recorded at or before ``at``."""
    try:
        fd = os.open(path, os.O_RDONLY)
    except FileNotFoundError:
        return {"position": 0, "hash": None}
    try:
        size = os.fstat(fd).st_size
        # The first byte offset whose next line was recorded after ``at`` (or the end).
        lo, hi = 0, size
        while lo < hi:
            mid = (lo + hi) // 2
            found = _line_at(fd, size, mid)
            if found is None:
                hi = mid
                continue
            when = _recorded(found[1])
            if when is not None and when > at:
                hi = mid
            else:
                lo = mid + 1
        cut = _line_at(fd, size, lo)
        end = cut[0] if cut is not None else size
        # Walk back from there to the last line with "commit":true.
        buf = os.pread(fd, min(end, 1 << 20), max(0, end - (1 << 20)))
        base = max(0, end - (1 << 20))
        lines = buf.split(b"\n")
        if base > 0:
            lines = lines[1:]  # the first may be cut
        for raw in reversed(lines):
            if b'"commit":true' in raw:
                rec = orjson.loads(raw)
                when = _recorded(raw)
                if when is not None and when <= at:
                    return {"position": int(rec["position"]), "hash": str(rec["hash"])}
        if base == 0:
            return {"position": 0, "hash": None}
        return _scan_file(path, at)
    finally:
        os.close(fd)


def _scan_file(path: Path, at: datetime) -> Head:
    """The slow way (a save more than a megabyte long): read from the start."""
    head: Head = {"position": 0, "hash": None}
    with open(path, "rb") as f:
        for raw in f:
            if b'"commit":true' not in raw:
                continue
            when = _recorded(raw.rstrip(b"\n"))
            if when is None or when > at:
                break
            rec = orjson.loads(raw)
            head = {"position": int(rec["position"]), "hash": str(rec["hash"])}
    return head
