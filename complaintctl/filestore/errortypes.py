"""The file store's error classes, as the library's (``DataError``, ``OperationalError``).

Imported only when one is raised or caught (through :mod:`.errors`): the
library's persistence module costs a reading command more than its read.
"""

from __future__ import annotations

from eventsourcing.persistence import DataError, OperationalError


class StoreUnavailableError(OperationalError):
    """The store cannot be used now: lock held too long, disk full, no permission."""


class LogCorruptedError(DataError):
    """A committed line of the log is not what was written (tampering or damage)."""


class PayloadNotJSON(DataError):
    """A payload is stored base64-encoded (encrypted or compressed): a JSON reader cannot use it."""
