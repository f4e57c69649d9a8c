"""Evidence files, kept content-addressed by SHA-256 under ``<store>/attachments/``.

A file's bytes are stored once as ``attachments/ab/abcdef...`` (the first two
hex digits name the folder); the event records name, size, type and hash, so
``verify`` can prove every attached file is present and unchanged.
"""

from __future__ import annotations

import hashlib
import mimetypes
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

ATTACHMENTS = "attachments"


@dataclass(frozen=True)
class StoredBlob:
    name: str
    size: int
    media_type: str
    sha256: str
    path: Path
    created: bool  # False if the same bytes were already stored


def blob_path(store: Path, sha256: str) -> Path:
    return store / ATTACHMENTS / sha256[:2] / sha256


def store_file(store: Path, source: Path) -> StoredBlob:
    """Copy a file into the store by its hash (durably: temp file, fsync, rename)."""
    folder = store / ATTACHMENTS
    folder.mkdir(parents=True, exist_ok=True)
    digest = hashlib.sha256()
    size = 0
    fd, tmp_name = tempfile.mkstemp(dir=folder, prefix=".incoming-")
    try:
        with os.fdopen(fd, "wb") as out, source.open("rb") as src:
            while chunk := src.read(1 << 20):
                digest.update(chunk)
                out.write(chunk)
                size += len(chunk)
            out.flush()
            os.fsync(out.fileno())
        sha = digest.hexdigest()
        target = blob_path(store, sha)
        created = not target.exists()
        if created:
            target.parent.mkdir(exist_ok=True)
            os.replace(tmp_name, target)
        else:
            os.unlink(tmp_name)
    except BaseException:
        if os.path.exists(tmp_name):
            os.unlink(tmp_name)
        raise
    media_type = mimetypes.guess_type(source.name)[0] or "application/octet-stream"
    return StoredBlob(source.name, size, media_type, sha, target, created)


def check_blob(store: Path, sha256: str, size: int) -> str | None:
    """None if the stored file is present and unchanged, else what is wrong."""
    path = blob_path(store, sha256)
    try:
        data_hash = hashlib.sha256()
        n = 0
        with path.open("rb") as f:
            while chunk := f.read(1 << 20):
                data_hash.update(chunk)
                n += len(chunk)
    except FileNotFoundError:
        return "missing"
    except OSError as e:
        return f"cannot read: {e.strerror}"
    if data_hash.hexdigest() != sha256:
        return "changed (hash differs)"
    if n != size:
        return f"changed (size {n}, recorded {size})"
    return None
