"""A plain-file persistence module for the ``eventsourcing`` library.

Select it with ``PERSISTENCE_MODULE=complaintctl.filestore`` and point
``FILESTORE_PATH`` at a directory. Each recorder writes one append-only,
hash-chained JSON Lines log; ``docs/storage.md`` describes the format so
that a log can be read and checked without this code.

The modules, each the one home of its concern:

* :mod:`.errors`: the errors (the library's classes, in :mod:`.errortypes`, loaded lazily).
* :mod:`.lines`: the line format: encoding, decoding, the hash chain.
* :mod:`.lock`: the writers' lock (``flock``) on ``<log>.lock``.
* :mod:`.index`: ``<log>.index.sqlite``, the offsets cache, checked against the log.
* :mod:`.log`: one log: group-committed appends, quarantine of torn tails, reads.
* :mod:`.options`: :class:`.options.LogOptions`, how the library's variables open a log.
* :mod:`.recorders`: the library's recorders and :class:`FileInfrastructureFactory`.
* :mod:`.verify`: :func:`verify_store`, the whole-chain check.
* :mod:`.reader`: :class:`LogReader`, the fast sequential reader for a read side.

The package depends on the library and the standard library only, never on
the rest of complaintctl; its errors are the library's classes (``DataError``,
``OperationalError``), which the caller maps to what it shows.

The names load on first use (PEP 562): a reader of the log
(:class:`LogReader`, :class:`.log.Log`'s ``read_events``) never imports the
library, whose persistence module costs a reading command more than its read.
The library finds :class:`FileInfrastructureFactory` among the package's
attributes, so :mod:`.recorders` puts its classes here once it is imported
(the edge imports it before it opens an application), and the package imports
it at once when the library is loaded already.
"""

from __future__ import annotations

import importlib
import sys
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from complaintctl.filestore.errors import (
        LogCorruptedError,
        PayloadNotJSON,
        StoreUnavailableError,
    )
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

#: Each public name -> the module that defines it.
_HOMES = {
    "GENESIS": "lines",
    "Cursor": "reader",
    "LogReader": "reader",
    "Record": "reader",
    "LogCorruptedError": "errors",
    "PayloadNotJSON": "errors",
    "StoreUnavailableError": "errors",
    "FileAggregateRecorder": "recorders",
    "FileApplicationRecorder": "recorders",
    "FileInfrastructureFactory": "recorders",
    "FileProcessRecorder": "recorders",
    "FileRecorder": "recorders",
    "FileSubscription": "recorders",
    "FileTrackingRecorder": "recorders",
    "VerifyReport": "verify",
    "verify_log": "verify",
    "verify_store": "verify",
}

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


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{home}"), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *_HOMES})


if "eventsourcing.persistence" in sys.modules:
    # The library may be about to look for the factory here (PERSISTENCE_MODULE).
    importlib.import_module(f"{__name__}.recorders")
