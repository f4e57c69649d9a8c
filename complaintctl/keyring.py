"""Per-customer keys in the store directory: ``<store>/keys/`` (see ``events.personal``).

Layout (directories 0700, files 0600, whatever the backend: with SQLite or
PostgreSQL the events live in the database, the keys stay here, beside the
config, on the machine that runs the commands):

- ``keys/store.secret``: 32 random bytes (base64), the HMAC secret that turns
  a customer key (account or contact) into a subject id. Losing it does not
  lose data, but the same customer would get a new subject (and customer
  file) from then on.
- ``keys/<2 hex>/<subject>.key``: one customer's AES-256 key (base64).
  Sharded by the first two hex digits so that a directory never holds
  hundreds of thousands of entries.

A key is written to a temporary file, fsynced, and linked into place (so
two processes that make the same customer's key at once agree on one), and
the directory is fsynced, before any event sealed with it is saved: a crash
can leave a key without events, never events without their key.

Forgetting overwrites the key file with zeros, fsyncs, unlinks it and
fsyncs the directory. On copy-on-write or journalling file systems and SSDs
the old blocks may survive on the device: SECURITY.md says so. Backups of
``keys/`` keep forgotten customers readable: they must be rotated too.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import re
from pathlib import Path

KEYS_DIR = "keys"
SECRET_NAME = "store.secret"
_SUBJECT = re.compile(r"[0-9a-f]{32}")


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _write_new(path: Path, data: bytes) -> bytes:
    """Create ``path`` with ``data`` unless it exists; return what the file holds afterwards."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        os.write(fd, data)
        os.fsync(fd)
    finally:
        os.close(fd)
    try:
        os.link(tmp, path)  # atomic, and fails if another process got there first
    except FileExistsError:
        data = path.read_bytes()
    finally:
        tmp.unlink(missing_ok=True)
    _fsync_dir(path.parent)
    return data


class FileKeyring:
    """The :class:`events.personal.Keyring` of a store directory."""

    def __init__(self, store: Path) -> None:
        self.directory = store / KEYS_DIR
        self._secret: bytes | None = None
        self._keys: dict[str, bytes | None] = {}

    @property
    def secret(self) -> bytes:
        if self._secret is None:
            path = self.directory / SECRET_NAME
            try:
                text = path.read_bytes()
            except FileNotFoundError:
                text = _write_new(path, base64.b64encode(os.urandom(32)) + b"\n")
            self._secret = base64.b64decode(text.strip())
        return self._secret

    def pseudonym(self, basis: str) -> str:
        return hmac.new(self.secret, basis.encode("utf-8"), hashlib.sha256).hexdigest()[:32]

    def path(self, subject: str) -> Path:
        if not _SUBJECT.fullmatch(subject):
            raise ValueError(f"not a subject id: {subject!r}")
        return self.directory / subject[:2] / f"{subject}.key"

    def key(self, subject: str) -> bytes | None:
        if subject in self._keys:
            return self._keys[subject]
        key: bytes | None
        try:
            key = base64.b64decode(self.path(subject).read_bytes().strip())
        except (FileNotFoundError, ValueError):
            key = None  # never made, forgotten, or not a subject id at all
        self._keys[subject] = key
        return key

    def create_key(self, subject: str) -> bytes:
        key = self.key(subject)
        if key is None:
            data = _write_new(self.path(subject), base64.b64encode(os.urandom(32)) + b"\n")
            key = base64.b64decode(data.strip())
            self._keys[subject] = key
        return key

    def forget(self, subject: str) -> bool:
        self._keys[subject] = None
        path = self.path(subject)
        try:
            fd = os.open(path, os.O_WRONLY)
        except FileNotFoundError:
            return False
        try:
            size = os.fstat(fd).st_size
            os.write(fd, b"\0" * size)
            os.fsync(fd)
        finally:
            os.close(fd)
        path.unlink()
        _fsync_dir(path.parent)
        return True

    def exists(self) -> bool:
        """Whether this store has ever sealed personal data (its secret exists)."""
        return (self.directory / SECRET_NAME).exists()


def copy_keys(source: Path, target: Path) -> int:
    """Copy a store's ``keys/`` into another store directory (``migrate --to file``).

    A file-store copy of the log without the keys would read every customer
    as forgotten. Existing keys in the target are kept (never overwritten);
    returns how many files were copied.
    """
    src = source / KEYS_DIR
    if not src.is_dir():
        return 0
    n = 0
    for path in sorted(src.rglob("*")):
        if path.is_file() and not path.name.startswith("."):
            dst = target / KEYS_DIR / path.relative_to(src)
            if not dst.exists():
                _write_new(dst, path.read_bytes())
                n += 1
    return n
