"""A plain-file persistence module for the ``eventsourcing`` library.

Select it with ``PERSISTENCE_MODULE=complaintctl.filestore`` and point
``FILESTORE_PATH`` at a directory. Each recorder writes one append-only,
hash-chained JSON Lines log; ``docs/storage.md`` describes the format so
that a log can be read and checked without this code.

The modules, each the one home of its concern:

* :mod:`.lines`: the line format: encoding, decoding, the hash chain.
* :mod:`.lock`: the writers' lock (``flock``) on ``<log>.lock``.
* :mod:`.index`: ``<log>.index.sqlite``, the offsets cache, checked against the log.
* :mod:`.log`: one log: group-committed appends, quarantine of torn tails, reads.
* :mod:`.recorders`: the library's recorders and :class:`FileInfrastructureFactory`.
* :mod:`.verify`: :func:`verify_store`, the whole-chain check.
* :mod:`.reader`: :class:`LogReader`, the fast sequential reader for a read side.

The package depends on the library and the standard library only, never on
the rest of complaintctl; its errors are the library's classes (``DataError``,
``OperationalError``), which the caller maps to what it shows.
"""

from __future__ import annotations

from complaintctl.filestore.errors import LogCorruptedError, PayloadNotJSON, StoreUnavailableError
from complaintctl.filestore.lines import GENESIS
from complaintctl.filestore.reader import Cursor, LogReader, Record
from complaintctl.filestore.recorders import (
    FileAggregateRecorder,
    FileApplicationRecorder,
    FileInfrastructureFactory,
    FileProcessRecorder,
    FileRecorder,
    FileSubscription,
    FileTrackingRecorder,
)
from complaintctl.filestore.verify import VerifyReport, verify_log, verify_store

__all__ = [
    "GENESIS",
    "Cursor",
    "FileAggregateRecorder",
    "FileApplicationRecorder",
    "FileInfrastructureFactory",
    "FileProcessRecorder",
    "FileRecorder",
    "FileSubscription",
    "FileTrackingRecorder",
    "LogCorruptedError",
    "LogReader",
    "PayloadNotJSON",
    "Record",
    "StoreUnavailableError",
    "VerifyReport",
    "verify_log",
    "verify_store",
]
