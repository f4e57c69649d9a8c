"""``<log>.index.sqlite``: a cache beside the log (delete it and it is rebuilt).

It maps aggregate versions and notification positions to byte offsets, so
reading one aggregate never parses the whole log, and it records how much of
the log it covers and the hash of the last covered line. It is checked
against the log whenever it is brought up to date: a log that grew is
indexed from where the index stopped (checking the chain on the way); a log
whose line at the recorded offset has another hash starts the index again.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import sqlite3
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any

from complaintctl.filestore import errors, lines
from complaintctl.filestore.lines import GENESIS
from complaintctl.filestore.lock import flock_within
from complaintctl.filestore.verify import check_chain

log = lines.Logger(__name__)  # logging loaded at the first message (lines.Logger)

INDEX_FORMAT = 3  # 3: each row holds its line's hash and the hash before it
_PAIRS_PER_QUERY = 400  # (aggregate, version) pairs per uniqueness query: 800 variables < 999
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
_SCHEMA = """
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
    length INTEGER NOT NULL,
    prev BLOB,
    hash BLOB NOT NULL
);
CREATE UNIQUE INDEX IF NOT EXISTS events_by_originator
    ON events (originator_id, version);
CREATE TABLE IF NOT EXISTS tracking (
    application_name TEXT PRIMARY KEY,
    notification_id INTEGER NOT NULL
);
"""

#: SQLite's primary result codes for a file that cannot be written now (PERM, READONLY,
#: IOERR, FULL, CANTOPEN), where a reader can do with an index in memory.
_CANNOT_WRITE = {3, 8, 10, 13, 14}


def index_cannot_be_written(e: BaseException) -> bool:
    """True if ``e`` (from opening or updating the index) means no room or no right to
    write its file, not a busy index or damage."""
    cause = e.__cause__
    code = getattr(cause, "sqlite_errorcode", None)
    if not isinstance(cause, sqlite3.Error) or not isinstance(code, int):
        return False
    return code & 0xFF in _CANNOT_WRITE


#: One indexed event: position, originator id, version, byte offset, byte length, the
#: hash of the line before (32 bytes; None where the walk lost it after a bad line) and
#: the line's own hash. A reader checks the line it reads against all of them.
Row = tuple[int, str, int, int, int, bytes | None, bytes]
#: What a reader gets of a row: offset, length, version, position, prev, hash.
Span = tuple[int, int, int, int, bytes | None, bytes]


class Tail:
    """Where the committed part of the log ends (a plain class with a dataclass's methods:
    no ``@dataclass`` compiled at import, BENCHMARKS.md issue 14, fourth round)."""

    __slots__ = (
        "damage",
        "damaged_line",
        "end",
        "last_hash",
        "last_line_start",
        "last_position",
        "lines",
        "mtime_ns",
    )

    def __init__(
        self,
        end: int = 0,  # byte offset after the last committed line
        last_line_start: int = 0,
        last_hash: str = GENESIS,
        last_position: int = 0,
        lines: int = 0,
        mtime_ns: int = 0,  # the log's mtime when a writer last saw it whole
        damaged_line: int = 0,  # first damaged line found, 0 if none
        damage: str = "",
    ) -> None:
        self.end = end
        self.last_line_start = last_line_start
        self.last_hash = last_hash
        self.last_position = last_position
        self.lines = lines
        self.mtime_ns = mtime_ns
        self.damaged_line = damaged_line
        self.damage = damage

    def _key(self) -> tuple[int, int, str, int, int, int, int, str]:
        return (
            self.end,
            self.last_line_start,
            self.last_hash,
            self.last_position,
            self.lines,
            self.mtime_ns,
            self.damaged_line,
            self.damage,
        )

    def copy(self) -> Tail:
        return Tail(*self._key())

    def __eq__(self, other: object) -> bool:
        if other.__class__ is not Tail:
            return NotImplemented
        assert isinstance(other, Tail)
        return self._key() == other._key()

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        pairs = zip(self.__slots__, self._key(), strict=True)
        return "Tail(" + ", ".join(f"{n}={v!r}" for n, v in pairs) + ")"


class Index:
    """The index of one log (``fd``, open on ``log_path``)."""

    def __init__(self, path: Path, log_path: Path, fd: int, *, read_only: bool, timeout: float):
        self.path = path
        self.log_path = log_path
        self.fd = fd
        self.read_only = read_only
        self.timeout = timeout
        self.db = self._open()

    # -- the file --------------------------------------------------------------

    def _open(self) -> sqlite3.Connection:
        if self.read_only:
            return self._connect(":memory:")  # built from the log, kept in memory
        try:
            db = self._connect()
        except sqlite3.OperationalError as e:
            # Disk full, size limit, I/O error, busy: the index is not damaged; keep it.
            raise errors.StoreUnavailableError(f"index {self.path}: {e}") from e
        except sqlite3.DatabaseError:
            log.warning("index %s is unreadable: rebuilding it", self.path)
            self._remove_files()
            db = self._connect()
        return db

    def _connect(self, where: str | None = None) -> sqlite3.Connection:
        db = self._sqlite(where)
        if where is None and self._format(db) == (True, INDEX_FORMAT):
            return self._pragmas(db)  # the common case: an index of this format
        # Made (or remade) by one process at a time, holding a lock on the log
        # itself: without it, a process that met another's half-made index
        # took it for one of another format and deleted it under that process.
        with self._setup_lock():
            tables, version = self._format(db)
            if where is None and tables and version != INDEX_FORMAT:
                log.warning("index %s has another format: rebuilding it", self.path)
                db.close()
                self._remove_files()
                db = self._sqlite(where)
            self._pragmas(db)
            db.executescript(
                f"BEGIN IMMEDIATE;{_SCHEMA}PRAGMA user_version = {INDEX_FORMAT};COMMIT;"
            )
        return db

    def _sqlite(self, where: str | None) -> sqlite3.Connection:
        db = sqlite3.connect(
            where or self.path,
            timeout=max(self.timeout, 1.0),
            check_same_thread=False,
            isolation_level=None,
        )
        with contextlib.suppress(OSError):
            os.chmod(self.path, 0o600)
        return db

    @staticmethod
    def _format(db: sqlite3.Connection) -> tuple[bool, int]:
        """Whether the index has tables, and its format number, read in one snapshot."""
        tables, version = db.execute(
            "SELECT (SELECT count(*) FROM sqlite_master WHERE type = 'table'), user_version"
            " FROM pragma_user_version"
        ).fetchone()
        return bool(tables), int(version)

    @staticmethod
    def _pragmas(db: sqlite3.Connection) -> sqlite3.Connection:
        db.execute("PRAGMA journal_mode=WAL")
        db.execute("PRAGMA synchronous=OFF")
        return db

    @contextlib.contextmanager
    def _setup_lock(self) -> Iterator[None]:
        """``flock`` on the log's descriptor (the writers' lock is another file)."""
        if self.read_only:
            yield
            return
        if not flock_within(self.fd, fcntl.LOCK_EX, max(self.timeout, 1.0)):
            raise errors.StoreUnavailableError(f"index {self.path}: another process is making it")
        try:
            yield
        finally:
            fcntl.flock(self.fd, fcntl.LOCK_UN)

    def _remove_files(self) -> None:
        for suffix in ("", "-wal", "-shm"):
            with contextlib.suppress(FileNotFoundError):
                os.unlink(f"{self.path}{suffix}")

    def close(self) -> None:
        self.db.close()

    # -- catching up -------------------------------------------------------------

    def catch_up(self, size: int, mtime_ns: int | None) -> Tail:
        """Index the committed log up to ``size``; rebuild a damaged index (only a cache).

        ``mtime_ns`` (writers only, holding the lock) checks that the log was
        only appended to: a log changed otherwise (its mtime moved but no
        writer recorded it) has its whole chain checked before anyone appends.
        """
        try:
            return self._catch_up(size, mtime_ns)
        except sqlite3.OperationalError as e:
            # Busy past the timeout, disk full, no permission: not damage.
            raise errors.StoreUnavailableError(f"index {self.path}: {e}") from e
        except sqlite3.DatabaseError as e:
            if self.read_only:
                raise
            log.warning("index %s is damaged (%s): rebuilding it", self.path, e)
            with contextlib.suppress(sqlite3.Error):
                self.db.close()
            self._remove_files()
            self.db = self._connect()
            return self._catch_up(size, mtime_ns)

    def _catch_up(self, size: int, mtime_ns: int | None) -> Tail:
        self.db.execute("BEGIN IMMEDIATE")
        try:
            tail = self._validated_tail()
            rebuilt = tail is None
            if tail is None:
                tail = Tail()
                self.db.execute("DELETE FROM events")
                self.db.execute("DELETE FROM tracking")
            tail = self._index_from(tail, size)
            if mtime_ns is not None and tail.mtime_ns != mtime_ns:
                if not rebuilt:
                    self._check_whole_chain(tail)
                tail.mtime_ns = mtime_ns
            self._write_meta(tail)
            self.db.execute("COMMIT")
        except BaseException:
            if self.db.in_transaction:  # SQLite rolled back already on a full disk
                self.db.execute("ROLLBACK")
            raise
        return tail

    def _check_whole_chain(self, tail: Tail) -> None:
        """Walk the committed log from line 1 and record (or clear) damage."""
        report = check_chain(self.fd, self.log_path, tail.end)
        if report.ok:
            tail.damaged_line, tail.damage = 0, ""
        else:
            tail.damaged_line, tail.damage = report.line or 1, report.problem or "damaged"

    def _read_meta(self) -> dict[str, Any]:
        row = self.db.execute(f"SELECT {', '.join(_META)} FROM meta").fetchone()
        return {} if row is None else dict(zip(_META, row, strict=True))

    def _write_meta(self, tail: Tail) -> None:
        self.db.execute(
            f"INSERT OR REPLACE INTO meta (id, {', '.join(_META)}) "
            f"VALUES (1, {', '.join('?' * len(_META))})",
            (INDEX_FORMAT, *(getattr(tail, k) for k in _META[1:])),
        )

    def _validated_tail(self) -> Tail | None:
        """The index's idea of the log end, if it still matches the log."""
        meta = self._read_meta()
        if not meta:
            return None  # a new or deleted index: built from the log
        if meta.get("format") != INDEX_FORMAT or meta.get("end") is None:
            log.warning("index %s has another format: rebuilding it", self.path)
            return None
        tail = Tail(
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
        raw = os.pread(self.fd, tail.end - tail.last_line_start, tail.last_line_start)
        ok = raw.endswith(b"\n")
        if ok:
            try:
                ok = lines.decode_line(raw[:-1]).hash == tail.last_hash
            except ValueError:
                ok = False
        if not ok:
            log.warning("index %s does not match the log: rebuilding it", self.path)
            return None
        return tail

    def _index_from(self, tail: Tail, size: int) -> Tail:
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
        new = tail.copy()

        def damaged(lineno: int, why: str) -> None:
            if not new.damaged_line:
                new.damaged_line, new.damage = lineno, why

        pending_events: list[Row] = []
        pending_tracking: dict[str, int] = {}
        batch_events: list[Row] = []
        batch_tracking: dict[str, int] = {}
        position, lineno = new.last_position, new.lines
        for link in lines.walk(self.fd, new.end, size, new.last_hash):
            lineno += 1
            line = link.line
            if line is not None:
                h = line.header
                if "position" in h and not (
                    isinstance(h["position"], int)
                    and isinstance(h.get("originator_id"), str)
                    and isinstance(h.get("version"), int)
                    and isinstance(h.get("topic"), str)
                ):
                    link.problem, line = "malformed event header", None
            if line is None:
                damaged(lineno, f"unreadable line ({link.problem})")
                continue
            if not link.chained:
                damaged(lineno, "broken hash chain")
            if "position" in h:
                if h["position"] <= position:
                    damaged(lineno, f"position {h['position']} out of order")
                    continue
                if h["position"] != position + 1:
                    damaged(lineno, f"gap in positions before {h['position']}")
                position = h["position"]
                batch_events.append(
                    (
                        position,
                        h["originator_id"],
                        h["version"],
                        link.offset,
                        link.size,
                        bytes.fromhex(link.prev) if link.prev else None,
                        bytes.fromhex(line.hash),
                    )
                )
            elif "tracking" in h:
                batch_tracking[h["tracking"]] = h["notification_id"]
            if h.get("commit"):
                pending_events.extend(batch_events)
                pending_tracking.update(batch_tracking)
                batch_events, batch_tracking = [], {}
                new.end = link.offset + link.size
                new.last_line_start = link.offset
                new.last_hash = line.hash
                new.last_position = position
                new.lines = lineno
        before = self.db.total_changes
        self.db.executemany(
            "INSERT OR IGNORE INTO events"
            " (position, originator_id, version, offset, length, prev, hash)"
            " VALUES (?, ?, ?, ?, ?, ?, ?)",
            pending_events,
        )
        if self.db.total_changes - before != len(pending_events):
            damaged(new.lines, "an aggregate version is recorded twice")
        self.db.executemany(
            "INSERT OR REPLACE INTO tracking (application_name, notification_id) VALUES (?, ?)",
            pending_tracking.items(),
        )
        return new

    # -- a writer's batch ------------------------------------------------------------

    def record(
        self, start: Tail, new: Tail, rows: Sequence[Row], tracking: Iterable[tuple[str, int]]
    ) -> bool:
        """Record an appended batch; False if a reader indexed it first or the index is behind."""
        self.db.execute("BEGIN IMMEDIATE")
        try:
            end = self._read_meta().get("end")
            if end == start.end:
                self.db.executemany(
                    "INSERT INTO events"
                    " (position, originator_id, version, offset, length, prev, hash)"
                    " VALUES (?, ?, ?, ?, ?, ?, ?)",
                    rows,
                )
                self.db.executemany("INSERT OR REPLACE INTO tracking VALUES (?, ?)", tracking)
                self._write_meta(new)
            elif end == new.end:
                # A reader indexed this very batch first; the mtime is still ours to record.
                self.db.execute("UPDATE meta SET mtime_ns = ?", (new.mtime_ns,))
            self.db.execute("COMMIT")
        except BaseException:
            if self.db.in_transaction:  # SQLite rolled back already on a full disk
                self.db.execute("ROLLBACK")
            raise
        return bool(end == start.end)

    def recorded(self, keys: set[tuple[str, int]]) -> tuple[str, int] | None:
        """One of these (aggregate, version) pairs that is already recorded, if any.

        One query per few hundred pairs (not one per aggregate): a bulk save of
        a thousand events of a hundred cases stays cheap.
        """
        if len(keys) == 1:
            hit = self.db.execute(
                "SELECT originator_id, version FROM events WHERE originator_id = ? AND version = ?",
                next(iter(keys)),
            ).fetchone()
            return None if hit is None else (hit[0], hit[1])
        params = [x for key in keys for x in key]
        step = 2 * _PAIRS_PER_QUERY
        for i in range(0, len(params), step):
            chunk = params[i : i + step]
            hit = self.db.execute(
                "SELECT e.originator_id, e.version FROM (VALUES "
                + ",".join(["(?,?)"] * (len(chunk) // 2))
                + ") AS v JOIN events AS e "
                "ON e.originator_id = v.column1 AND e.version = v.column2 LIMIT 1",
                chunk,
            ).fetchone()
            if hit:
                return hit[0], hit[1]
        return None

    def originators_in(self, oids: list[str]) -> set[str]:
        """Which of these aggregates have any event here: one query per few hundred."""
        found: set[str] = set()
        for i in range(0, len(oids), _PAIRS_PER_QUERY):
            chunk = oids[i : i + _PAIRS_PER_QUERY]
            found.update(
                oid
                for (oid,) in self.db.execute(
                    "SELECT DISTINCT originator_id FROM events WHERE originator_id IN ("
                    + ",".join("?" * len(chunk))
                    + ")",
                    chunk,
                )
            )
        return found

    def complete(self, tail: Tail) -> bool:
        """True if the index holds one row for every position up to the tail's.

        A row deleted from the index would let a writer record a version the log
        already holds: writers check this before their uniqueness check.
        """
        count, top = self.db.execute("SELECT count(*), max(position) FROM events").fetchone()
        return bool(count == tail.last_position and (top or 0) == tail.last_position)

    def ends_at(self, tail: Tail) -> bool:
        """True if the index's last row is at the tail's last position or later (a cheap
        look; a writer in another process may have indexed further meanwhile)."""
        (top,) = self.db.execute("SELECT max(position) FROM events").fetchone()
        return bool((top or 0) >= tail.last_position)

    def discard(self) -> None:
        """Forget what the index holds: the next catch-up rebuilds it from the log."""
        self.db.execute("DELETE FROM meta")

    def tracking_id(self, application_name: str) -> int | None:
        row = self.db.execute(
            "SELECT notification_id FROM tracking WHERE application_name = ?",
            (application_name,),
        ).fetchone()
        return None if row is None else int(row[0])

    # -- reading ---------------------------------------------------------------------

    def lines_of(
        self, originator_id: str, gt: int | None, lte: int | None, desc: bool, limit: int | None
    ) -> list[Span]:
        """``(offset, length, version, position, prev, hash)`` of an aggregate's lines, in
        version order (or reversed): the reader checks each line it reads against the row."""
        sql = (
            "SELECT offset, length, version, position, prev, hash FROM events"
            " WHERE originator_id = ?"
        )
        params: list[Any] = [originator_id]
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
        return [
            (int(o), int(n), int(v), int(p), prev, bytes(h))
            for o, n, v, p, prev, h in self.db.execute(sql, params)
        ]

    def span(self, start: int, last: int | None) -> tuple[int | None, int | None]:
        """The offset of the first line at ``start`` or after; the end of the line at ``last``."""
        row = self.db.execute(
            "SELECT offset FROM events WHERE position >= ? ORDER BY position LIMIT 1",
            (start,),
        ).fetchone()
        if row is None:
            return None, None
        if last is None:
            return int(row[0]), None
        bound = self.db.execute(
            "SELECT offset + length FROM events WHERE position <= ? ORDER BY position DESC LIMIT 1",
            (last,),
        ).fetchone()
        return int(row[0]), None if bound is None else int(bound[0])
