"""The config file's TOML parse, kept beside the read-model cache for the next process.

Every command reads ``complaintctl.toml``; importing tomllib and parsing a
shop's file costs a fresh process about 15 M instructions (BENCHMARKS.md,
issue 14, fourth round). The parse is a pure function of the file's bytes, so
``<store>/cache/config.marshal`` keeps the bytes it was made from with it, and
a later process uses it only when the file's bytes now are the same, byte for
byte (not a size or a time, which can stay equal across an edit): a changed
file is always parsed again. ``marshal`` holds exactly the types TOML gives
except dates and times; a file with those is not kept. Only a file in a store
whose cache directory exists is kept (``--config`` elsewhere is parsed each
time), and any problem with the kept copy (missing, of another Python,
damaged, not writable) means a parse as before: the copy is never needed.
The checks of :mod:`complaintctl.config` run on the result either way.
"""

from __future__ import annotations

import contextlib
import marshal
import os
import sys
from pathlib import Path
from typing import Any

#: In the read-model cache's directory: ``projections.cachefiles.CACHE_DIR`` (not imported:
#: it loads sqlite3, shutil and tempfile; tests/test_config_parsed.py keeps them equal).
CACHE_DIR = "cache"
NAME = "config.marshal"
#: What a kept parse was made by: another Python's marshal or tomllib is not trusted.
_MADE_BY = ("complaintctl-config-1", sys.version_info[:3], marshal.version)


def _kept_at(path: Path) -> Path | None:
    directory = path.parent / CACHE_DIR
    return directory / NAME if directory.is_dir() else None


def parse_toml(path: Path, text: bytes) -> dict[str, Any]:
    """``tomllib.loads(text)`` for the file at ``path``, from the kept copy when it was
    made from these very bytes. Raises as tomllib does (UnicodeDecodeError, TOMLDecodeError)."""
    kept = _kept_at(path)
    if kept is not None:
        try:
            with open(kept, "rb") as f:
                made_by, source, data = marshal.loads(f.read())
            if made_by == _MADE_BY and source == text and type(data) is dict:
                return data
        except (OSError, EOFError, ValueError, TypeError):
            pass
    import tomllib

    data = tomllib.loads(text.decode("utf-8"))
    if kept is not None:
        _keep(kept, text, data)
    return data


def _keep(kept: Path, text: bytes, data: dict[str, Any]) -> None:
    try:
        blob = marshal.dumps((_MADE_BY, text, data))
    except ValueError:  # a TOML date or time: not kept
        return
    # Not ``.tmp-``: that names the read-model cache's own files in the making (cachefiles).
    tmp = kept.with_name(f"{kept.name}.new-{os.getpid()}")
    try:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as f:
            f.write(blob)
        os.replace(tmp, kept)
    except OSError:  # a read-only store: parsed each time, as before
        with contextlib.suppress(OSError):
            tmp.unlink()
