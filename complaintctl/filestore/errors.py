"""The file store's own errors, as the library's classes (the caller maps them to exits).

They say what is wrong with the store, never which command to run about it:
the package is used under any front end, and the CLI adds its own hints.

The classes live in :mod:`.errortypes` and load on first use (``errors.LogCorruptedError``,
or ``from ... import``): they derive from the library's, whose persistence module a
read that never fails need not import. The package's modules raise and catch them as
attributes of this module (an ``except`` clause is evaluated only when something is raised).
"""

from __future__ import annotations

import errno
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from complaintctl.filestore.errortypes import (
        LogCorruptedError,
        PayloadNotJSON,
        StoreUnavailableError,
    )

__all__ = ["LogCorruptedError", "PayloadNotJSON", "StoreUnavailableError", "os_reason"]

_LAZY = frozenset({"LogCorruptedError", "PayloadNotJSON", "StoreUnavailableError"})


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        from complaintctl.filestore import errortypes

        return getattr(errortypes, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def os_reason(e: OSError) -> str:
    """A short reason for an OS error, naming the usual causes plainly."""
    if e.errno == errno.ENOSPC:
        return "no space left on device"
    if e.errno == errno.EFBIG:
        return "file too large (size limit reached)"
    if e.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
        return f"permission denied ({e.strerror})"
    return e.strerror or str(e)
