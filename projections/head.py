"""The log's head as it stood at a time: the position and hash of its last committed line.

A report mailed every night carries the head so that an auditor can later
check the log against it (``verify --expect POSITION:HASH``). "As it stood at
``at``" means the last line *recorded* by then: the log is append-only and
its recorded times grow with it, so the answer for a past time never changes.

- The file store: the hash on the line itself (what ``verify`` checks), found
  by a binary search over the file's bytes (a few reads, not the whole log).
- SQLite and PostgreSQL: the read side's computed chain hash
  (:mod:`projections.source`), which needs every payload up to the head, so
  the notifications are read from the start.
"""

from __future__ import annotations

import os
from datetime import datetime
from pathlib import Path

import orjson

from projections.source import FileSource, Source

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


def file_head_at(path: Path, at: datetime) -> Head:
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


def head_at(source: Source, at: datetime) -> Head:
    """The head of the log as it stood at ``at`` (position 0 and no hash: an empty log)."""
    if isinstance(source, FileSource):
        return file_head_at(source.path, at)
    from projections.source import Checkpoint

    head: Head = {"position": 0, "hash": None}
    for batch, _cp in source.read(Checkpoint()):
        for ev in batch:
            ts = ev.get("recorded_at")
            if ts and datetime.fromisoformat(str(ts)) > at:
                return head
            head = {"position": int(ev["position"]), "hash": str(ev["hash"])}
    return head
