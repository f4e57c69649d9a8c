"""A plain-file persistence module for the ``eventsourcing`` library.

Select it with ``PERSISTENCE_MODULE=complaintctl.filestore`` and point
``FILESTORE_PATH`` at a directory. Each recorder writes one append-only,
hash-chained JSON Lines log (``events.jsonl``, ``snapshots.jsonl``,
``tracking.jsonl``); ``docs/storage.md`` describes the format so that a log
can be read and checked without this code.

Why it is shaped like this:

* Appends are serialised by an OS lock (``flock``) on a lock file beside the
  log, so cron jobs and scripts in separate processes can write at once.
* A save is one batch of lines whose last line carries ``"commit":true``.
  A writer killed halfway leaves an uncommitted or torn tail; the next writer
  moves it to ``quarantine/`` before it appends, so a save is all or nothing.
* Every line's SHA-256 covers the previous line's hash, so an edited, removed
  or reordered line breaks the chain (:func:`verify_store` finds it).
* ``<log>.index.sqlite`` is a cache (delete it and it is rebuilt): it maps
  aggregate versions and notification positions to byte offsets, so reading
  one case never parses the whole log. It records how much of the log it
  covers and the hash of the last covered line, and is checked against the
  log whenever it is opened.
"""

from __future__ import annotations

import base64
import contextlib
import dataclasses
import errno
import fcntl
import hashlib
import logging
import os
import sqlite3
import threading
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from uuid import UUID

import orjson
from eventsourcing.persistence import (
    AggregateRecorder,
    ApplicationRecorder,
    DataError,
    InfrastructureFactory,
    IntegrityError,
    ListenNotifySubscription,
    Notification,
    OperationalError,
    ProcessRecorder,
    StoredEvent,
    Subscription,
    Tracking,
    TrackingRecorder,
)
from eventsourcing.utils import resolve_topic, strtobool

__all__ = [
    "FileApplicationRecorder",
    "FileInfrastructureFactory",
    "LogCorruptedError",
    "StoreUnavailableError",
    "VerifyReport",
    "verify_store",
]

log = logging.getLogger(__name__)

GENESIS = "0" * 64
INDEX_FORMAT = 2
_DATA = b',"data":'
_DATA_B64 = b',"data_b64":"'
_HASH_MEMBER_LEN = len(b',"hash":"') + 64 + 1
_READ_CHUNK = 1 << 20
_PAIRS_PER_QUERY = 400  # (case, version) pairs per uniqueness query: 800 variables < 999


class StoreUnavailableError(OperationalError):
    """The store cannot be used now: lock held too long, disk full, no permission."""


class LogCorruptedError(DataError):
    """A committed line of the log is not what was written (tampering or damage)."""


# ---------------------------------------------------------------------------
# Line format


def _encode_line(
    prev_hash: str,
    header: dict[str, Any],
    state: bytes | None,
) -> tuple[bytes, str]:
    """Return one log line (with newline) and its chained hash.

    The hash is SHA-256 over the previous line's hash (64 ASCII hex digits)
    followed by this line without its ``,"hash":"..."`` member and newline.
    """
    head = orjson.dumps(header)[:-1]
    if state is None:
        tail = b"}"
    elif _is_plain_json(state):
        tail = _DATA + state + b"}"
    else:
        tail = _DATA_B64 + base64.b64encode(state) + b'"}'
    digest = hashlib.sha256(prev_hash.encode() + head + tail).hexdigest()
    return head + b',"hash":"' + digest.encode() + b'"' + tail + b"\n", digest


class _EventLineEncoder:
    """Encodes event lines of one save byte for byte as :func:`_encode_line` would.

    A bulk save writes thousands of lines whose headers differ only in a few
    numbers, so the JSON of the repeated strings (case ids, topics, the
    recorded time) is made once and the header is formatted, not serialised.
    ``tests/test_filestore_index.py`` checks the two agree.
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
    ) -> tuple[bytes, str]:
        head = b'{"position":%d,"originator_id":%s,"version":%d,"topic":%s%s,"commit":%s' % (
            position,
            self._json(originator_id),
            version,
            self._json(topic),
            self._recorded,
            b"true" if commit else b"false",
        )
        if _is_plain_json(state):
            tail = _DATA + state + b"}"
        else:
            tail = _DATA_B64 + base64.b64encode(state) + b'"}'
        digest = hashlib.sha256(prev_hash.encode() + head + tail).hexdigest()
        return head + b',"hash":"' + digest.encode() + b'"' + tail + b"\n", digest


def _is_plain_json(state: bytes) -> bool:
    """True if ``state`` can sit verbatim in a line as a JSON value."""
    if not state or b"\n" in state or b"\r" in state:
        return False
    try:
        orjson.loads(state)
    except orjson.JSONDecodeError:
        return False
    return True


@dataclass(slots=True)
class _Line:
    header: dict[str, Any]
    state: bytes | None
    hash: str
    body_hash_input: bytes  # the line less its hash member and newline


def _decode_line(raw: bytes) -> _Line:
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
    body = head_bytes[: -len(member)] + tail
    return _Line(header, state, digest, body)


def _chain_hash(prev_hash: str, body: bytes) -> str:
    return hashlib.sha256(prev_hash.encode() + body).hexdigest()


def _read_line(raw: bytes) -> tuple[dict[str, Any], bytes | None]:
    """Header and payload of one committed line (without newline), for bulk readers.

    The lines a reader reaches were chain-checked when they were indexed, so
    this skips :func:`_decode_line`'s hash bookkeeping (about half its cost
    when paging through a whole log). Malformed input still raises ValueError.
    """
    i = raw.find(b',"data')
    if i == -1:
        return orjson.loads(raw), None
    header = orjson.loads(raw[:i] + b"}")
    if raw.startswith(_DATA, i):
        return header, raw[i + len(_DATA) : -1]
    return header, base64.b64decode(raw[i + len(_DATA_B64) : -2], validate=True)


# ---------------------------------------------------------------------------
# The log: one file, its lock, its index


@dataclass(slots=True, eq=False)
class _Save:
    """One caller's batch, queued for the write lock (see :meth:`_Log.append`)."""

    events: Sequence[StoredEvent]
    tracking: Tracking | None
    ids: list[int] = field(default_factory=list)
    error: BaseException | None = None
    done: bool = False


@dataclass(slots=True)
class _Tail:
    """Where the committed part of the log ends."""

    end: int = 0  # byte offset after the last committed line
    last_line_start: int = 0
    last_hash: str = GENESIS
    last_position: int = 0
    lines: int = 0
    mtime_ns: int = 0  # the log's mtime when a writer last saw it whole
    damaged_line: int = 0  # first damaged line found, 0 if none
    damage: str = ""


class _Log:
    """One append-only hash-chained JSON Lines log with its lock and index."""

    def __init__(
        self,
        directory: Path,
        name: str,
        *,
        fsync: bool,
        lock_timeout: float,
        uuid_ids: bool,
    ) -> None:
        self.directory = directory
        self.path = directory / f"{name}.jsonl"
        self.index_path = directory / f"{name}.index.sqlite"
        self.lock_path = directory / f"{name}.lock"
        self.quarantine_dir = directory / "quarantine"
        self.fsync = fsync
        self.lock_timeout = lock_timeout
        self.uuid_ids = uuid_ids
        self._thread_lock = threading.RLock()
        self._queue: list[_Save] = []  # saves of this process waiting for the lock
        self._queue_lock = threading.Lock()
        self.read_only = False
        _ensure_dir(directory)
        try:
            self._fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_APPEND, 0o600)
            self._lock_fd = os.open(self.lock_path, os.O_RDWR | os.O_CREAT, 0o600)
        except OSError as e:
            if e.errno not in (errno.EACCES, errno.EPERM, errno.EROFS) or not self.path.exists():
                raise StoreUnavailableError(f"cannot open {self.path}: {_os_reason(e)}") from e
            # An auditor's read-only copy: reads work, writes are refused.
            self.read_only = True
            try:
                self._fd = os.open(self.path, os.O_RDONLY)
            except OSError as e2:
                raise StoreUnavailableError(f"cannot read {self.path}: {_os_reason(e2)}") from e2
            self._lock_fd = -1
        self._db = self._open_index()
        self._tail = _Tail()
        self._synced = False
        self._warned = False
        self._closed = False
        self._sync_tail_from_index()

    # -- index -------------------------------------------------------------

    def _open_index(self) -> sqlite3.Connection:
        if self.read_only:
            return self._connect_index(":memory:")  # built from the log, kept in memory
        try:
            db = self._connect_index()
        except sqlite3.OperationalError as e:
            # Disk full, size limit, I/O error, busy: the index is not damaged; keep it.
            raise StoreUnavailableError(f"index {self.index_path}: {e}") from e
        except sqlite3.DatabaseError:
            log.warning("index %s is unreadable: rebuilding it", self.index_path)
            self._remove_index_files()
            db = self._connect_index()
        return db

    def _connect_index(self, where: str | None = None) -> sqlite3.Connection:
        db = sqlite3.connect(
            where or self.index_path,
            timeout=max(self.lock_timeout, 1.0),
            check_same_thread=False,
            isolation_level=None,
        )
        with contextlib.suppress(OSError):
            os.chmod(self.index_path, 0o600)
        version = db.execute("PRAGMA user_version").fetchone()[0]
        tables = db.execute("SELECT count(*) FROM sqlite_master WHERE type = 'table'").fetchone()[0]
        if tables and version != INDEX_FORMAT and where is None:
            # An index written by another version of this module: start it again.
            log.warning("index %s has another format: rebuilding it", self.index_path)
            db.close()
            self._remove_index_files()
            return self._connect_index()
        db.execute("PRAGMA journal_mode=WAL")
        db.execute("PRAGMA synchronous=OFF")
        db.executescript(
            """
            CREATE TABLE IF NOT EXISTS meta (
                id INTEGER PRIMARY KEY CHECK (id = 1),
                format INTEGER, end INTEGER, last_line_start INTEGER,
                last_hash TEXT, last_position INTEGER, lines INTEGER,
                mtime_ns INTEGER, damaged_line INTEGER, damage TEXT
            );
            CREATE TABLE IF NOT EXISTS events (
                position INTEGER PRIMARY KEY,
                originator_id TEXT NOT NULL,
                version INTEGER NOT NULL,
                offset INTEGER NOT NULL,
                length INTEGER NOT NULL
            );
            CREATE UNIQUE INDEX IF NOT EXISTS events_by_originator
                ON events (originator_id, version);
            CREATE TABLE IF NOT EXISTS tracking (
                application_name TEXT PRIMARY KEY,
                notification_id INTEGER NOT NULL
            );
            """
        )
        db.execute(f"PRAGMA user_version = {INDEX_FORMAT}")
        return db

    def _remove_index_files(self) -> None:
        for suffix in ("", "-wal", "-shm"):
            with contextlib.suppress(FileNotFoundError):
                os.unlink(f"{self.index_path}{suffix}")

    _META = (
        "format",
        "end",
        "last_line_start",
        "last_hash",
        "last_position",
        "lines",
        "mtime_ns",
        "damaged_line",
        "damage",
    )

    def _read_meta(self) -> dict[str, Any]:
        row = self._db.execute(f"SELECT {', '.join(self._META)} FROM meta").fetchone()
        return {} if row is None else dict(zip(self._META, row, strict=True))

    def _sync_tail_from_index(self, *, for_write: bool = False) -> None:
        """Make the index current with the committed log (catch up or rebuild).

        A damaged index (it is only a cache) is thrown away and rebuilt. A
        writer (``for_write``, holding the lock) also notices a log changed
        other than by appending (its mtime moved but no writer recorded it)
        and then checks the whole chain before it appends.
        """
        st = os.fstat(self._fd)
        size = st.st_size
        if (
            size == self._tail.end
            and self._synced
            and (not for_write or st.st_mtime_ns == self._tail.mtime_ns)
        ):
            return
        try:
            self._catch_up(size, st.st_mtime_ns if for_write else None)
        except sqlite3.OperationalError as e:
            # Busy past the timeout, disk full, no permission: not damage.
            raise StoreUnavailableError(f"index {self.index_path}: {e}") from e
        except sqlite3.DatabaseError as e:
            if self.read_only:
                raise
            log.warning("index %s is damaged (%s): rebuilding it", self.index_path, e)
            with contextlib.suppress(sqlite3.Error):
                self._db.close()
            self._remove_index_files()
            self._db = self._connect_index()
            self._catch_up(size, st.st_mtime_ns if for_write else None)
        if self._tail.damaged_line and not self._warned:
            self._warned = True
            log.warning(
                "%s line %d is damaged (%s): reads go on, writes are refused; "
                "run 'complaintctl verify'",
                self.path,
                self._tail.damaged_line,
                self._tail.damage,
            )

    def _catch_up(self, size: int, mtime_ns: int | None) -> None:
        """Index what is new; ``mtime_ns`` (writers only) checks the log is only appended to."""
        self._db.execute("BEGIN IMMEDIATE")
        try:
            tail = self._validated_index_tail()
            rebuilt = tail is None
            if tail is None:
                tail = _Tail()
                self._db.execute("DELETE FROM events")
                self._db.execute("DELETE FROM tracking")
            tail = self._index_from(tail, size)
            if mtime_ns is not None and tail.mtime_ns != mtime_ns:
                if not rebuilt:
                    self._check_whole_chain(tail)
                tail.mtime_ns = mtime_ns
            self._write_meta(tail)
            self._db.execute("COMMIT")
        except BaseException:
            self._db.execute("ROLLBACK")
            raise
        self._tail = tail
        self._synced = True

    def _check_whole_chain(self, tail: _Tail) -> None:
        """Walk the committed log from line 1 and record (or clear) damage."""
        report = VerifyReport(file=str(self.path))
        _verify_fd(self._fd, self.path, report, end=tail.end)
        if report.ok:
            tail.damaged_line, tail.damage = 0, ""
        else:
            tail.damaged_line, tail.damage = report.line or 1, report.problem or "damaged"

    def _validated_index_tail(self) -> _Tail | None:
        """The index's idea of the log end, if it still matches the log."""
        meta = self._read_meta()
        if not meta:
            return None  # a new or deleted index: built from the log
        if meta.get("format") != INDEX_FORMAT or meta.get("end") is None:
            log.warning("index %s has another format: rebuilding it", self.index_path)
            return None
        tail = _Tail(
            end=int(meta["end"]),
            last_line_start=int(meta["last_line_start"]),
            last_hash=str(meta["last_hash"]),
            last_position=int(meta["last_position"]),
            lines=int(meta["lines"]),
            mtime_ns=int(meta["mtime_ns"] or 0),
            damaged_line=int(meta["damaged_line"] or 0),
            damage=str(meta["damage"] or ""),
        )
        if tail.end == 0:
            return tail
        raw = os.pread(self._fd, tail.end - tail.last_line_start, tail.last_line_start)
        ok = raw.endswith(b"\n")
        if ok:
            try:
                ok = _decode_line(raw[:-1]).hash == tail.last_hash
            except ValueError:
                ok = False
        if not ok:
            log.warning("index %s does not match the log: rebuilding it", self.index_path)
            return None
        return tail

    def _write_meta(self, tail: _Tail) -> None:
        self._db.execute(
            f"INSERT OR REPLACE INTO meta (id, {', '.join(self._META)}) "
            f"VALUES (1, {', '.join('?' * len(self._META))})",
            (INDEX_FORMAT, *(getattr(tail, k) for k in self._META[1:])),
        )

    def _index_from(self, tail: _Tail, size: int) -> _Tail:
        """Index committed batches in ``[tail.end, size)``; return the new tail.

        Lines are checked (JSON, chain, positions) as they are indexed. A
        damaged line is recorded in the tail (so writers refuse to append,
        and readers warn) and indexing goes on past it, so reads still work:
        an unreadable line is skipped, a line whose chain or position is
        wrong is still indexed. An uncommitted or torn remainder is left
        alone here: only a writer holding the lock may quarantine it.
        """
        if size <= tail.end:
            return tail
        new = dataclasses.replace(tail)

        def damaged(lineno: int, why: str) -> None:
            if not new.damaged_line:
                new.damaged_line, new.damage = lineno, why

        pending_events: list[tuple[int, str, int, int, int]] = []
        pending_tracking: dict[str, int] = {}
        batch_events: list[tuple[int, str, int, int, int]] = []
        batch_tracking: dict[str, int] = {}
        prev_hash, position, lineno = new.last_hash, new.last_position, new.lines
        for offset, raw in _iter_lines(self._fd, new.end, size):
            if not raw.endswith(b"\n"):
                break  # torn: left for a writer to quarantine
            lineno += 1
            try:
                line = _decode_line(raw[:-1])
                h = line.header
                if "position" in h and not (
                    isinstance(h["position"], int)
                    and isinstance(h.get("originator_id"), str)
                    and isinstance(h.get("version"), int)
                    and isinstance(h.get("topic"), str)
                ):
                    raise ValueError("malformed event header")
            except ValueError as e:
                damaged(lineno, f"unreadable line ({e})")
                prev_hash = ""  # unknown: the next line starts the chain again
                continue
            if prev_hash and _chain_hash(prev_hash, line.body_hash_input) != line.hash:
                damaged(lineno, "broken hash chain")
            prev_hash = line.hash
            if "position" in h:
                if h["position"] <= position:
                    damaged(lineno, f"position {h['position']} out of order")
                    continue
                if h["position"] != position + 1:
                    damaged(lineno, f"gap in positions before {h['position']}")
                position = h["position"]
                batch_events.append((position, h["originator_id"], h["version"], offset, len(raw)))
            elif "tracking" in h:
                batch_tracking[h["tracking"]] = h["notification_id"]
            if h.get("commit"):
                pending_events.extend(batch_events)
                pending_tracking.update(batch_tracking)
                batch_events, batch_tracking = [], {}
                new.end = offset + len(raw)
                new.last_line_start = offset
                new.last_hash = line.hash
                new.last_position = position
                new.lines = lineno
        before = self._db.total_changes
        self._db.executemany(
            "INSERT OR IGNORE INTO events (position, originator_id, version, offset, length) "
            "VALUES (?, ?, ?, ?, ?)",
            pending_events,
        )
        if self._db.total_changes - before != len(pending_events):
            damaged(new.lines, "an aggregate version is recorded twice")
        self._db.executemany(
            "INSERT OR REPLACE INTO tracking (application_name, notification_id) VALUES (?, ?)",
            pending_tracking.items(),
        )
        return new

    # -- locking -----------------------------------------------------------

    @contextlib.contextmanager
    def locked(self) -> Iterator[None]:
        """Hold the log's write lock (threads and processes)."""
        with self._thread_lock:
            deadline = time.monotonic() + self.lock_timeout
            delay = 0.0005
            while True:
                try:
                    fcntl.flock(self._lock_fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    break
                except BlockingIOError:
                    if time.monotonic() >= deadline:
                        holder = _read_holder(self._lock_fd)
                        raise StoreUnavailableError(
                            f"{self.path} is locked by another process"
                            f"{f' (pid {holder})' if holder else ''}; "
                            f"gave up after {self.lock_timeout:g} s"
                        ) from None
                    time.sleep(delay)
                    delay = min(delay * 2, 0.002)
            try:
                with contextlib.suppress(OSError):
                    os.pwrite(self._lock_fd, f"{os.getpid()}\n".encode().ljust(16), 0)
                yield
            finally:
                fcntl.flock(self._lock_fd, fcntl.LOCK_UN)

    # -- writing -----------------------------------------------------------

    def append(
        self,
        events: Sequence[StoredEvent],
        tracking: Tracking | None = None,
    ) -> list[int]:
        """Append one batch atomically; return the notification ids.

        Group commit: batches from threads of this process that arrive while
        another thread holds the lock wait in a queue, and the next thread to
        get the lock writes all of them with one ``write`` and one ``fsync``
        (the fsync is most of the cost of a small save). Each batch is still
        checked on its own (a conflict fails that batch only), still ends in
        its own commit line (all or nothing), and its caller returns only
        once it is on disk.
        """
        if not events and tracking is None:
            return []
        if self.read_only:
            raise StoreUnavailableError(f"{self.path} is read-only here: nothing can be written")
        save = _Save(events, tracking)
        with self._queue_lock:
            self._queue.append(save)
        try:
            with self.locked():
                if not save.done:
                    with self._queue_lock:
                        group, self._queue = self._queue, []
                    self._append_group(group)
        except BaseException as e:
            with self._queue_lock:  # not written: it must not be written later either
                if save in self._queue:
                    self._queue.remove(save)
            if not save.done or not isinstance(e, Exception):
                raise
        if save.error is not None:
            raise save.error
        return save.ids

    def _append_group(self, group: list[_Save]) -> None:
        """Write the queued saves (caller holds the lock); mark every one done."""
        try:
            self._sync_tail_from_index(for_write=True)
            if self._tail.damaged_line:
                raise LogCorruptedError(
                    f"{self.path} line {self._tail.damaged_line} is damaged "
                    f"({self._tail.damage}); nothing is appended to a broken chain "
                    "(run 'complaintctl verify'; restore the log from a backup)"
                )
            self._quarantine_tail()
            start = self._tail
            recorded_at = datetime.now(UTC).isoformat()
            encoder = _EventLineEncoder(recorded_at)
            prev_hash, position, offset = start.last_hash, start.last_position, start.end
            parts: list[bytes] = []
            rows: list[tuple[int, str, int, int, int]] = []
            trackings: list[Tracking] = []
            last_line_start = offset
            lines = start.lines
            claimed: set[tuple[str, int]] = set()  # versions taken by earlier saves here
            claimed_tracking: dict[str, int] = {}
            written: list[tuple[_Save, int]] = []
            for save in group:
                events, tracking = save.events, save.tracking
                oids = [str(ev.originator_id) for ev in events]
                try:
                    self._check_unique(events, claimed, oids)
                    if tracking is not None:
                        self._check_tracking(tracking, claimed_tracking)
                except IntegrityError as e:
                    save.error, save.done = e, True
                    continue
                first_row = len(rows)
                n_lines = len(events) + (tracking is not None)
                for i, ev in enumerate(events):
                    position += 1
                    oid = oids[i]
                    line, prev_hash = encoder.event(
                        prev_hash,
                        position,
                        oid,
                        ev.originator_version,
                        ev.topic,
                        i == n_lines - 1,
                        ev.state,
                    )
                    rows.append((position, oid, ev.originator_version, offset, len(line)))
                    parts.append(line)
                    last_line_start = offset
                    offset += len(line)
                    claimed.add((oid, ev.originator_version))
                if tracking is not None:
                    header = {
                        "tracking": tracking.application_name,
                        "notification_id": tracking.notification_id,
                        "recorded_at": recorded_at,
                        "commit": True,
                    }
                    line, prev_hash = _encode_line(prev_hash, header, None)
                    parts.append(line)
                    last_line_start = offset
                    offset += len(line)
                    trackings.append(tracking)
                    claimed_tracking[tracking.application_name] = tracking.notification_id
                lines += n_lines
                written.append((save, first_row))
            if written:
                self._write_durably(b"".join(parts), start.end)
                mtime_ns = os.fstat(self._fd).st_mtime_ns
                new = _Tail(offset, last_line_start, prev_hash, position, lines, mtime_ns)
                self._record_in_index(start, new, rows, trackings)
            ends = [first for _, first in written[1:]] + [len(rows)]
            for (save, first), end in zip(written, ends, strict=True):
                save.ids = [r[0] for r in rows[first:end]]
                save.done = True
        except BaseException as e:
            for save in group:
                if not save.done:
                    save.error = (
                        e
                        if isinstance(e, Exception)
                        else StoreUnavailableError(f"the write was interrupted ({e!r})")
                    )
                    save.done = True
            raise

    def _write_durably(self, data: bytes, at: int) -> None:
        try:
            written = os.write(self._fd, data)
            while written < len(data):
                written += os.write(self._fd, data[written:])
            if self.fsync:
                os.fsync(self._fd)
        except OSError as e:
            # Leave nothing half-written: cut back to where the batch began.
            with contextlib.suppress(OSError):
                os.ftruncate(self._fd, at)
                if self.fsync:
                    os.fsync(self._fd)
            raise StoreUnavailableError(f"cannot write {self.path}: {_os_reason(e)}") from e

    def _record_in_index(
        self,
        start: _Tail,
        new: _Tail,
        rows: list[tuple[int, str, int, int, int]],
        trackings: list[Tracking],
    ) -> None:
        self._db.execute("BEGIN IMMEDIATE")
        try:
            meta = self._read_meta()
            if meta.get("end") == start.end:
                self._db.executemany(
                    "INSERT INTO events (position, originator_id, version, offset, length) "
                    "VALUES (?, ?, ?, ?, ?)",
                    rows,
                )
                self._db.executemany(
                    "INSERT OR REPLACE INTO tracking VALUES (?, ?)",
                    [(t.application_name, t.notification_id) for t in trackings],
                )
                self._write_meta(new)
            elif meta.get("end") == new.end:
                # A reader indexed this very batch first; the mtime is still ours to record.
                self._db.execute("UPDATE meta SET mtime_ns = ?", (new.mtime_ns,))
            self._db.execute("COMMIT")
        except BaseException:
            self._db.execute("ROLLBACK")
            raise
        if meta.get("end") != start.end:
            self._sync_tail_from_index()  # a reader indexed it first, or is behind
        else:
            self._tail = new

    def _check_unique(
        self,
        events: Sequence[StoredEvent],
        claimed: set[tuple[str, int]] | None = None,
        oids: Sequence[str] | None = None,
    ) -> None:
        """Raise IntegrityError if a version is twice in the save or already recorded.

        One index query per save (not one per aggregate): a bulk save of a
        thousand events of a hundred cases stays cheap.
        """
        if oids is None:
            oids = [str(ev.originator_id) for ev in events]
        keys: set[tuple[str, int]] = set()
        for oid, ev in zip(oids, events, strict=True):
            key = (oid, ev.originator_version)
            if key in keys:
                raise IntegrityError(f"version {key[1]} of {oid} twice in one save")
            if claimed and key in claimed:
                raise IntegrityError(f"version {key[1]} of {oid} is already recorded")
            keys.add(key)
        if len(keys) == 1:
            hit = self._db.execute(
                "SELECT originator_id, version FROM events WHERE originator_id = ? AND version = ?",
                next(iter(keys)),
            ).fetchone()
            if hit:
                raise IntegrityError(f"version {hit[1]} of {hit[0]} is already recorded")
            return
        params = [x for key in keys for x in key]
        step = 2 * _PAIRS_PER_QUERY
        for i in range(0, len(params), step):
            chunk = params[i : i + step]
            hit = self._db.execute(
                "SELECT e.originator_id, e.version FROM (VALUES "
                + ",".join(["(?,?)"] * (len(chunk) // 2))
                + ") AS v JOIN events AS e "
                "ON e.originator_id = v.column1 AND e.version = v.column2 LIMIT 1",
                chunk,
            ).fetchone()
            if hit:
                raise IntegrityError(f"version {hit[1]} of {hit[0]} is already recorded")

    def _check_tracking(self, tracking: Tracking, claimed: dict[str, int] | None = None) -> None:
        current = self.max_tracking_id(tracking.application_name, sync=False)
        if claimed and tracking.application_name in claimed:
            current = claimed[tracking.application_name]  # a later id, from this group
        if current is not None and tracking.notification_id <= current:
            raise IntegrityError(
                f"tracking id {tracking.notification_id} for {tracking.application_name!r} "
                f"not greater than {current}"
            )

    def _quarantine_tail(self) -> None:
        """Move an uncommitted or torn tail aside (caller holds the lock)."""
        size = os.fstat(self._fd).st_size
        if size <= self._tail.end:
            return
        self.quarantine_dir.mkdir(mode=0o700, exist_ok=True)
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")
        target = self.quarantine_dir / f"{self.path.name}.{stamp}.at-{self._tail.end}"
        data = os.pread(self._fd, size - self._tail.end, self._tail.end)
        try:
            fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            try:
                os.write(fd, data)
                os.fsync(fd)
            finally:
                os.close(fd)
            _fsync_dir(self.quarantine_dir)
            os.ftruncate(self._fd, self._tail.end)
            os.fsync(self._fd)
        except OSError as e:
            raise StoreUnavailableError(f"cannot quarantine a torn tail: {_os_reason(e)}") from e
        log.warning(
            "moved %d bytes of an unfinished write from the end of %s to %s",
            len(data),
            self.path,
            target,
        )

    # -- reading -----------------------------------------------------------

    def refresh(self) -> _Tail:
        with self._thread_lock:
            self._sync_tail_from_index()
            return self._tail

    def select_events(
        self,
        originator_id: UUID | str,
        gt: int | None,
        lte: int | None,
        desc: bool,
        limit: int | None,
    ) -> list[StoredEvent]:
        with self._thread_lock:
            self._sync_tail_from_index()
            sql = "SELECT version, offset, length FROM events WHERE originator_id = ?"
            params: list[Any] = [str(originator_id)]
            if gt is not None:
                sql += " AND version > ?"
                params.append(gt)
            if lte is not None:
                sql += " AND version <= ?"
                params.append(lte)
            sql += " ORDER BY version DESC" if desc else " ORDER BY version"
            if limit is not None:
                sql += " LIMIT ?"
                params.append(limit)
            rows = self._db.execute(sql, params).fetchall()
            result = []
            for _version, offset, length in rows:
                try:
                    line = _decode_line(os.pread(self._fd, length, offset)[:-1])
                except ValueError:
                    self._unreadable(offset)
                    continue
                h = line.header
                result.append(
                    StoredEvent(originator_id, h["version"], h["topic"], line.state or b"")
                )
            return result

    def select_notifications(
        self,
        start: int,
        limit: int,
        stop: int | None,
        topics: Sequence[str],
    ) -> list[Notification]:
        with self._thread_lock:
            self._sync_tail_from_index()
            end = self._tail.end
            row = self._db.execute(
                "SELECT offset FROM events WHERE position >= ? ORDER BY position LIMIT 1",
                (start,),
            ).fetchone()
            if row is not None and not topics and limit > 0:
                # Without a topic filter the page's last line is known: read
                # up to it, not a whole chunk past it.
                last = start + limit - 1 if stop is None else min(start + limit - 1, stop)
                bound = self._db.execute(
                    "SELECT offset + length FROM events WHERE position <= ? "
                    "ORDER BY position DESC LIMIT 1",
                    (last,),
                ).fetchone()
                if bound is not None:
                    end = min(end, bound[0])
        if row is None or limit <= 0:
            return []
        topic_set = set(topics)
        result: list[Notification] = []
        convert = self._convert_id
        ids: dict[str, UUID | str] = {}  # a case's events often share a page
        for offset, raw in _iter_lines(self._fd, row[0], end):
            try:
                h, state = _read_line(raw[:-1])
            except ValueError:
                self._unreadable(offset)
                continue
            if "position" not in h:
                continue
            if stop is not None and h["position"] > stop:
                break
            if topic_set and h["topic"] not in topic_set:
                continue
            oid = h["originator_id"]
            originator_id = ids.get(oid)
            if originator_id is None:
                originator_id = ids[oid] = convert(oid)
            result.append(
                Notification(
                    id=h["position"],
                    originator_id=originator_id,
                    originator_version=h["version"],
                    topic=h["topic"],
                    state=state or b"",
                )
            )
            if len(result) >= limit:
                break
        return result

    def _unreadable(self, offset: int) -> None:
        """A committed line no longer parses (changed after it was indexed): skip it, warn.

        Writers notice too: the log's mtime moved without a writer recording
        it, so the next writer checks the whole chain and refuses to append.
        """
        log.warning(
            "%s: the line at byte %d is damaged and was skipped; run 'complaintctl verify'",
            self.path,
            offset,
        )

    def _convert_id(self, value: str) -> UUID | str:
        if self.uuid_ids:
            try:
                return UUID(value)
            except ValueError:
                return value
        return value

    def max_tracking_id(self, application_name: str, *, sync: bool = True) -> int | None:
        with self._thread_lock:
            if sync:
                self._sync_tail_from_index()
            row = self._db.execute(
                "SELECT notification_id FROM tracking WHERE application_name = ?",
                (application_name,),
            ).fetchone()
            return None if row is None else int(row[0])

    def close(self) -> None:
        with self._thread_lock:
            if self._closed:
                return
            self._closed = True
            self._db.close()
            os.close(self._fd)
            if self._lock_fd >= 0:
                os.close(self._lock_fd)


def _iter_lines(fd: int, start: int, end: int) -> Iterator[tuple[int, bytes]]:
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


def _read_holder(fd: int) -> int | None:
    try:
        return int(os.pread(fd, 16, 0).strip() or b"0") or None
    except (OSError, ValueError):
        return None


def _ensure_dir(path: Path) -> None:
    try:
        if not path.is_dir():
            path.mkdir(mode=0o700, parents=True, exist_ok=True)
            _fsync_dir(path.parent)
    except OSError as e:
        raise StoreUnavailableError(f"cannot create store directory {path}: {_os_reason(e)}") from e


def _fsync_dir(path: Path) -> None:
    with contextlib.suppress(OSError):
        fd = os.open(path, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def _os_reason(e: OSError) -> str:
    if e.errno == errno.ENOSPC:
        return "no space left on device"
    if e.errno == errno.EFBIG:
        return "file too large (size limit reached)"
    if e.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
        return f"permission denied ({e.strerror})"
    return e.strerror or str(e)


# ---------------------------------------------------------------------------
# Recorders


class FileRecorder:
    """Base of the recorders: holds one log."""

    def __init__(self, log_: _Log) -> None:
        self.log = log_

    def close(self) -> None:
        self.log.close()


class FileAggregateRecorder(FileRecorder, AggregateRecorder):
    """Stores aggregate events (or snapshots) in one log."""

    def insert_events(
        self, stored_events: Sequence[StoredEvent], **kwargs: Any
    ) -> Sequence[int] | None:
        self.log.append(stored_events)
        return None

    def select_events(
        self,
        originator_id: UUID | str,
        *,
        gt: int | None = None,
        lte: int | None = None,
        desc: bool = False,
        limit: int | None = None,
    ) -> Sequence[StoredEvent]:
        return self.log.select_events(originator_id, gt, lte, desc, limit)


class FileApplicationRecorder(FileAggregateRecorder, ApplicationRecorder):
    """Adds the notification log: positions 1, 2, 3... with no gaps."""

    def __init__(self, log_: _Log, poll_interval: float = 0.05) -> None:
        super().__init__(log_)
        self.poll_interval = poll_interval
        self._listeners: set[threading.Event] = set()
        self._listeners_lock = threading.Lock()

    def insert_events(
        self, stored_events: Sequence[StoredEvent], **kwargs: Any
    ) -> Sequence[int] | None:
        ids = self.log.append(stored_events, kwargs.get("tracking"))
        self._notify_listeners()
        return ids

    def select_notifications(
        self,
        start: int | None,
        limit: int,
        stop: int | None = None,
        topics: Sequence[str] = (),
        *,
        inclusive_of_start: bool = True,
    ) -> Sequence[Notification]:
        if start is None:
            start = 1
        elif not inclusive_of_start:
            start += 1
        return self.log.select_notifications(max(start, 1), limit, stop, topics)

    def max_notification_id(self) -> int | None:
        return self.log.refresh().last_position or None

    def subscribe(
        self, gt: int | None = None, topics: Sequence[str] = ()
    ) -> Subscription[ApplicationRecorder]:
        return FileSubscription(self, gt=gt, topics=topics)

    def listen(self, event: threading.Event) -> None:
        with self._listeners_lock:
            self._listeners.add(event)

    def unlisten(self, event: threading.Event) -> None:
        with self._listeners_lock:
            self._listeners.discard(event)

    def _notify_listeners(self) -> None:
        with self._listeners_lock:
            for listener in self._listeners:
                listener.set()


class FileSubscription(ListenNotifySubscription[FileApplicationRecorder]):
    """Wakes on saves in this process, and polls for saves in other processes."""

    def __init__(
        self,
        recorder: FileApplicationRecorder,
        gt: int | None = None,
        topics: Sequence[str] = (),
    ) -> None:
        super().__init__(recorder=recorder, gt=gt, topics=topics)
        self._recorder.listen(self._has_been_notified)
        self._poll_stop = threading.Event()
        self._poller = threading.Thread(target=self._poll, daemon=True)
        self._poller.start()

    def _poll(self) -> None:
        while not self._poll_stop.wait(self._recorder.poll_interval):
            self._has_been_notified.set()

    def stop(self) -> None:
        self._poll_stop.set()
        super().stop()
        self._recorder.unlisten(self._has_been_notified)


class FileTrackingRecorder(FileRecorder, TrackingRecorder):
    """Records how far a downstream processor has got, per upstream application."""

    def insert_tracking(self, tracking: Tracking) -> None:
        self.log.append((), tracking)

    def max_tracking_id(self, application_name: str) -> int | None:
        return self.log.max_tracking_id(application_name)


class FileProcessRecorder(FileTrackingRecorder, FileApplicationRecorder, ProcessRecorder):
    """Events and their tracking record in one atomic batch."""

    def __init__(self, log_: _Log, poll_interval: float = 0.05) -> None:
        FileApplicationRecorder.__init__(self, log_, poll_interval)


# ---------------------------------------------------------------------------
# Factory


class FileInfrastructureFactory(InfrastructureFactory[FileTrackingRecorder]):
    """Builds recorders on a directory of plain files (``FILESTORE_PATH``)."""

    FILESTORE_PATH = "FILESTORE_PATH"
    FILESTORE_FSYNC = "FILESTORE_FSYNC"
    FILESTORE_LOCK_TIMEOUT = "FILESTORE_LOCK_TIMEOUT"
    FILESTORE_POLL_INTERVAL = "FILESTORE_POLL_INTERVAL"
    ORIGINATOR_ID_TYPE = "ORIGINATOR_ID_TYPE"

    def __init__(self, env: Any) -> None:
        super().__init__(env)
        path = self.env.get(self.FILESTORE_PATH)
        if not path:
            raise OSError(f"{self.FILESTORE_PATH} is not set: the file store needs a directory")
        self.path = Path(path)
        self.fsync = strtobool(self.env.get(self.FILESTORE_FSYNC, "yes"))
        self.lock_timeout = float(self.env.get(self.FILESTORE_LOCK_TIMEOUT, "10"))
        self.poll_interval = float(self.env.get(self.FILESTORE_POLL_INTERVAL, "0.05"))
        self.uuid_ids = self.env.get(self.ORIGINATOR_ID_TYPE, "uuid").lower() != "text"
        self._logs: list[_Log] = []

    def _log(self, name: str) -> _Log:
        lg = _Log(
            self.path,
            name,
            fsync=self.fsync,
            lock_timeout=self.lock_timeout,
            uuid_ids=self.uuid_ids,
        )
        self._logs.append(lg)
        return lg

    def aggregate_recorder(self, purpose: str = "events") -> AggregateRecorder:
        return FileAggregateRecorder(self._log(purpose))

    def application_recorder(self) -> ApplicationRecorder:
        return FileApplicationRecorder(self._log("events"), self.poll_interval)

    def tracking_recorder(
        self, tracking_recorder_class: type[FileTrackingRecorder] | None = None
    ) -> FileTrackingRecorder:
        if tracking_recorder_class is None:
            topic = self.env.get(self.TRACKING_RECORDER_TOPIC)
            tracking_recorder_class = resolve_topic(topic) if topic else FileTrackingRecorder
        assert tracking_recorder_class is not None
        return tracking_recorder_class(self._log("tracking"))

    def process_recorder(self) -> ProcessRecorder:
        return FileProcessRecorder(self._log("events"), self.poll_interval)

    def close(self) -> None:
        for lg in self._logs:
            lg.close()
        self._logs.clear()
        super().close()


Factory = FileInfrastructureFactory


# ---------------------------------------------------------------------------
# Verification


@dataclass
class VerifyReport:
    """What :func:`verify_store` found in one log file."""

    file: str
    ok: bool = True
    lines: int = 0
    events: int = 0
    line: int | None = None
    problem: str | None = None
    last_hash: str = GENESIS
    notes: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "file": self.file,
            "ok": self.ok,
            "lines": self.lines,
            "events": self.events,
            "line": self.line,
            "problem": self.problem,
            "last_hash": self.last_hash,
            "notes": list(self.notes),
        }


def verify_log(path: Path) -> VerifyReport:
    """Walk one log from its first line: JSON, chain, positions, versions, commits.

    An unfinished last write is only reported as damage if it is still there
    once the writers' lock is held (a live writer may be finishing it).
    """
    report = VerifyReport(file=str(path))
    try:
        fd = os.open(path, os.O_RDONLY)
    except FileNotFoundError:
        return report
    except OSError as e:
        report.ok, report.problem = False, f"cannot read: {_os_reason(e)}"
        return report
    try:
        _verify_fd(fd, path, report)
    finally:
        os.close(fd)
    return report


def _verify_fd(fd: int, path: Path, report: VerifyReport, end: int | None = None) -> None:
    """Walk the log (up to ``end`` if given: a writer checking what is committed)."""
    prev_hash = GENESIS
    position = 0
    versions: dict[str, int] = {}
    uncommitted_from: int | None = None  # line number where an open batch began
    offset = 0
    size = os.fstat(fd).st_size if end is None else end
    lock_checked = False
    while True:
        for off, raw in _iter_lines(fd, offset, size):
            offset = off + len(raw)
            lineno = report.lines + 1
            if not raw.endswith(b"\n"):
                offset = off
                break
            report.lines = lineno

            def bad(why: str, n: int = lineno) -> None:
                report.ok, report.line, report.problem = False, n, why

            try:
                line = _decode_line(raw[:-1])
            except ValueError as e:
                return bad(f"bad line: {e}")
            if _chain_hash(prev_hash, line.body_hash_input) != line.hash:
                return bad("broken hash chain (the line or the one before it was changed)")
            prev_hash = line.hash
            h = line.header
            if "position" in h:
                position += 1
                if h.get("position") != position:
                    return bad(f"gap in positions: found {h.get('position')}, expected {position}")
                oid, version = h.get("originator_id"), h.get("version")
                if not isinstance(oid, str) or not isinstance(version, int):
                    return bad("missing originator_id or version")
                last = versions.get(oid)
                if last is not None and version <= last:
                    return bad(f"version out of order for {oid}: {version} after {last}")
                versions[oid] = version
                report.events += 1
            elif "tracking" not in h:
                return bad("neither an event nor a tracking record")
            if h.get("commit") is True:
                uncommitted_from = None
                report.last_hash = line.hash
            elif uncommitted_from is None:
                uncommitted_from = lineno
        else:
            offset = size
        if end is not None:
            return None  # a writer's check of the committed part: the tail is its business
        new_size = os.fstat(fd).st_size
        if offset >= new_size and uncommitted_from is None:
            return None
        if new_size > size:
            size = new_size
            continue
        if not lock_checked:
            # Something unfinished at the end: wait for any live writer, then look again.
            lock_checked = True
            lock_path = path.with_suffix(".lock")
            with contextlib.suppress(OSError), _shared_lock(lock_path):
                size = os.fstat(fd).st_size
            continue
        n = uncommitted_from if uncommitted_from is not None else report.lines + 1
        report.ok, report.line = False, n
        report.problem = (
            "unfinished write at the end of the log (a writer died; "
            "the next write moves it to quarantine/)"
        )
        return None


@contextlib.contextmanager
def _shared_lock(lock_path: Path, timeout: float = 10.0) -> Iterator[None]:
    fd = os.open(lock_path, os.O_RDONLY)
    try:
        deadline = time.monotonic() + timeout
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() > deadline:
                    break
                time.sleep(0.01)
        yield
    finally:
        os.close(fd)


def verify_store(path: str | Path) -> list[VerifyReport]:
    """Verify every log file of a file store directory (see ``docs/storage.md``)."""
    directory = Path(path)
    names = ("events.jsonl", "snapshots.jsonl", "tracking.jsonl")
    return [verify_log(directory / n) for n in names if (directory / n).exists()]
