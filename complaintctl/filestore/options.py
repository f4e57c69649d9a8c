"""How the library's variables open a log: one reading for the factory and for a reader.

``FILESTORE_PATH``, ``FILESTORE_FSYNC``, ``FILESTORE_LOCK_TIMEOUT`` and
``ORIGINATOR_ID_TYPE``, read as the library reads them (its prefixed names
first). The recorders' factory and a reader that opens the events log alone
(``Log.read_events``, without the library's recorder classes) share it.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from complaintctl.filestore.log import Log

if TYPE_CHECKING:
    from eventsourcing.utils import Environment


@dataclass(frozen=True)
class LogOptions:
    """Where a store's logs are and how they are written."""

    directory: Path
    fsync: bool
    lock_timeout: float
    uuid_ids: bool

    @classmethod
    def of(cls, env: Environment) -> LogOptions:
        """From the library's environment (its prefixed names first, as it reads them)."""
        from eventsourcing.utils import strtobool

        path = env.get("FILESTORE_PATH")
        if not path:
            raise OSError("FILESTORE_PATH is not set: the file store needs a directory")
        return cls(
            Path(path),
            strtobool(env.get("FILESTORE_FSYNC", "yes")),
            float(env.get("FILESTORE_LOCK_TIMEOUT", "10")),
            env.get("ORIGINATOR_ID_TYPE", "uuid").lower() != "text",
        )

    def open(self, name: str) -> Log:
        return Log(
            self.directory,
            name,
            fsync=self.fsync,
            lock_timeout=self.lock_timeout,
            uuid_ids=self.uuid_ids,
        )
