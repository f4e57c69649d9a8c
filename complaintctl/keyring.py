"""Per-customer keys in the store directory: ``<store>/keys/keys.sqlite`` (see ``events.personal``).

Whatever the backend (with SQLite or PostgreSQL the events live in the
database), the keys stay here, beside the config, on the machine that runs
the commands: directory 0700, files 0600.

One SQLite database rather than a file per customer, so that the keys of a
whole save (an import batch of hundreds of new customers) are made durable
in one transaction: a key must be on disk before any event sealed with it,
and a file per key cost two fsyncs per new customer (an import ran three
times slower). It holds:

- ``secret``: 32 random bytes, the HMAC secret that turns a customer key
  (account or contact) into a subject id. Losing it loses no data, but the
  same customer would get a new subject (and customer file) from then on.
- ``keys``: one random 32-byte key per subject.

Forgetting deletes the row with ``secure_delete`` on (SQLite overwrites the
freed content with zeros). The rollback journal that briefly holds the old
page is deleted at commit, not overwritten. On copy-on-write or journalling file systems and SSDs
old blocks may survive on the device: SECURITY.md says so. Backups of
``keys/`` keep forgotten customers readable: they must be rotated too.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import re
import sqlite3
import threading
from pathlib import Path
from typing import Any
from urllib.parse import quote

KEYS_DIR = "keys"
KEYS_DB = "keys.sqlite"
_SUBJECT = re.compile(r"[0-9a-f]{32}")
_SCHEMA = """
CREATE TABLE IF NOT EXISTS secret (id INTEGER PRIMARY KEY CHECK (id = 1), value BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS keys (subject TEXT PRIMARY KEY, key BLOB NOT NULL) WITHOUT ROWID;
"""


class FileKeyring:
    """The :class:`events.personal.Keyring` of a store directory."""

    def __init__(self, store: Path) -> None:
        self.directory = store / KEYS_DIR
        self.path = self.directory / KEYS_DB
        self._db: sqlite3.Connection | None = None
        self._secret: bytes | None = None
        self._keys: dict[str, bytes | None] = {}
        # The file store's group commit saves from several threads of one process.
        self._lock = threading.RLock()

    def __getstate__(self) -> dict[str, Any]:
        """Picklable (a rebuild's helper process gets it): without the connection and lock."""
        return {k: v for k, v in self.__dict__.items() if k not in ("_db", "_lock")}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state, _db=None, _lock=threading.RLock())

    def exists(self) -> bool:
        """Whether this store has ever sealed personal data (its key database exists)."""
        return self.path.exists()

    def _open(self) -> sqlite3.Connection:
        if self._db is None and self.path.exists() and not os.access(self.directory, os.W_OK):
            # A store this user may only read (an auditor's copy, a read-only mount):
            # keys are read, never written, and SQLite must not try to make a journal.
            uri = f"file:{quote(str(self.path))}?immutable=1"
            self._db = sqlite3.connect(uri, uri=True, isolation_level=None, check_same_thread=False)
        if self._db is None:
            self.directory.mkdir(parents=True, exist_ok=True, mode=0o700)
            db = sqlite3.connect(
                self.path, timeout=60, isolation_level=None, check_same_thread=False
            )
            # A rollback journal, not WAL: the main file always holds every committed key,
            # so a read-only copy (opened immutable, which ignores a WAL) misses none.
            db.execute("PRAGMA journal_mode=DELETE")
            db.execute("PRAGMA synchronous=FULL")  # a key is on disk before its events
            db.execute("PRAGMA secure_delete=ON")
            db.executescript(_SCHEMA)
            self._db = db
        return self._db

    def close(self) -> None:
        with self._lock:
            if self._db is not None:
                self._db.close()
                self._db = None

    @property
    def secret(self) -> bytes:
        with self._lock:
            return self._read_secret()

    def _read_secret(self) -> bytes:
        if self._secret is None:
            db = self._open()
            row = db.execute("SELECT value FROM secret").fetchone()
            if row is None:  # read first: a read-only store has its secret already
                db.execute("INSERT OR IGNORE INTO secret VALUES (1, ?)", (os.urandom(32),))
                row = db.execute("SELECT value FROM secret").fetchone()
            self._secret = bytes(row[0])
        return self._secret

    def pseudonym(self, basis: str) -> str:
        return hmac.new(self.secret, basis.encode("utf-8"), hashlib.sha256).hexdigest()[:32]

    def key(self, subject: str) -> bytes | None:
        if subject in self._keys:
            return self._keys[subject]
        with self._lock:
            return self._read_key(subject)

    def _read_key(self, subject: str) -> bytes | None:
        key: bytes | None = None
        if len(self._keys) > 200_000:  # a rebuild meets every customer: bound the memory
            self._keys.clear()
        if _SUBJECT.fullmatch(subject) and self.exists():
            row = self._open().execute("SELECT key FROM keys WHERE subject = ?", (subject,))
            found = row.fetchone()
            key = bytes(found[0]) if found else None
        self._keys[subject] = key
        return key

    def create_keys(self, subjects: list[str]) -> None:
        """Make the keys of these subjects that do not exist yet, in one durable transaction."""
        missing = sorted({s for s in subjects if self.key(s) is None})
        if not missing:
            return
        for s in missing:
            if not _SUBJECT.fullmatch(s):
                raise ValueError(f"not a subject id: {s!r}")
        with self._lock:
            db = self._open()
            db.execute("BEGIN IMMEDIATE")
            try:
                db.executemany(
                    "INSERT OR IGNORE INTO keys VALUES (?, ?)",
                    [(s, os.urandom(32)) for s in missing],
                )
                db.execute("COMMIT")
            except BaseException:
                db.execute("ROLLBACK")
                raise
            for s in missing:  # another process may have made some first: read what won
                self._keys.pop(s, None)
                self._read_key(s)

    def create_key(self, subject: str) -> bytes:
        self.create_keys([subject])
        key = self.key(subject)
        assert key is not None
        return key

    def forget(self, subject: str) -> bool:
        self._keys[subject] = None
        if not self.exists():
            return False
        with self._lock:
            db = self._open()
            # secure_delete: the freed bytes are overwritten with zeros in the main file.
            deleted = db.execute("DELETE FROM keys WHERE subject = ?", (subject,)).rowcount
        return deleted > 0


def copy_keys(source: Path, target: Path) -> int:
    """Copy a store's keys into another store directory (``migrate --to file``).

    A file-store copy of the log without the keys would read every customer
    as forgotten. Keys and the secret already in the target are kept (never
    overwritten); returns how many keys were copied.
    """
    src = FileKeyring(source)
    if not src.exists():
        return 0
    dst = FileKeyring(target)
    db = dst._open()
    db.execute("ATTACH DATABASE ? AS src", (str(src.path),))
    try:
        db.execute("BEGIN IMMEDIATE")
        db.execute("INSERT OR IGNORE INTO main.secret SELECT * FROM src.secret")
        n = db.execute("INSERT OR IGNORE INTO main.keys SELECT * FROM src.keys").rowcount
        db.execute("COMMIT")
    finally:
        db.execute("DETACH DATABASE src")
        dst.close()
    return int(n)
