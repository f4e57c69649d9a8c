"""One append-only, hash-chained log file with its lock and its index.

* Appends are serialised by the log's :class:`~.lock.WriteLock`.
* A save is one batch of lines whose last line carries ``"commit":true``. A
  writer killed halfway leaves an uncommitted or torn tail; the next writer
  moves it to ``quarantine/`` before it appends, so a save is all or nothing.
* Every line's hash covers the previous line's (:mod:`.lines`), so an edited,
  removed or reordered line breaks the chain.
* The :class:`~.index.Index` maps versions and positions to byte offsets.
"""

from __future__ import annotations

import contextlib
import errno
import os
import sqlite3
import threading
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING
from uuid import UUID

from complaintctl.filestore import errors, lines
from complaintctl.filestore.index import Index, Row, Span, Tail, index_cannot_be_written
from complaintctl.filestore.lock import WriteLock
from complaintctl.filestore.saves import _Save, versions_once

if TYPE_CHECKING:
    from eventsourcing.persistence import Notification, StoredEvent, Tracking

# The library's classes are imported where they are made or raised: a read of one
# aggregate (:meth:`Log.read_events`) needs none of them.

log = lines.Logger(__name__)  # logging loaded at the first message (lines.Logger)

#: One event of an aggregate as :meth:`Log.read_events` gives it: version, topic, payload.
RawEvent = tuple[int, str, bytes]


class Log:
    """One log file (``<name>.jsonl`` in ``directory``), for the recorders."""

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
        self.quarantine_dir = directory / "quarantine"
        self.fsync = fsync
        self.uuid_ids = uuid_ids
        self._queue: list[_Save] = []  # saves of this process waiting for the lock
        self._queue_lock = threading.Lock()
        self.read_only = False
        ensure_dir(directory)
        lock_path = directory / f"{name}.lock"
        try:
            self._fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_APPEND, 0o600)
            lock_fd = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o600)
        except OSError as e:
            if e.errno not in (errno.EACCES, errno.EPERM, errno.EROFS) or not self.path.exists():
                raise errors.StoreUnavailableError(
                    f"cannot open {self.path}: {errors.os_reason(e)}"
                ) from e
            # An auditor's read-only copy: reads work, writes are refused.
            self.read_only = True
            try:
                self._fd = os.open(self.path, os.O_RDONLY)
            except OSError as e2:
                raise errors.StoreUnavailableError(
                    f"cannot read {self.path}: {errors.os_reason(e2)}"
                ) from e2
            lock_fd = -1
        self.lock = WriteLock(lock_path, self.path, lock_timeout, lock_fd)
        self._thread_lock = self.lock.thread_lock
        self._index_path = directory / f"{name}.index.sqlite"
        self._lock_timeout = lock_timeout
        self._unwritable = "is read-only here: nothing can be written"
        self._tail = Tail()
        self._synced = False
        self._warned = False
        self._rows_checked = False
        self._closed = False
        try:
            self.index = self._new_index()
            self._sync()
        except errors.StoreUnavailableError as e:
            if self.read_only or not index_cannot_be_written(e):
                raise
            self._read_from_memory(e)

    def _new_index(self) -> Index:
        return Index(
            self._index_path,
            self.path,
            self._fd,
            read_only=self.read_only,
            timeout=self._lock_timeout,
        )

    def _read_from_memory(self, e: errors.StoreUnavailableError) -> None:
        """The index file cannot be written (a full disk, a read-only mount): read through
        an index built in memory, as on a read-only copy, and refuse writes with the cause."""
        with contextlib.suppress(AttributeError, sqlite3.Error):
            self.index.close()
        log.debug("reading %s through an index in memory: %s", self.path, e)
        self.read_only = True
        self._unwritable = f"cannot be written here ({e}): nothing is written"
        self._tail = Tail()
        self._synced = False
        self.index = self._new_index()
        self._sync()

    def _sync(self, *, for_write: bool = False) -> None:
        """Make the index current with the committed log (see :meth:`.Index.catch_up`)."""
        st = os.fstat(self._fd)
        if (
            st.st_size == self._tail.end
            and self._synced
            and (not for_write or st.st_mtime_ns == self._tail.mtime_ns)
        ):
            return
        first = not self._synced
        self._tail = self.index.catch_up(st.st_size, st.st_mtime_ns if for_write else None)
        self._synced = True
        if first and not self.index.ends_at(self._tail):
            # Rows deleted from the end of the index would hide events from reads:
            # checked once per opening (cheap: the last row only; writers count them all).
            log.warning("index of %s lacks rows: rebuilding it", self.path)
            self.index.discard()
            self._tail = self.index.catch_up(st.st_size, st.st_mtime_ns if for_write else None)
        if self._tail.damaged_line and not self._warned:
            self._warned = True
            log.warning(
                "%s line %d is damaged (%s): reads go on, writes are refused",
                self.path,
                self._tail.damaged_line,
                self._tail.damage,
            )

    # -- writing -----------------------------------------------------------

    def append(
        self,
        events: Sequence[StoredEvent],
        tracking: Tracking | None = None,
        *,
        plain_json: bool = False,
    ) -> list[int]:
        """Append one batch atomically; return the notification ids.

        ``plain_json``: the caller vouches that every state is orjson's own output (no
        indent option), which :func:`lines.is_plain_json` accepts, so it is not parsed
        again (an import's bulk mapper knows; ~11% of the append).

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
            raise errors.StoreUnavailableError(f"{self.path} {self._unwritable}")
        save = _Save(events, tracking, plain_json)
        with self._queue_lock:
            self._queue.append(save)
        try:
            with self.lock.held():
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
            self._sync(for_write=True)
            if self._tail.damaged_line:
                raise errors.LogCorruptedError(
                    f"{self.path} line {self._tail.damaged_line} is damaged "
                    f"({self._tail.damage}); nothing is appended to a broken chain "
                    "(restore the log from a backup)"
                )
            self._quarantine_tail()
            self._write_group(group)
        except BaseException as e:
            for save in group:
                if not save.done:
                    save.error = (
                        e
                        if isinstance(e, Exception)
                        else errors.StoreUnavailableError(f"the write was interrupted ({e!r})")
                    )
                    save.done = True
            raise

    def _write_group(self, group: list[_Save]) -> None:
        from eventsourcing.persistence import IntegrityError

        start = self._tail
        recorded_at = datetime.now(UTC).isoformat()
        encoder = lines.EventLineEncoder(recorded_at)
        prev_hash, position, offset = start.last_hash, start.last_position, start.end
        parts: list[bytes] = []
        rows: list[Row] = []
        trackings: list[tuple[str, int]] = []
        last_line_start = offset
        n_total = start.lines
        claimed: set[tuple[str, int]] = set()  # versions taken by earlier saves here
        claimed_tracking: dict[str, int] = {}
        written: list[tuple[_Save, int]] = []
        for save in group:
            events, tracking, plain = save.events, save.tracking, save.plain_json
            oids = [str(ev.originator_id) for ev in events]
            try:
                self._check_unique(events, oids, claimed)
                if tracking is not None:
                    self._check_tracking(tracking, claimed_tracking)
            except IntegrityError as e:
                save.error, save.done = e, True
                continue
            first_row = len(rows)
            n_lines = len(events) + (tracking is not None)
            after = bytes.fromhex(prev_hash)  # each line's hash as bytes once, not twice
            for i, ev in enumerate(events):
                position += 1
                oid = oids[i]
                before = after
                line, prev_hash = encoder.event(
                    prev_hash,
                    position,
                    oid,
                    ev.originator_version,
                    ev.topic,
                    i == n_lines - 1,
                    ev.state,
                    plain,
                )
                rows.append(
                    (
                        position,
                        oid,
                        ev.originator_version,
                        offset,
                        len(line),
                        before,
                        after := bytes.fromhex(prev_hash),
                    )
                )
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
                line, prev_hash = lines.encode_line(prev_hash, header, None)
                parts.append(line)
                last_line_start = offset
                offset += len(line)
                trackings.append((tracking.application_name, tracking.notification_id))
                claimed_tracking[tracking.application_name] = tracking.notification_id
            n_total += n_lines
            written.append((save, first_row))
        if written:
            self._write_durably(b"".join(parts), start.end)
            mtime_ns = os.fstat(self._fd).st_mtime_ns
            new = Tail(offset, last_line_start, prev_hash, position, n_total, mtime_ns)
            if self.index.record(start, new, rows, trackings):
                self._tail = new
            else:
                self._sync()  # a reader indexed it first, or is behind
        ends = [first for _, first in written[1:]] + [len(rows)]
        for (save, first), end in zip(written, ends, strict=True):
            save.ids = [r[0] for r in rows[first:end]]
            save.done = True

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
            raise errors.StoreUnavailableError(
                f"cannot write {self.path}: {errors.os_reason(e)}"
            ) from e

    def _check_unique(
        self, events: Sequence[StoredEvent], oids: Sequence[str], claimed: set[tuple[str, int]]
    ) -> None:
        """Raise IntegrityError if a version is twice in the save or already recorded."""
        from eventsourcing.persistence import IntegrityError

        keys = versions_once(events, oids, claimed)
        if keys and not self._rows_checked:
            # Once per opening (a count over the index: ~0.6 s at a million events),
            # the first time this process writes; its own writes keep the index whole.
            self._rows_checked = True
            self._check_rows()
        hit = self.index.recorded(keys) if keys else None
        if hit is not None:
            raise IntegrityError(f"version {hit[1]} of {hit[0]} is already recorded")

    def _check_rows(self) -> None:
        """Rebuild an index that lacks rows (caller holds the lock): a deleted row must
        not let a version the log holds be recorded twice."""
        if self.index.complete(self._tail):
            return
        log.warning("index of %s lacks rows: rebuilding it", self.path)
        self.index.discard()
        self._tail = self.index.catch_up(os.fstat(self._fd).st_size, None)
        self._synced = True
        if not self.index.complete(self._tail):
            raise errors.LogCorruptedError(f"{self.path}: the index cannot be rebuilt whole")

    def _check_tracking(self, tracking: Tracking, claimed: dict[str, int]) -> None:
        from eventsourcing.persistence import IntegrityError

        current = claimed.get(tracking.application_name)  # a later id, from this group
        if current is None:
            current = self.index.tracking_id(tracking.application_name)
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
            fsync_dir(self.quarantine_dir)
            os.ftruncate(self._fd, self._tail.end)
            os.fsync(self._fd)
        except OSError as e:
            raise errors.StoreUnavailableError(
                f"cannot quarantine a torn tail: {errors.os_reason(e)}"
            ) from e
        log.warning(
            "moved %d bytes of an unfinished write from the end of %s to %s",
            len(data),
            self.path,
            target,
        )

    # -- reading -----------------------------------------------------------

    def refresh(self) -> Tail:
        with self._thread_lock:
            self._sync()
            return self._tail

    def select_events(
        self,
        originator_id: UUID | str,
        gt: int | None,
        lte: int | None,
        desc: bool,
        limit: int | None,
    ) -> list[StoredEvent]:
        from eventsourcing.persistence import StoredEvent

        return [
            StoredEvent(originator_id, version, topic, state)
            for version, topic, state in self.read_events(originator_id, gt, lte, desc, limit)
        ]

    def read_events(
        self,
        originator_id: UUID | str,
        gt: int | None = None,
        lte: int | None = None,
        desc: bool = False,
        limit: int | None = None,
    ) -> list[RawEvent]:
        """One aggregate's events through the index, each line checked against its row
        (what :meth:`select_events` gives the library, without its classes)."""
        for attempt in (1, 2):
            with self._thread_lock:
                self._sync()
                spans = self.index.lines_of(str(originator_id), gt, lte, desc, limit)
            result, problem = self._read_spans(originator_id, spans)
            if result is not None:
                return result
            if attempt == 1:
                log.warning("index of %s does not match the log: rebuilding it", self.path)
                with self._thread_lock:
                    self.index.discard()
                    self._tail = Tail()  # an index in memory starts again from the log
                    self._synced = False
        raise errors.LogCorruptedError(f"{self.path}: {originator_id} {problem}")

    def originators_in(self, oids: list[str]) -> set[str]:
        """Which of these aggregates have events in the log (the index, made current)."""
        with self._thread_lock:
            self._sync()
            return self.index.originators_in(oids)

    def _read_spans(
        self, originator_id: UUID | str, spans: list[Span]
    ) -> tuple[list[RawEvent] | None, str]:
        """The events at these index rows, each line checked against its row: a whole line,
        of this originator, at the row's version and position, with the hash the row
        recorded, which follows from the line's own bytes and the hash before it (a line
        changed after it was indexed fails). None and why on a mismatch."""
        result: list[RawEvent] = []
        oid = str(originator_id)
        for offset, length, version, position, prev, digest in spans:
            raw = os.pread(self._fd, length, offset)
            try:
                line = lines.decode_line(raw[:-1])
            except ValueError:
                self._unreadable(offset)
                continue
            h = line.header
            if (
                not raw.endswith(b"\n")
                or h.get("originator_id") != oid
                or h.get("version") != version
                or h.get("position") != position
            ):
                return None, "points it at lines that are not its events"
            if line.hash != digest.hex() or (
                prev is not None and lines.chain_hash(prev.hex(), line.body) != line.hash
            ):
                return None, f"has a line (position {position}) that does not match its hash"
            result.append((h["version"], h["topic"], line.state or b""))
        return result, ""

    def select_notifications(
        self, start: int, limit: int, stop: int | None, topics: Sequence[str]
    ) -> list[Notification]:
        from eventsourcing.persistence import Notification

        if limit <= 0:
            return []
        with self._thread_lock:
            self._sync()
            end = self._tail.end
            # Without a topic filter the page's last line is known: read up to it,
            # not a whole chunk past it.
            last: int | None = None
            if not topics:
                last = start + limit - 1 if stop is None else min(start + limit - 1, stop)
            first, bound = self.index.span(start, last)
        if first is None:
            return []
        if bound is not None:
            end = min(end, bound)
        topic_set = set(topics)
        result: list[Notification] = []
        convert = self._convert_id
        ids: dict[str, UUID | str] = {}  # an aggregate's events often share a page
        for offset, raw in lines.iter_lines(self._fd, first, end):
            try:
                h, state = lines.read_line(raw[:-1])
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
        log.warning("%s: the line at byte %d is damaged and was skipped", self.path, offset)

    def _convert_id(self, value: str) -> UUID | str:
        if self.uuid_ids:
            try:
                return UUID(value)
            except ValueError:
                return value
        return value

    def max_tracking_id(self, application_name: str) -> int | None:
        with self._thread_lock:
            self._sync()
            return self.index.tracking_id(application_name)

    def close(self) -> None:
        with self._thread_lock:
            if self._closed:
                return
            self._closed = True
            self.index.close()
            os.close(self._fd)
            self.lock.close()


def ensure_dir(path: Path) -> None:
    try:
        if not path.is_dir():
            path.mkdir(mode=0o700, parents=True, exist_ok=True)
            fsync_dir(path.parent)
    except OSError as e:
        raise errors.StoreUnavailableError(
            f"cannot create store directory {path}: {errors.os_reason(e)}"
        ) from e


def fsync_dir(path: Path) -> None:
    with contextlib.suppress(OSError):
        fd = os.open(path, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
