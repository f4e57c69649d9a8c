"""Where the per-customer keys live (see ``events.personal``): per backend, one home.

- File store: ``<store>/keys/keys.sqlite`` (:class:`FileKeyring`), beside
  the log on the one desk: directory 0700, files 0600.
- SQLite and PostgreSQL: in the database the events are in, in tables of
  their own (never the event log), so every desk of a shop reads what
  another desk sealed, and ``forget`` on one desk shreds the customer for all
  (:class:`DatabaseKeyring`, tables ``complaintctl_secret``,
  ``complaintctl_keys`` and ``complaintctl_forgotten``). Keys an earlier
  version kept in ``<store>/keys/`` are copied into the database when the
  store is opened (read from there while they cannot be), and deleted there
  once their customer is forgotten on any desk.

Keys are never cached across commands (each command is a process of its own;
within one, keys are remembered so a rebuild asks once per customer).

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

import hmac
import os
import re
import sqlite3
import threading
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any
from urllib.parse import quote

from complaintctl.shareddb import SharedDb

KEYS_DIR = "keys"
KEYS_DB = "keys.sqlite"
_SUBJECT = re.compile(r"[0-9a-f]{32}")
_SCHEMA = """
CREATE TABLE IF NOT EXISTS secret (id INTEGER PRIMARY KEY CHECK (id = 1), value BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS keys (subject TEXT PRIMARY KEY, key BLOB NOT NULL) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS moved (location TEXT PRIMARY KEY, keys INTEGER NOT NULL);
"""


class _Keyring:
    """What both keyrings share: the pseudonym, making keys, forgetting (one home for each).

    A subclass keeps ``_keys`` (subject -> key or None: this command's memory)
    and ``_lock``, and says how it reads, inserts and deletes keys where it
    keeps them.
    """

    _keys: dict[str, bytes | None]
    _lock: threading.RLock

    @property
    def secret(self) -> bytes:
        raise NotImplementedError

    def key(self, subject: str) -> bytes | None:
        raise NotImplementedError

    def _read_keys(self, subjects: list[str]) -> Mapping[str, bytes | None]:
        """Read these subjects' keys into ``_keys`` (None: no key)."""
        raise NotImplementedError

    def _insert_keys(self, rows: list[tuple[str, bytes]]) -> None:
        """Insert keys, keeping any made first elsewhere, in one durable transaction."""
        raise NotImplementedError

    def _delete_key(self, subject: str) -> bool:
        """Delete a subject's key where it is kept; whether there was one."""
        raise NotImplementedError

    def pseudonym(self, basis: str) -> str:
        # hmac.digest: the one-shot C path (hmac.new builds a Python object per call; an
        # import asks this twice per case).
        return hmac.digest(self.secret, basis.encode("utf-8"), "sha256").hex()[:32]

    def create_keys(self, subjects: list[str]) -> None:
        """Make the keys of these subjects that do not exist yet, in one durable transaction.

        Committed before the save that seals with them (the caller saves after this
        returns). Another process or desk may make the same subject's key at the same
        moment: the first one in wins, and both read it back.
        """
        unique = set(subjects)
        with self._lock:
            unknown = [s for s in unique if s not in self._keys]
            if unknown:
                self._read_keys(unknown)
            missing = sorted(s for s in unique if self._keys.get(s) is None)
            if not missing:
                return
            for s in missing:
                if not _SUBJECT.fullmatch(s):
                    raise ValueError(f"not a subject id: {s!r}")
            self._insert_keys([(s, os.urandom(32)) for s in missing])
            for s in missing:  # read what won
                self._keys.pop(s, None)
            self._read_keys(missing)

    def create_key(self, subject: str) -> bytes:
        self.create_keys([subject])
        key = self.key(subject)
        assert key is not None
        return key

    def forget(self, subject: str) -> bool:
        """Delete the subject's key: what was sealed with it can never be read again."""
        with self._lock:
            self._keys[subject] = None
            return self._delete_key(subject)


class FileKeyring(_Keyring):
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

    def bind(self, app: Any) -> None:
        """Nothing to share: the file store is one desk (see :class:`DatabaseKeyring`)."""

    def dump(self) -> tuple[bytes | None, Iterator[tuple[str, bytes]]]:
        """The secret (None if none yet) and every key, as stored; nothing is created."""
        with self._lock:
            db = self._open()
            row = db.execute("SELECT value FROM secret").fetchone()
            rows = db.execute("SELECT subject, key FROM keys ORDER BY subject")
            return (bytes(row[0]) if row else None), ((s, bytes(k)) for s, k in rows)

    def load(self, secret: bytes | None, rows: Iterator[tuple[str, bytes]]) -> int:
        """Add a secret and keys from elsewhere (``migrate``); what is here already is kept."""
        with self._lock:
            db = self._open()
            db.execute("BEGIN IMMEDIATE")
            try:
                if secret is not None:
                    db.execute("INSERT OR IGNORE INTO secret VALUES (1, ?)", (secret,))
                n = sum(
                    db.execute("INSERT OR IGNORE INTO keys VALUES (?, ?)", row).rowcount
                    for row in rows
                )
                db.execute("COMMIT")
            except BaseException:
                if db.in_transaction:  # SQLite rolled back already on a full disk
                    db.execute("ROLLBACK")
                raise
            return n

    def moved(self) -> tuple[str, int] | None:
        """Where this file's keys were last copied to (a database) and how many it held then."""
        with self._lock:
            row = self._open().execute("SELECT location, keys FROM moved").fetchone()
            return (str(row[0]), int(row[1])) if row else None

    def count(self) -> int:
        with self._lock:
            return int(self._open().execute("SELECT count(*) FROM keys").fetchone()[0])

    def mark_moved(self, location: str, keys: int) -> None:
        with self._lock:
            db = self._open()
            db.execute("BEGIN IMMEDIATE")
            db.execute("DELETE FROM moved")
            db.execute("INSERT INTO moved VALUES (?, ?)", (location, keys))
            db.execute("COMMIT")

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

    def key(self, subject: str) -> bytes | None:
        if subject in self._keys:
            return self._keys[subject]
        with self._lock:
            return self._read_keys([subject])[subject]

    def _read_keys(self, subjects: list[str]) -> Mapping[str, bytes | None]:
        # One query per _BATCH subjects, not one each (an import reads a batch's new
        # customers twice: 6,332 queries at 10,000 rows before).
        if len(self._keys) > 200_000:  # a rebuild meets every customer: bound the memory
            self._keys.clear()
        wanted = sorted({s for s in subjects if _SUBJECT.fullmatch(s)})
        found: dict[str, bytes] = {}
        if wanted and self.exists():
            db = self._open()
            for i in range(0, len(wanted), _BATCH):
                part = wanted[i : i + _BATCH]
                marks = ", ".join("?" * len(part))
                rows = db.execute(f"SELECT subject, key FROM keys WHERE subject IN ({marks})", part)
                found.update((s, bytes(k)) for s, k in rows)
        for s in subjects:
            self._keys[s] = found.get(s)
        return {s: self._keys[s] for s in subjects}

    def _insert_keys(self, rows: list[tuple[str, bytes]]) -> None:
        db = self._open()
        db.execute("BEGIN IMMEDIATE")
        try:
            db.executemany("INSERT OR IGNORE INTO keys VALUES (?, ?)", rows)
            db.execute("COMMIT")
        except BaseException:
            if db.in_transaction:  # SQLite rolled back already on a full disk
                db.execute("ROLLBACK")
            raise

    def _delete_key(self, subject: str) -> bool:
        if not self.exists():
            return False
        # secure_delete: the freed bytes are overwritten with zeros in the main file.
        deleted = self._open().execute("DELETE FROM keys WHERE subject = ?", (subject,)).rowcount
        return bool(deleted > 0)


_SECRET = "complaintctl_secret"
_KEYS = "complaintctl_keys"
_FORGOTTEN = "complaintctl_forgotten"
# All three in one transaction: the last one existing means the others do.
_DDL = """
CREATE TABLE IF NOT EXISTS {t:complaintctl_secret}
    (id integer PRIMARY KEY CHECK (id = 1), value {blob} NOT NULL);
CREATE TABLE IF NOT EXISTS {t:complaintctl_keys} (subject text PRIMARY KEY, key {blob} NOT NULL);
CREATE TABLE IF NOT EXISTS {t:complaintctl_forgotten} (subject text PRIMARY KEY)
"""
_BATCH = 500  # subjects per IN (...) query or executemany


class DatabaseKeyring(_Keyring):
    """The :class:`events.personal.Keyring` of a shop on SQLite or PostgreSQL: keys in its database.

    ``complaintctl_forgotten`` remembers which subjects were forgotten (the
    subject ids only, keyed hashes), so that keys still kept in an old
    ``<store>/keys/`` on some desk are never copied back, nor read, once
    forgotten.
    """

    def __init__(self, store: Path, db: SharedDb) -> None:
        self.db = db
        self.local = FileKeyring(store)  # where an earlier version kept this desk's keys
        self._secret: bytes | None = None
        self._keys: dict[str, bytes | None] = {}
        self._ready = False
        self._local_left = False  # local keys that could not be moved: read them too
        self._misses = 0
        self._lock = threading.RLock()

    def __getstate__(self) -> dict[str, Any]:
        return {k: v for k, v in self.__dict__.items() if k != "_lock"}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state, _lock=threading.RLock())

    def bind(self, app: Any) -> None:
        """Use the open application's connections (no connection of our own)."""
        self.db.bind(app)

    def exists(self) -> bool:
        """Whether this shop has ever sealed personal data (on any desk)."""
        if self.local.exists():
            return True
        if not self.db.exists() or not self.db.has_table(_FORGOTTEN):
            return False
        return bool(self.db.run("SELECT 1 AS one FROM {t:complaintctl_secret}"))

    def _prepare(self) -> None:
        if not self._ready:
            self.db.ensure(_FORGOTTEN, _DDL)
            if self.local.exists():
                self._adopt_local()
            self._ready = True

    def _adopt_local(self) -> None:
        """Bring the keys an earlier version kept in ``<store>/keys/`` into the database.

        Keys (and the secret) already in the database win; a subject forgotten on
        any desk is deleted here too and never copied back. The local file stays
        (the same directory may still be a file store's), marked with what was
        copied, so a later command copies again only when it changed. If the
        database or the file refuses (a read-only role or store), the local keys
        are still read, unless forgotten.
        """
        from eventsourcing.persistence import PersistenceError

        local = self.local
        try:
            forgotten = {
                r["subject"] for r in self.db.run("SELECT subject FROM {t:complaintctl_forgotten}")
            }
            for subject in forgotten:
                if local.key(subject) is not None:
                    local.forget(subject)
            mark = (self.db.location, local.count())
            if local.moved() == mark:
                return
            secret, rows = local.dump()
            self.load(secret, (r for r in rows if r[0] not in forgotten))
            local.mark_moved(*mark)
        except (PersistenceError, sqlite3.Error, OSError):
            self._local_left = True

    def close(self) -> None:
        with self._lock:
            self.db.close()
            self.local.close()

    @property
    def secret(self) -> bytes:
        with self._lock:
            if self._secret is None:
                self._prepare()
                query = "SELECT value FROM {t:complaintctl_secret}"
                rows = self.db.run(query)
                if not rows:  # read first: a read-only role finds it made already
                    self.db.run(
                        "INSERT INTO {t:complaintctl_secret} (id, value) VALUES (1, ?) "
                        "ON CONFLICT DO NOTHING",
                        (os.urandom(32),),
                    )
                    rows = self.db.run(query)
                self._secret = bytes(rows[0]["value"])
            return self._secret

    def key(self, subject: str) -> bytes | None:
        if subject in self._keys:
            return self._keys[subject]
        with self._lock:
            self._misses += 1
            if self._misses == 256:  # a rebuild meets every customer: fetch them at once
                self._read_all()
                if subject in self._keys:
                    return self._keys[subject]
            return self._read_keys([subject])[subject]

    def _read_all(self) -> None:
        self._prepare()
        count = self.db.run("SELECT count(*) AS n FROM {t:complaintctl_keys}")[0]["n"]
        if int(count) <= 200_000:
            rows = self.db.run("SELECT subject, key FROM {t:complaintctl_keys}")
            self._keys.update((r["subject"], bytes(r["key"])) for r in rows)

    def _read_keys(self, subjects: list[str]) -> dict[str, bytes | None]:
        self._prepare()
        if len(self._keys) > 200_000:  # bound the memory
            self._keys.clear()
        wanted = sorted({s for s in subjects if _SUBJECT.fullmatch(s)})
        found: dict[str, bytes] = {}
        for i in range(0, len(wanted), _BATCH):
            part = tuple(wanted[i : i + _BATCH])
            marks = ", ".join("?" * len(part))
            query = "SELECT subject, key FROM {t:complaintctl_keys} WHERE subject IN (" + marks
            found.update((r["subject"], bytes(r["key"])) for r in self.db.run(query + ")", part))
        if self._local_left:
            self._read_local([s for s in wanted if s not in found], found)
        for s in subjects:
            self._keys[s] = found.get(s)
        return {s: self._keys[s] for s in subjects}

    def _read_local(self, missing: list[str], found: dict[str, bytes]) -> None:
        """Keys still only in ``<store>/keys/`` (not moved), unless forgotten since."""
        for s in missing:
            if self.db.run(
                "SELECT 1 AS one FROM {t:complaintctl_forgotten} WHERE subject = ?", (s,)
            ):
                continue
            key = self.local.key(s)
            if key is not None:
                found[s] = key

    def _insert_keys(self, rows: list[tuple[str, bytes]]) -> None:
        # One statement per batch: atomic and durable alone (PostgreSQL: one round trip).
        for i in range(0, len(rows), _BATCH):
            part = rows[i : i + _BATCH]
            values = ", ".join(["(?, ?)"] * len(part))
            self.db.run(
                "INSERT INTO {t:complaintctl_keys} (subject, key) VALUES "
                + values
                + " ON CONFLICT DO NOTHING",
                tuple(v for row in part for v in row),
            )

    def _delete_key(self, subject: str) -> bool:
        """Delete the key in the shared table (every desk sees it gone) and remember that."""
        self._prepare()
        delete = self.db.sql("DELETE FROM {t:complaintctl_keys} WHERE subject = ?")
        with self.db.transaction() as c:
            c.execute(delete, (subject,))
            deleted = bool(c.rowcount > 0)
            c.execute(
                self.db.sql(
                    "INSERT INTO {t:complaintctl_forgotten} (subject) VALUES (?) "
                    "ON CONFLICT DO NOTHING"
                ),
                (subject,),
            )
        self.db.checkpoint()  # SQLite: the zeroed page into the main file now
        if self.local.exists():
            deleted = self.local.forget(subject) or deleted
        return deleted

    def forgotten_count(self) -> int:
        """How many customers were ever forgotten, on any desk (it only grows)."""
        with self._lock:
            self._prepare()
            return int(self.db.run("SELECT count(*) AS n FROM {t:complaintctl_forgotten}")[0]["n"])

    def dump(self) -> tuple[bytes | None, Iterator[tuple[str, bytes]]]:
        """The secret (None if none yet) and every key, as :meth:`FileKeyring.dump`."""
        with self._lock:
            self._prepare()
            rows = self.db.run("SELECT value FROM {t:complaintctl_secret}")
            keys = self.db.run("SELECT subject, key FROM {t:complaintctl_keys} ORDER BY subject")
            secret = bytes(rows[0]["value"]) if rows else None
            return secret, ((r["subject"], bytes(r["key"])) for r in keys)

    def load(self, secret: bytes | None, rows: Iterator[tuple[str, bytes]]) -> int:
        """Add a secret and keys from elsewhere (``migrate``); what is here already is kept."""
        with self._lock:
            if not self._ready:
                self.db.ensure(_FORGOTTEN, _DDL)
            n = 0
            with self.db.transaction() as c:
                if secret is not None:
                    c.execute(
                        self.db.sql(
                            "INSERT INTO {t:complaintctl_secret} (id, value) VALUES (1, ?) "
                            "ON CONFLICT DO NOTHING"
                        ),
                        (secret,),
                    )
                insert = self.db.sql(
                    "INSERT INTO {t:complaintctl_keys} (subject, key) VALUES (?, ?) "
                    "ON CONFLICT DO NOTHING"
                )
                batch: list[tuple[str, bytes]] = []
                for row in rows:
                    batch.append(row)
                    if len(batch) >= _BATCH:
                        n += self._insert(c, insert, batch)
                if batch:
                    n += self._insert(c, insert, batch)
            return n

    @staticmethod
    def _insert(cursor: Any, insert: str, batch: list[tuple[str, bytes]]) -> int:
        cursor.executemany(insert, batch)
        n = max(int(cursor.rowcount), 0)
        batch.clear()
        return n


StoreKeyring = FileKeyring | DatabaseKeyring
_SEEN = "forgotten-seen"  # beside the read-model cache: goes when the cache goes


def refresh_after_forgets(keyring: object, store: Path, rebuild: Callable[[], object]) -> None:
    """Rebuild this desk's read-model cache if a customer was forgotten on another desk.

    The cache holds opened names and contacts in plain text; the desk that runs
    ``forget`` rebuilds its own, and every other desk does so here, at its next
    command that reads the cache (a fresh cache is not rebuilt, it has no plain
    text of the forgotten). Pass ``rebuild`` doing nothing to record that the
    cache was just rebuilt. Only a shared database has other desks.
    """
    from projections.cachefiles import cache_path

    if not isinstance(keyring, DatabaseKeyring):
        return
    cache = cache_path(store)
    now = keyring.forgotten_count()
    mark = cache.with_name(_SEEN)
    try:
        seen: int | None = int(mark.read_text("ascii"))
    except (OSError, ValueError):
        seen = None
    if seen == now:
        return
    if cache.exists() and (seen is not None or now > 0):
        rebuild()
    try:
        mark.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        tmp = mark.with_name(f".{_SEEN}-{os.getpid()}")
        tmp.write_text(str(now), "ascii")
        tmp.replace(mark)
    except OSError:
        pass  # a read-only store: it is checked again next time


def open_keyring(store: Path, env: Mapping[str, str]) -> StoreKeyring:
    """The keyring of a store for its persistence environment (see the module docstring)."""
    db = SharedDb.for_env(env)
    return FileKeyring(store) if db is None else DatabaseKeyring(store, db)


def copy_keys(
    store: Path, source_env: Mapping[str, str], target: Path, target_env: Mapping[str, str]
) -> int:
    """Copy a store's keys into the target of ``migrate`` (a store directory or database).

    A copy of the log without the keys would read every customer as forgotten.
    Keys and the secret already in the target are kept (never overwritten);
    returns how many keys were copied.
    """
    src = open_keyring(store, source_env)
    dst = open_keyring(target, target_env)
    try:
        if not src.exists():
            return 0
        if isinstance(src, FileKeyring) and isinstance(dst, FileKeyring):
            return _copy_file_keys(src.path, target)
        secret, rows = src.dump()
        return dst.load(secret, rows)
    finally:
        src.close()
        dst.close()


def _copy_file_keys(source: Path, target: Path) -> int:
    """Copy one key database into another store directory's, in one SQLite statement."""
    dst = FileKeyring(target)
    db = dst._open()
    db.execute("ATTACH DATABASE ? AS src", (str(source),))
    try:
        db.execute("BEGIN IMMEDIATE")
        db.execute("INSERT OR IGNORE INTO main.secret SELECT * FROM src.secret")
        n = db.execute("INSERT OR IGNORE INTO main.keys SELECT * FROM src.keys").rowcount
        db.execute("COMMIT")
    finally:
        db.execute("DETACH DATABASE src")
        dst.close()
    return int(n)
