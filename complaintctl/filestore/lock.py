"""The writers' lock of one log: ``flock`` on ``<log>.lock``, which names its holder.

An OS lock, so that cron jobs and scripts in separate processes can write
at once; a thread lock on top, so that threads of one process take turns.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import threading
import time
from collections.abc import Iterator
from pathlib import Path

from complaintctl.filestore import errors


def flock_within(fd: int, kind: int, timeout: float) -> bool:
    """``flock(fd, kind)``, tried again until ``timeout`` has passed; False if not had."""
    deadline = time.monotonic() + timeout
    delay = 0.0005
    while True:
        try:
            fcntl.flock(fd, kind | fcntl.LOCK_NB)
            return True
        except BlockingIOError:
            if time.monotonic() >= deadline:
                return False
            time.sleep(delay)
            delay = min(delay * 2, 0.002)


class WriteLock:
    """The exclusive lock of one log, held for the time of one append."""

    def __init__(self, path: Path, log_path: Path, timeout: float, fd: int) -> None:
        self.path = path
        self.log_path = log_path
        self.timeout = timeout
        self.fd = fd  # -1 on a read-only copy: nobody writes
        self.thread_lock = threading.RLock()

    @contextlib.contextmanager
    def held(self) -> Iterator[None]:
        """Hold the lock (threads and processes); StoreUnavailableError after the timeout."""
        with self.thread_lock:
            if not flock_within(self.fd, fcntl.LOCK_EX, self.timeout):
                holder = self.holder()
                raise errors.StoreUnavailableError(
                    f"{self.log_path} is locked by another process"
                    f"{f' (pid {holder})' if holder else ''}; "
                    f"gave up after {self.timeout:g} s"
                )
            try:
                with contextlib.suppress(OSError):
                    os.pwrite(self.fd, f"{os.getpid()}\n".encode().ljust(16), 0)
                yield
            finally:
                fcntl.flock(self.fd, fcntl.LOCK_UN)

    def holder(self) -> int | None:
        """The pid the last holder wrote, if any."""
        try:
            return int(os.pread(self.fd, 16, 0).strip() or b"0") or None
        except (OSError, ValueError):
            return None

    def close(self) -> None:
        if self.fd >= 0:
            os.close(self.fd)
            self.fd = -1


@contextlib.contextmanager
def shared_lock(lock_path: Path, timeout: float = 10.0) -> Iterator[None]:
    """Wait (up to ``timeout``) until no writer holds ``lock_path``; for a checker."""
    fd = os.open(lock_path, os.O_RDONLY)
    try:
        deadline = time.monotonic() + timeout
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() > deadline:
                    break
                time.sleep(0.01)
        yield
    finally:
        os.close(fd)
