"""Reading a file a person named (``--config``, ``import``): regular files only.

``/dev/zero`` never ends and a FIFO without a writer blocks whoever opens it:
the file is opened without blocking and checked on its descriptor (no race with
a file swapped in) before a byte is read, and never more than a limit is read.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path


class NotRegular(ValueError):
    """The path names a FIFO, a device, a socket or a directory, or too big a file."""


def read_head(path: Path, size: int) -> bytes:
    """The first ``size`` bytes of a regular file (OSError; NotRegular otherwise): enough
    to tell what a file is before reading it line by line."""
    fd = _open_regular(path)
    try:
        os.set_blocking(fd, True)
        return os.pread(fd, size, 0)
    finally:
        os.close(fd)


def _open_regular(path: Path) -> int:
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_NOCTTY)
    try:
        st = os.fstat(fd)
        if stat.S_ISDIR(st.st_mode):
            raise NotRegular(f"{path}: a directory, not a file")
        if not stat.S_ISREG(st.st_mode):
            raise NotRegular(f"{path}: not a regular file (a FIFO, device or socket)")
    except BaseException:
        os.close(fd)
        raise
    return fd


def read_regular(path: Path, limit: int | None = None) -> bytes:
    """The bytes of a regular file (OSError; NotRegular, naming the file, otherwise)."""
    fd = _open_regular(path)
    try:
        if limit is not None and os.fstat(fd).st_size > limit:
            raise NotRegular(f"{path}: over {limit >> 20} MB")
        os.set_blocking(fd, True)
        with os.fdopen(os.dup(fd), "rb") as f:
            data = f.read() if limit is None else f.read(limit + 1)
    finally:
        os.close(fd)
    if limit is not None and len(data) > limit:  # it grew meanwhile
        raise NotRegular(f"{path}: over {limit >> 20} MB")
    return data
