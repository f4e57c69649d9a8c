"""How the library's variables open a log: one reading for the factory and for a reader.

``FILESTORE_PATH``, ``FILESTORE_FSYNC``, ``FILESTORE_LOCK_TIMEOUT`` and
``ORIGINATOR_ID_TYPE``, read as the library reads them (its prefixed names
first). The recorders' factory and a reader that opens the events log alone
(``Log.read_events``, without the library's recorder classes) share it.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from complaintctl.filestore.log import Log

if TYPE_CHECKING:
    from eventsourcing.utils import Environment


class LogOptions:
    """Where a store's logs are and how they are written.

    A plain frozen value with a dataclass's methods (a ``@dataclass`` compiles them at
    import: BENCHMARKS.md, issue 14, fourth round).
    """

    directory: Path
    fsync: bool
    lock_timeout: float
    uuid_ids: bool

    def __init__(self, directory: Path, fsync: bool, lock_timeout: float, uuid_ids: bool) -> None:
        put = object.__setattr__
        put(self, "directory", directory)
        put(self, "fsync", fsync)
        put(self, "lock_timeout", lock_timeout)
        put(self, "uuid_ids", uuid_ids)

    def _key(self) -> tuple[Path, bool, float, bool]:
        return (self.directory, self.fsync, self.lock_timeout, self.uuid_ids)

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError(f"cannot assign to field {name!r}")

    def __delattr__(self, name: str) -> None:
        raise AttributeError(f"cannot delete field {name!r}")

    def __eq__(self, other: object) -> bool:
        if other.__class__ is not LogOptions:
            return NotImplemented
        assert isinstance(other, LogOptions)
        return self._key() == other._key()

    def __hash__(self) -> int:
        return hash(self._key())

    def __repr__(self) -> str:
        return (
            f"LogOptions(directory={self.directory!r}, fsync={self.fsync!r}, "
            f"lock_timeout={self.lock_timeout!r}, uuid_ids={self.uuid_ids!r})"
        )

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
