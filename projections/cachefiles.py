"""The cache's files: where it lives, a private one when the store is read-only, leftovers.

The cache is ``<store>/cache/projections.sqlite``; a rebuild writes a new
file beside it (``<name>.tmp-<pid>``) and renames it into place. A store this
user may not write (a read-only mount, an auditor's copy) still reads: the
cache is then built in a temporary directory, removed when its owner goes.

Readers hold ``<name>.lock`` shared while they have the cache open; a
rebuild, which replaces the file and deletes its WAL files, holds it alone,
so no process ever has the old file open when that happens.
"""

from __future__ import annotations

import errno
import fcntl
import os
import sqlite3
import time
import weakref
from pathlib import Path

CACHE_DIR = "cache"
CACHE_NAME = "projections.sqlite"


def warn(message: str) -> None:
    """A warning for the person at the terminal, through :mod:`logging` as the store's are:
    the CLI prints it in the display language (``complaintctl.cli.group``). Imported
    here: a read that never warns never loads :mod:`logging` (BENCHMARKS.md, issue 14)."""
    import logging

    logging.getLogger("projections.cache").warning("%s", message)


def cache_path(store: Path) -> Path:
    return store / CACHE_DIR / CACHE_NAME


def writable(path: Path) -> bool:
    """Whether the cache can live at ``path`` (not so on an auditor's read-only copy)."""
    directory = path.parent
    try:
        directory.mkdir(parents=True, exist_ok=True, mode=0o700)
    except OSError:
        return False
    if not os.access(directory, os.W_OK | os.X_OK):
        return False
    return not path.exists() or os.access(path, os.R_OK | os.W_OK)


def private_cache(owner: object, path: Path, cause: BaseException | None = None) -> Path:
    """A cache file in a temporary directory, removed when ``owner`` goes.

    Reading a store that this user may not write (or that has no room left)
    must still work; it only costs a rebuild per command.
    """
    import shutil  # not loaded by a read that has its cache (BENCHMARKS.md, issue 14, fifth round)
    import tempfile

    tmp = tempfile.mkdtemp(prefix="complaintctl-cache-")
    weakref.finalize(owner, shutil.rmtree, tmp, True)
    why = "is not writable here" if cause is None else f"cannot be written ({cause})"
    warn(f"{path.parent} {why}: read models are built in a temporary cache")
    return Path(tmp) / CACHE_NAME


#: SQLite's primary result codes for a file that cannot be written now: PERM, READONLY,
#: IOERR (a full tmpfs says so), FULL, CANTOPEN.
_SQLITE_CANNOT_WRITE = {3, 8, 10, 13, 14}
_OS_CANNOT_WRITE = {errno.ENOSPC, errno.EDQUOT, errno.EFBIG, errno.EROFS, errno.EACCES,
                    errno.EPERM}  # fmt: skip


def cannot_write(e: BaseException) -> bool:
    """True if ``e`` means no room or no right to write (not damage, not a bug)."""
    if isinstance(e, sqlite3.Error):
        code = getattr(e, "sqlite_errorcode", None)
        return isinstance(code, int) and code & 0xFF in _SQLITE_CANNOT_WRITE
    return isinstance(e, OSError) and e.errno in _OS_CANNOT_WRITE


def remove_stale_builds(path: Path) -> None:
    """Delete half-built cache files of rebuilds whose process is gone (killed)."""
    prefix = f"{path.name}.tmp-"
    for p in path.parent.glob(f"{prefix}*"):
        digits = p.name[len(prefix) :].split(".")[0].split("-")[0]
        if not digits.isdigit() or int(digits) == os.getpid():
            continue
        try:
            os.kill(int(digits), 0)
        except ProcessLookupError:
            p.unlink(missing_ok=True)
        except OSError:
            pass  # alive (another user's process): leave its file alone


class CacheLock:
    """``flock`` on ``<cache>.lock``: shared while the cache is open, alone to replace it."""

    def __init__(self, cache: Path) -> None:
        self.path = Path(f"{cache}.lock")
        self.fd = -1
        self.held: int | None = None  # fcntl.LOCK_SH or LOCK_EX

    def take(self, kind: int, timeout: float) -> bool:
        """Hold the lock as ``kind`` (waiting up to ``timeout``); False if it was not had.

        Turning a shared lock into an exclusive one lets go of the shared one
        first (``flock`` does), so two readers that both want to rebuild take
        turns instead of waiting for each other.
        """
        if self.held == kind:
            return True
        if self.fd < 0:
            self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            self.fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
        deadline = time.monotonic() + timeout
        while True:
            try:
                fcntl.flock(self.fd, kind | fcntl.LOCK_NB)
                self.held = kind
                return True
            except BlockingIOError:
                self.held = None  # a failed conversion holds nothing
                if time.monotonic() >= deadline:
                    return False
                time.sleep(0.005)

    def release(self) -> None:
        if self.fd >= 0:
            os.close(self.fd)  # closing lets go of the lock
            self.fd, self.held = -1, None
