"""The line format, in one place: encoding, decoding and the hash chain.

A log line is one compact JSON object ending in ``\\n``: a header (the
members of an event or tracking record, ``commit``), then ``"hash"``, then
the payload as ``"data":<JSON>`` or ``"data_b64":"<base64>"`` (or none).

    hash(n) = SHA-256(hash(n-1) as 64 hex digits || line n less its hash member and newline)

with ``hash(0)`` = :data:`GENESIS`. ``docs/storage.md`` describes the same
for readers without this code. Everything else in the package reads and
writes lines through the functions here; the byte markers below are the
format facts the fast scanners (:mod:`.reader`) rely on.
"""

from __future__ import annotations

import base64
import hashlib
import os
from collections.abc import Iterator
from typing import Any

import orjson

GENESIS = "0" * 64
#: Every committed save ends in a line with this member.
COMMITTED = b'"commit":true'
#: An event line starts so (tracking lines do not).
EVENT_START = b'{"position":'
#: The originator id's member; in an event line it starts within the first 48 bytes.
ORIGINATOR = b'"originator_id":"'
ORIGINATOR_WITHIN = 48

_DATA = b',"data":'
_DATA_B64 = b',"data_b64":"'
_READ_CHUNK = 1 << 20

#: A whole line (without its newline) as one dict, hash and payload included: the
#: fastest read of a line whose payload is JSON (a ``data_b64`` payload stays text).
load_record = orjson.loads
RecordError = orjson.JSONDecodeError


def _finish(
    prev_hash: str, head: bytes, state: bytes | None, plain: bool = False
) -> tuple[bytes, str]:
    """The line from its header bytes (``{...`` without the ``}``) and payload; its hash.

    ``plain``: the caller vouches that ``state`` is what :func:`is_plain_json` accepts
    (orjson's own output, no indent), so it is not parsed again.
    """
    if state is None:
        tail = b"}"
    elif plain or is_plain_json(state):
        tail = _DATA + state + b"}"
    else:
        tail = _DATA_B64 + base64.b64encode(state) + b'"}'
    digest = hashlib.sha256(prev_hash.encode() + head + tail).hexdigest()
    return head + b',"hash":"' + digest.encode() + b'"' + tail + b"\n", digest


def encode_line(prev_hash: str, header: dict[str, Any], state: bytes | None) -> tuple[bytes, str]:
    """One log line (with its newline) and its chained hash."""
    return _finish(prev_hash, orjson.dumps(header)[:-1], state)


class EventLineEncoder:
    """Encodes the event lines of one save byte for byte as :func:`encode_line` would.

    A bulk save writes thousands of lines whose headers differ only in a few
    numbers, so the JSON of the repeated strings (ids, topics, the recorded
    time) is made once and the header is formatted, not serialised.
    ``tests/test_filestore_encoding.py`` checks the two agree.
    """

    def __init__(self, recorded_at: str) -> None:
        self._recorded = b',"recorded_at":' + orjson.dumps(recorded_at)
        self._strings: dict[str, bytes] = {}

    def _json(self, text: str) -> bytes:
        out = self._strings.get(text)
        if out is None:
            if len(self._strings) > 10_000:
                self._strings.clear()
            out = self._strings[text] = orjson.dumps(text)
        return out

    def event(
        self,
        prev_hash: str,
        position: int,
        originator_id: str,
        version: int,
        topic: str,
        commit: bool,
        state: bytes,
        plain: bool = False,
    ) -> tuple[bytes, str]:
        head = b'{"position":%d,"originator_id":%s,"version":%d,"topic":%s%s,"commit":%s' % (
            position,
            self._json(originator_id),
            version,
            self._json(topic),
            self._recorded,
            b"true" if commit else b"false",
        )
        return _finish(prev_hash, head, state, plain)


def is_plain_json(state: bytes) -> bool:
    """True if ``state`` can sit verbatim in a line as a JSON value."""
    if not state or b"\n" in state or b"\r" in state:
        return False
    try:
        orjson.loads(state)
    except orjson.JSONDecodeError:
        return False
    return True


class Logger:
    """``logging.getLogger(name)``, with :mod:`logging` imported at the first message: a
    read that never warns does not load it (18 M instructions at start, BENCHMARKS.md,
    issue 14, fourth round). The log and the index warn through it."""

    __slots__ = ("name",)

    def __init__(self, name: str) -> None:
        self.name = name

    def debug(self, msg: str, *args: object) -> None:
        import logging

        logging.getLogger(self.name).debug(msg, *args, stacklevel=2)

    def warning(self, msg: str, *args: object) -> None:
        import logging

        logging.getLogger(self.name).warning(msg, *args, stacklevel=2)


class Line:
    """One decoded line: header (without the hash), payload, hash, and what the hash covers.

    A plain class with a dataclass's ``__init__``, ``__eq__`` and ``__repr__``: a
    ``@dataclass`` compiles its methods at import (BENCHMARKS.md, issue 14, fourth round).
    """

    __slots__ = ("body", "hash", "header", "state")

    def __init__(self, header: dict[str, Any], state: bytes | None, hash: str, body: bytes):
        self.header = header
        self.state = state
        self.hash = hash
        self.body = body  # the line less its hash member and newline

    def __eq__(self, other: object) -> bool:
        if other.__class__ is not Line:
            return NotImplemented
        assert isinstance(other, Line)
        return (self.header, self.state, self.hash, self.body) == (
            other.header,
            other.state,
            other.hash,
            other.body,
        )

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return (
            f"Line(header={self.header!r}, state={self.state!r}, hash={self.hash!r}, "
            f"body={self.body!r})"
        )


def decode_line(raw: bytes) -> Line:
    """Parse one line (without its newline); raise ValueError if malformed."""
    i = raw.find(b',"data')
    if i == -1:
        head_bytes, tail = raw[:-1], raw[-1:]
        if tail != b"}":
            raise ValueError("not a JSON object")
        state = None
    else:
        head_bytes, tail = raw[:i], raw[i:]
        if tail.startswith(_DATA) and tail.endswith(b"}"):
            state = tail[len(_DATA) : -1]
        elif tail.startswith(_DATA_B64) and tail.endswith(b'"}'):
            state = base64.b64decode(tail[len(_DATA_B64) : -2], validate=True)
        else:
            raise ValueError("malformed data member")
    try:
        header = orjson.loads(head_bytes + b"}")
    except orjson.JSONDecodeError as e:
        raise ValueError(f"bad JSON ({e})") from None
    if not isinstance(header, dict):
        raise ValueError("not a JSON object")
    digest = header.pop("hash", None)
    if not isinstance(digest, str) or len(digest) != 64:
        raise ValueError("missing or malformed hash")
    member = b',"hash":"' + digest.encode() + b'"'
    if not head_bytes.endswith(member):
        raise ValueError("hash member out of place")
    return Line(header, state, digest, head_bytes[: -len(member)] + tail)


def chain_hash(prev_hash: str, body: bytes) -> str:
    """The hash a line with this body has after a line with ``prev_hash``."""
    return hashlib.sha256(prev_hash.encode() + body).hexdigest()


def read_line(raw: bytes) -> tuple[dict[str, Any], bytes | None]:
    """Header (hash included) and payload of one committed line (without newline).

    For bulk readers of lines that were chain-checked when they were indexed:
    this skips :func:`decode_line`'s hash bookkeeping (about half its cost
    when paging through a whole log). Malformed input still raises ValueError.
    """
    i = raw.find(b',"data')
    if i == -1:
        return orjson.loads(raw), None
    header = orjson.loads(raw[:i] + b"}")
    if raw.startswith(_DATA, i):
        return header, raw[i + len(_DATA) : -1]
    return header, base64.b64decode(raw[i + len(_DATA_B64) : -2], validate=True)


def iter_lines(fd: int, start: int, end: int) -> Iterator[tuple[int, bytes]]:
    """Yield ``(offset, line)`` for lines in ``[start, end)``; the last may be torn."""
    offset = start
    carry = b""
    while offset < end:
        chunk = os.pread(fd, min(_READ_CHUNK, end - offset), offset)
        if not chunk:
            break
        offset += len(chunk)
        buf = carry + chunk if carry else chunk
        base = offset - len(buf)
        pos = 0
        while True:
            nl = buf.find(b"\n", pos)
            if nl == -1:
                break
            yield base + pos, buf[pos : nl + 1]
            pos = nl + 1
        carry = buf[pos:]
    if carry:
        yield offset - len(carry), carry


class Link:
    """One whole line of a chain walk (see :func:`walk`); a plain class as :class:`Line`."""

    __slots__ = ("chained", "line", "offset", "prev", "problem", "size")

    def __init__(
        self,
        offset: int,
        size: int,  # with the newline
        line: Line | None,  # None: the line does not parse (``problem`` says why)
        problem: str,
        chained: bool,  # its hash follows from the line before (unknown after a bad line: True)
        prev: str = "",  # the hash of the line before ("" after a line that does not parse)
    ) -> None:
        self.offset = offset
        self.size = size
        self.line = line
        self.problem = problem
        self.chained = chained
        self.prev = prev

    def _key(self) -> tuple[Any, ...]:
        return (self.offset, self.size, self.line, self.problem, self.chained, self.prev)

    def __eq__(self, other: object) -> bool:
        if other.__class__ is not Link:
            return NotImplemented
        assert isinstance(other, Link)
        return self._key() == other._key()

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        names = self.__slots__
        return (
            "Link(" + ", ".join(f"{n}={v!r}" for n, v in zip(names, self._key(), strict=True)) + ")"
        )


def walk(fd: int, start: int, end: int, prev_hash: str) -> Iterator[Link]:
    """The whole lines in ``[start, end)`` with their place in the chain after ``prev_hash``.

    Stops before a torn last line (no newline). A line that does not parse
    is yielded with its problem, and the line after it starts the chain
    again: the index goes on past damage, verification stops at it.
    """
    for offset, raw in iter_lines(fd, start, end):
        if not raw.endswith(b"\n"):
            return
        try:
            line = decode_line(raw[:-1])
        except ValueError as e:
            prev_hash = ""
            yield Link(offset, len(raw), None, str(e), True)
            continue
        chained = not prev_hash or chain_hash(prev_hash, line.body) == line.hash
        yield Link(offset, len(raw), line, "", chained, prev_hash)
        prev_hash = line.hash
