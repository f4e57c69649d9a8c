"""The file store's own errors, as the library's classes (the caller maps them to exits).

They say what is wrong with the store, never which command to run about it:
the package is used under any front end, and the CLI adds its own hints.
"""

from __future__ import annotations

import errno

from eventsourcing.persistence import DataError, OperationalError


class StoreUnavailableError(OperationalError):
    """The store cannot be used now: lock held too long, disk full, no permission."""


class LogCorruptedError(DataError):
    """A committed line of the log is not what was written (tampering or damage)."""


class PayloadNotJSON(DataError):
    """A payload is stored base64-encoded (encrypted or compressed): a JSON reader cannot use it."""


def os_reason(e: OSError) -> str:
    """A short reason for an OS error, naming the usual causes plainly."""
    if e.errno == errno.ENOSPC:
        return "no space left on device"
    if e.errno == errno.EFBIG:
        return "file too large (size limit reached)"
    if e.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
        return f"permission denied ({e.strerror})"
    return e.strerror or str(e)
