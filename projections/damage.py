"""The read side's error for a log it cannot read: the library's ``DataError`` (exit 6).

A module of its own, imported where the error is raised: the library's
persistence module, which defines the base, costs a read more than the read.
"""

from __future__ import annotations

from eventsourcing.persistence import DataError


class LogDamaged(DataError):
    """A committed event cannot be read: the store failed verification (exit 6)."""
