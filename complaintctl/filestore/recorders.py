"""The library's recorders on file store logs, and the factory that builds them.

``PERSISTENCE_MODULE=complaintctl.filestore`` finds :class:`FileInfrastructureFactory`
(the package exports it, and no other factory); ``FILESTORE_PATH`` names the
directory. Each recorder writes one log: ``events.jsonl``, ``snapshots.jsonl``
or ``tracking.jsonl``.
"""

from __future__ import annotations

import sys
import threading
from collections.abc import Sequence
from typing import Any
from uuid import UUID

from eventsourcing.persistence import (
    AggregateRecorder,
    ApplicationRecorder,
    InfrastructureFactory,
    ListenNotifySubscription,
    Notification,
    ProcessRecorder,
    StoredEvent,
    Subscription,
    Tracking,
    TrackingRecorder,
)
from eventsourcing.utils import resolve_topic

from complaintctl.filestore.log import Log
from complaintctl.filestore.options import LogOptions


class FileRecorder:
    """Base of the recorders: holds one log."""

    def __init__(self, log_: Log) -> None:
        self.log = log_

    def close(self) -> None:
        self.log.close()


class FileAggregateRecorder(FileRecorder, AggregateRecorder):
    """Stores aggregate events (or snapshots) in one log."""

    #: ``insert_events(..., plain_json=True)``: the caller vouches every state is
    #: orjson's own output (see :meth:`Log.append`). Not part of the library's interface.
    takes_plain_json = True

    def insert_events(
        self, stored_events: Sequence[StoredEvent], **kwargs: Any
    ) -> Sequence[int] | None:
        self.log.append(stored_events, plain_json=bool(kwargs.get("plain_json")))
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

    def originators_recorded(self, originator_ids: Sequence[UUID | str]) -> set[UUID | str]:
        """Which of these aggregates have any event recorded, in one index query per few
        hundred (not one ``select_events`` each): a bulk import asks it of a whole batch's
        import markers and customer files. Not part of the library's interface."""
        by_text = {str(oid): oid for oid in originator_ids}
        return {by_text[oid] for oid in self.log.originators_in(list(by_text))}


class FileApplicationRecorder(FileAggregateRecorder, ApplicationRecorder):
    """Adds the notification log: positions 1, 2, 3... with no gaps."""

    def __init__(self, log_: Log, poll_interval: float = 0.05) -> None:
        super().__init__(log_)
        self.poll_interval = poll_interval
        self._listeners: set[threading.Event] = set()
        self._listeners_lock = threading.Lock()

    def insert_events(
        self, stored_events: Sequence[StoredEvent], **kwargs: Any
    ) -> Sequence[int] | None:
        ids = self.log.append(
            stored_events, kwargs.get("tracking"), plain_json=bool(kwargs.get("plain_json"))
        )
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

    def __init__(self, log_: Log, poll_interval: float = 0.05) -> None:
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
        options = LogOptions.of(self.env)
        self.path = options.directory
        self.fsync = options.fsync
        self.lock_timeout = options.lock_timeout
        self.poll_interval = float(self.env.get(self.FILESTORE_POLL_INTERVAL, "0.05"))
        self.uuid_ids = options.uuid_ids
        self._options = options
        self._logs: list[Log] = []

    def _log(self, name: str) -> Log:
        lg = self._options.open(name)
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


def _install() -> None:
    """Put the recorders and the factory on the package, where the library looks for the
    factory (``PERSISTENCE_MODULE=complaintctl.filestore`` scans the package's attributes,
    which otherwise load on first use)."""
    package = sys.modules[__package__ or "complaintctl.filestore"]
    for cls in (
        FileRecorder,
        FileAggregateRecorder,
        FileApplicationRecorder,
        FileSubscription,
        FileTrackingRecorder,
        FileProcessRecorder,
        FileInfrastructureFactory,
    ):
        setattr(package, cls.__name__, cls)


_install()
