"""The checkpointed read model: a SQLite cache under ``<store>/cache/``, caught up from the log.

``<store>/cache/projections.sqlite`` holds:

- ``meta``: the checkpoint (``position``, and for the file store the byte
  ``offset``, ``last_line_start`` and ``last_hash`` of the last line read),
  the ``format`` version, the ``settings`` fingerprint (time zone, calendar,
  targets: the stored deadlines depend on them) and the log's ``identity``
  (the hash of its first line).
- ``cases``: one row per case, with indexed columns for the filters of
  ``list`` and the deadlines of ``overdue``/``followups``, and the case's
  whole state as a JSON document (``doc``, the fold's output).
- ``activity``: one row per dated happening that reports count (received,
  acknowledged, resolved, closed, escalated, reopened, followed up), indexed
  by time, so ``report daily`` reads one day, not the whole history.
- ``groups`` and ``handovers``: the group complaints and shift handovers.
- ``day_counts``, ``day_marks``, ``open_hours``: the counts ``report daily``
  reads instead of scanning (:mod:`projections.reportcounts`; kept on catch-up,
  built after a rebuild).

(The tables, and the rows written into them, are :mod:`projections.tables`.)

Every reading command first catches up from the checkpoint (cost
proportional to the new events only) in one transaction that also moves the
checkpoint, so the cache is always the fold of a prefix of the log. A missing
cache, another ``FORMAT``, or a log that no longer matches the checkpoint
rebuilds from position 0 into a new file that replaces the old one
atomically; a corrupt cache is rebuilt with a warning. Another settings
fingerprint only recomputes the deadline columns (:mod:`projections.redate`). A rebuild
keeps memory bounded: it holds at most ``max_cached`` case states and flushes
in chunks.
"""

from __future__ import annotations

import fcntl
import gc
import os
import sqlite3
from collections.abc import Callable, Iterable, Iterator
from contextlib import closing, suppress
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson

from events.personal import Keyring
from events.topics import CASE_TOPICS, GROUP_TOPICS, HANDOVER_TOPICS, RECEIVED
from projections import reportcounts
from projections.cachefiles import (
    CACHE_DIR,
    CacheLock,
    cache_path,
    cannot_write,
    private_cache,
    remove_stale_builds,
    warn,
    writable,
)
from projections.case import Case, apply, epoch
from projections.redate import redate
from projections.sla import Clock
from projections.source import Checkpoint, Event, EventSource, PartedSource, SourceMoved
from projections.tables import (
    ACTIVITY,
    INDEXES,
    UPSERT,
    bulk_db,
    case_row,
    fold_group,
    fold_handover,
    group_row,
    handover_row,
)

FORMAT = 4  # 3: person keys, remedy_state, priority, open_actions; 4: day counts
#: A rebuild of a log at least this big (bytes) runs on two processes where there are two cores.
PARALLEL_BYTES = 64 << 20
#: Events of a rebuild's part between two flushes, and the case states it may keep
#: (see ``Projector``).
FLUSH_EVERY = 20_000
MAX_CACHED = 10_000
#: How long a reader waits for another process's rebuild before building its own private cache.
LOCK_WAIT = 120.0
#: Why a cache is not current when only the settings its deadlines depend on changed.
SETTINGS_CHANGED = "the config's calendar or targets changed"


class Projector:
    """Folds the log into the cache; ``catch_up`` before every read, ``rebuild`` on demand."""

    def __init__(
        self,
        store: Path,
        source: EventSource,
        clock: Clock,
        fingerprint: str,
        *,
        # A rebuild holds the cases touched in its last two chunks, and forgets the
        # others once it holds more than half of ``max_cached`` (a state is ~13 KB as
        # Python dicts; one forgotten and touched again costs ~75 us to read back and
        # write again). 1M events on two processes, the peaks summed: 532 MB with
        # 50,000 and 20,000; 287 MB with these; 241 MB with 10,000 and 10,000, for the
        # same CPU time, but cases quiet for half as long read back (BENCHMARKS.md,
        # "Issue 14, fourth round: rebuild").
        max_cached: int = MAX_CACHED,
        flush_every: int = FLUSH_EVERY,
        path: Path | None = None,
        keyring: Keyring | None = None,
    ) -> None:
        self.path = path or cache_path(store)
        #: Opens the customers' sealed fields (a helper process of a rebuild gets it pickled).
        self.keyring = keyring
        self.source = source
        self.clock = clock
        self.fingerprint = fingerprint
        self.max_cached = max_cached
        self.flush_every = flush_every
        self.db: sqlite3.Connection | None = None
        self._lock = CacheLock(self.path)
        #: Peak memory of the helper processes of the last parallel rebuild (their sum).
        self.helpers_peak_kb = 0

    # -- opening -------------------------------------------------------------

    def _connect(self, path: Path) -> sqlite3.Connection:
        db = sqlite3.connect(path, timeout=60, isolation_level=None)
        db.execute("PRAGMA journal_mode=WAL")
        db.execute("PRAGMA synchronous=NORMAL")
        db.executescript(INDEXES)  # no-ops unless a rebuild was cut short
        return db

    def _meta(self, db: sqlite3.Connection) -> dict[str, str]:
        return dict(db.execute("SELECT key, value FROM meta").fetchall())

    def _checkpoint(self, meta: dict[str, str]) -> Checkpoint:
        return Checkpoint(
            int(meta.get("position", 0)),
            int(meta.get("offset", 0)),
            int(meta.get("last_line_start", -1)),
            meta.get("last_hash", "0" * 64),
        )

    def _stale_reason(self, meta: dict[str, str]) -> str | None:
        if meta.get("format") != str(FORMAT):
            return f"cache format {meta.get('format')} is not {FORMAT}"
        if meta.get("source") != self.source.kind:
            return "the store's backend changed"
        ident = self.source.identity()
        if meta.get("position", "0") != "0" and meta.get("identity", "") != ident:
            return "the log is not the one the cache was built from"
        try:
            self.source.check(self._checkpoint(meta))
        except SourceMoved as e:
            return str(e)
        if meta.get("settings") != self.fingerprint:
            return SETTINGS_CHANGED  # checked last: only this one keeps the cache
        return None

    def open(self, progress: Callable[[int, int], None] | None = None) -> sqlite3.Connection:
        """The cache, caught up with the log (rebuilt first if missing, stale or corrupt).

        Held shared (:class:`.CacheLock`) while open; a rebuild takes the lock
        alone, and a reader that waited for it finds the cache rebuilt by the
        other process instead of rebuilding it again. A cache that cannot be
        written where it lives (a full disk, a read-only mount) is built in a
        temporary cache instead: reads still work.
        """
        if self.db is not None:
            return self.db
        if not writable(self.path):
            self.path = private_cache(self, self.path)
        try:
            return self._open(progress)
        except (sqlite3.Error, OSError) as e:
            if not cannot_write(e) or self.path.parent.name != CACHE_DIR:
                raise
            self.close()
            self.path = private_cache(self, self.path, e)
            return self._open(progress)

    def _open(self, progress: Callable[[int, int], None] | None) -> sqlite3.Connection:
        self._lock = CacheLock(self.path)
        if not self._lock.take(fcntl.LOCK_SH, LOCK_WAIT):
            self._go_private()
        while (reason := self._open_current()) is not None:
            if not self._lock.take(fcntl.LOCK_EX, LOCK_WAIT):
                self._go_private()
            if (reason := self._open_current()) is None:
                # Rebuilt by another process while this one waited: open it
                # again once shared, so that no rebuild can replace it between.
                self._close_db()
                self._lock.take(fcntl.LOCK_SH, LOCK_WAIT)
                continue
            if reason == SETTINGS_CHANGED:
                self._redate()
                self._lock.take(fcntl.LOCK_SH, LOCK_WAIT)
                continue  # opened again shared, then caught up
            quiet = ("corrupt", "missing", "cache format")
            if not reason.startswith(quiet):  # said already, or nothing a user need hear
                warn(f"rebuilding the read-model cache: {reason}")
            self.rebuild(progress)
            break
        else:
            try:
                self.catch_up()
            except BaseException:
                self.close()
                raise
        assert self.db is not None
        return self.db

    def _open_current(self) -> str | None:
        """Connect to the cache if it is current (``None``), else why it is not."""
        if not self.path.exists():
            return "missing"
        try:
            db = self._connect(self.path)
            reason = self._stale_reason(self._meta(db))
        except sqlite3.DatabaseError as e:
            with suppress(Exception):
                db.close()
            if cannot_write(e):
                raise  # not damage: no room, or a read-only mount (see open)
            warn(f"the read-model cache {self.path} is unreadable ({e}); rebuilding it")
            return "corrupt"
        if reason is None:
            self.db = db
        else:
            db.close()
        return reason

    def _redate(self) -> None:
        """The config's calendar or targets changed: recompute the deadlines, keep the rest."""
        with closing(self._connect(self.path)) as db:
            redate(db, self.clock, self.fingerprint)

    def _go_private(self) -> None:
        """Another process keeps the cache to itself too long: read from one of our own."""
        warn(f"the read-model cache {self.path} is busy: reading through a temporary one")
        self._lock.release()
        self.path = private_cache(self, self.path)
        self._lock = CacheLock(self.path)
        self._lock.take(fcntl.LOCK_EX, LOCK_WAIT)  # nobody else knows the file

    def close(self) -> None:
        self._close_db()
        self._lock.release()

    def _close_db(self) -> None:
        if self.db is not None:
            self.db.close()
            self.db = None

    # -- folding -------------------------------------------------------------

    def catch_up(self, upto: int | None = None) -> int:
        """Fold the events after the checkpoint (up to position ``upto``); return how many."""
        db = self.db
        if db is None:
            db = self.open()
        db.execute("BEGIN IMMEDIATE")
        try:
            cp = self._checkpoint(self._meta(db))  # another process may have moved it
            counted = reportcounts.last_activity(db)  # the trend's day counts (reportcounts)
            n = self._fold(db, cp, load=True, upto=upto)
            reportcounts.count_since(db, counted, self.clock.policy.zone)
            db.execute("COMMIT")
        except BaseException:
            if db.in_transaction:  # SQLite rolled back already on a full disk
                db.execute("ROLLBACK")
            raise
        return n

    def rebuild(
        self,
        progress: Callable[[int, int], None] | None = None,
        upto: int | None = None,
        workers: int | None = None,
    ) -> int:
        """Fold the whole log (or up to ``upto``) into a fresh cache file, then put it in place.

        On the file store a whole rebuild runs on ``workers`` processes (default:
        two for a log of ``PARALLEL_BYTES`` or more, where there are two cores):
        cases are independent, so each process folds the aggregates of its
        bucket into a file of its own, and the parts are merged in SQLite.
        """
        self._close_db()
        if self._lock.held != fcntl.LOCK_EX and not self._lock.take(fcntl.LOCK_EX, LOCK_WAIT):
            self._go_private()
        try:
            n = self._rebuild(progress, upto, workers)
        finally:
            self._lock.take(fcntl.LOCK_SH, LOCK_WAIT)
        # Connected only once shared again: a file replaced meanwhile is the one opened.
        self.db = self._connect(self.path)
        return n

    def _rebuild(
        self,
        progress: Callable[[int, int], None] | None,
        upto: int | None,
        workers: int | None,
    ) -> int:
        if upto is None and isinstance(self.source, PartedSource):
            end = self.source.end()
            if workers is None:
                # A helper process costs a fresh interpreter (about half a second):
                # worth it only for a big log.
                big = end.offset >= PARALLEL_BYTES
                workers = min(2, os.cpu_count() or 1) if big else 1
            if workers > 1 and end.position > 0:
                from projections.parallel import rebuild_parallel

                return rebuild_parallel(self, end, workers, progress)
        tmp, db = self._fresh()
        try:
            total = self.source.last_position() if progress else 0
            db.execute("BEGIN")
            n = self._fold(db, Checkpoint(), load=False, progress=progress, total=total, upto=upto)
            db.executescript(INDEXES)  # commits
            reportcounts.build(db, self.clock.policy.zone)
        except BaseException:
            db.close()
            for p in (tmp, Path(f"{tmp}-wal"), Path(f"{tmp}-shm")):
                p.unlink(missing_ok=True)  # no half-built file left on a full disk
            raise
        db.close()
        self._install(tmp)
        return n

    def _fresh(self) -> tuple[Path, sqlite3.Connection]:
        """A new cache file beside the live one, with the schema and the base metadata."""
        self._close_db()
        self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        tmp = self.path.with_name(f"{self.path.name}.tmp-{os.getpid()}")
        for p in (tmp, Path(f"{tmp}-wal"), Path(f"{tmp}-shm")):
            p.unlink(missing_ok=True)
        remove_stale_builds(self.path)
        db = bulk_db(tmp)
        base = {
            "format": str(FORMAT),
            "settings": self.fingerprint,
            "source": self.source.kind,
            "identity": self.source.identity(),
        }
        db.executemany("INSERT INTO meta VALUES (?, ?)", list(base.items()))
        return tmp, db

    def _install(self, tmp: Path) -> None:
        """Put the new file in place (the lock held alone: nobody has the old one open)."""
        os.replace(tmp, self.path)
        for suffix in ("-wal", "-shm"):
            Path(f"{self.path}{suffix}").unlink(missing_ok=True)

    def _write_checkpoint(self, db: sqlite3.Connection, cp: Checkpoint) -> None:
        db.executemany(
            "INSERT OR REPLACE INTO meta VALUES (?, ?)",
            [
                ("position", str(cp.position)),
                ("offset", str(cp.offset)),
                ("last_line_start", str(cp.last_line_start)),
                ("last_hash", cp.last_hash),
                ("built_at", datetime.now(UTC).isoformat()),
                ("identity", self.source.identity() if cp.position else ""),
            ],
        )

    def _fold(
        self,
        db: sqlite3.Connection,
        cp: Checkpoint,
        *,
        load: bool,
        progress: Callable[[int, int], None] | None = None,
        total: int = 0,
        upto: int | None = None,
        batches: Iterable[tuple[list[Event], Checkpoint]] | None = None,
    ) -> int:
        """Apply events after ``cp`` (or the given batches); flush states, activity, checkpoint.

        ``load``: states of cases not seen in this run are read from the
        cache (catch-up); in a rebuild a case evicted from memory is read
        back from what was flushed.
        """
        gc_was_on = gc.isenabled()
        gc.disable()  # the states hold no cycles; collections would rescan them all, often
        try:
            if batches is None:
                wanted = CASE_TOPICS | GROUP_TOPICS | HANDOVER_TOPICS
                batches = self.source.read(cp, upto, topics=wanted)
            return self._fold_events(
                db, cp, load=load, progress=progress, total=total, batches=batches
            )
        finally:
            if gc_was_on:
                gc.enable()

    def _fold_events(
        self,
        db: sqlite3.Connection,
        cp: Checkpoint,
        *,
        load: bool,
        progress: Callable[[int, int], None] | None,
        total: int,
        batches: Iterable[tuple[list[Event], Checkpoint]],
    ) -> int:
        states: dict[str, Case] = {}
        touched: dict[str, int] = {}  # case id -> the chunk in which it last changed
        dirty: set[str] = set()
        activity: list[tuple[Any, ...]] = []
        groups: dict[str, dict[str, Any]] = {}
        handovers: dict[str, dict[str, Any]] = {}
        evicted_any = False
        n = 0
        since_flush = 0
        chunk = 0
        last = cp
        # Local names for what runs once per event (a million times in a rebuild).
        case_topics = CASE_TOPICS
        activity_kinds = ACTIVITY.get
        keyring = self.keyring
        fold = apply
        known = states.get
        mark = dirty.add
        for batch, after in batches:
            for ev in batch:
                topic = ev["topic"]
                if topic in case_topics:
                    oid = ev["originator_id"]
                    state = known(oid)
                    if state is None and topic != RECEIVED:
                        if not (load or evicted_any):
                            continue
                        state = self._load(db, oid)
                        if state is None:
                            continue  # a case whose receipt is not in this log
                    data = ev["data"]
                    state = fold(state, topic, data, oid, ev["version"], keyring)
                    assert state is not None
                    states[oid] = state
                    mark(oid)
                    touched[oid] = chunk
                    kind = activity_kinds(topic)
                    if kind is not None:
                        detail = str(data["to_tier"]) if kind == "escalated" else None
                        # A case counts as received when the customer complained (a
                        # business time, which may be earlier than its recording).
                        when = state["received_at"] if kind == "received" else state["updated_at"]
                        activity.append((epoch(when), oid, kind, data.get("actor"), detail))
                elif topic in GROUP_TOPICS:
                    self._group(db, groups, ev["originator_id"], topic, ev["data"])
                elif topic in HANDOVER_TOPICS:
                    self._handover(db, handovers, ev["originator_id"], topic, ev["data"])
            n += len(batch)
            since_flush += len(batch)
            last = after
            if since_flush >= self.flush_every:
                chunk += 1
                stale = [k for k, c in touched.items() if c < chunk - 1]
                if load:
                    self._flush(db, states, dirty, activity, groups, handovers, last)
                else:
                    # A rebuild writes a case when it leaves memory or at the end: once.
                    write = dirty.intersection(stale)
                    dirty.difference_update(write)
                    self._flush(db, states, write, activity, groups, handovers, last)
                since_flush = 0
                activity = []
                # Written: read back from the cache if they change again, not all
                # rewritten at every flush.
                groups.clear()
                handovers.clear()
                if len(states) > self.max_cached // 2:
                    # Cases are worked on near their receipt: forget those left alone for
                    # two chunks (they are in the cache, and read back if touched again).
                    for oid in stale:
                        del states[oid]
                        del touched[oid]
                        evicted_any = True
                if progress:
                    progress(last.position, total)
        self._flush(db, states, dirty, activity, groups, handovers, last)
        if progress:
            progress(last.position, total)
        return n

    def _load(self, db: sqlite3.Connection, oid: str) -> Case | None:
        row = db.execute("SELECT doc FROM cases WHERE id = ?", (oid,)).fetchone()
        if row is None:
            return None
        state: Case = orjson.loads(row[0])
        return state

    def _group(
        self,
        db: sqlite3.Connection,
        groups: dict[str, dict[str, Any]],
        oid: str,
        topic: str,
        data: dict[str, Any],
    ) -> None:
        g = groups.get(oid)
        if g is None:
            row = db.execute(
                "SELECT name, opened_by, opened_at, members FROM groups WHERE key = ?", (oid,)
            ).fetchone()
            if row is not None:
                g = {
                    "name": row[0],
                    "opened_by": row[1],
                    "opened_at": row[2],
                    "members": orjson.loads(row[3]),
                }
        g = fold_group(g, topic, data)
        if g is not None:
            groups[oid] = g

    def _handover(
        self,
        db: sqlite3.Connection,
        handovers: dict[str, dict[str, Any]],
        oid: str,
        topic: str,
        data: dict[str, Any],
    ) -> None:
        h = handovers.get(oid)
        if h is None:
            row = db.execute("SELECT doc FROM handovers WHERE id = ?", (oid,)).fetchone()
            if row is not None:
                h = orjson.loads(row[0])
        h = fold_handover(h, oid, topic, data)
        if h is not None:
            handovers[oid] = h

    def _flush(
        self,
        db: sqlite3.Connection,
        states: dict[str, Case],
        dirty: set[str],
        activity: list[tuple[Any, ...]],
        groups: dict[str, dict[str, Any]],
        handovers: dict[str, dict[str, Any]],
        cp: Checkpoint,
    ) -> None:
        clock = self.clock
        db.executemany(UPSERT, [case_row(states[oid], clock) for oid in dirty])
        dirty.clear()
        db.executemany("INSERT INTO activity VALUES (?,?,?,?,?)", activity)
        db.executemany(
            "INSERT OR REPLACE INTO groups VALUES (?,?,?,?,?)",
            [group_row(k, g) for k, g in groups.items()],
        )
        db.executemany(
            "INSERT OR REPLACE INTO handovers VALUES (?,?,?,?,?,?,?)",
            [handover_row(k, h) for k, h in handovers.items()],
        )
        self._write_checkpoint(db, cp)

    # -- reading -------------------------------------------------------------

    def cases(self, sql: str = "", params: tuple[Any, ...] = ()) -> Iterator[Case]:
        """Case states from the cache: ``sql`` is the part after ``FROM cases``."""
        db = self.open()
        with closing(db.execute(f"SELECT doc FROM cases {sql}", params)) as cur:
            for (doc,) in cur:
                yield orjson.loads(doc)

    def position(self) -> int:
        db = self.open()
        row = db.execute("SELECT value FROM meta WHERE key = 'position'").fetchone()
        return int(row[0]) if row else 0
