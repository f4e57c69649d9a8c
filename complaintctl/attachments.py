"""Evidence files, kept content-addressed by SHA-256 where every desk of the shop sees them.

- File store: ``<store>/attachments/ab/abcdef...`` (the first two hex digits
  name the folder), written through a temporary ``.incoming-*`` file, fsynced
  and renamed.
- SQLite and PostgreSQL: in the database the events are in, in tables of
  their own: ``complaintctl_attachments`` (sha256, size, chunks) and
  ``complaintctl_attachment_chunks`` (sha256, n, content), 1 MiB per chunk, so
  neither storing nor checking a 100 MB file holds it in memory. A file is
  written in one transaction: an attach that is killed leaves nothing.

The event records name, size, type and hash, so ``verify`` on any desk can
prove every attached file is present and unchanged.

Only regular files are taken (a FIFO would block, ``/dev/zero`` never ends),
up to ``[attachments] max_mb`` (default :data:`DEFAULT_MAX_MB`). Temporary
files of a killed attach older than an hour are removed by the next attach
and listed by ``verify``.
"""

from __future__ import annotations

import hashlib
import mimetypes
import os
import stat
import tempfile
import time
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO, Protocol

from complaintctl.errors import UsageProblem
from complaintctl.i18n import _
from complaintctl.shareddb import SharedDb

ATTACHMENTS = "attachments"
DEFAULT_MAX_MB = 50
CHUNK = 1 << 20
STALE_AFTER = 3600.0  # seconds: a temporary file this old belongs to no running attach
_INCOMING = ".incoming-"
_DDL = """
CREATE TABLE IF NOT EXISTS {t:complaintctl_attachments}
    (sha256 text PRIMARY KEY, size bigint NOT NULL, chunks integer NOT NULL);
CREATE TABLE IF NOT EXISTS {t:complaintctl_attachment_chunks}
    (sha256 text NOT NULL, n integer NOT NULL, content {blob} NOT NULL, PRIMARY KEY (sha256, n))
"""


@dataclass(frozen=True)
class StoredBlob:
    name: str
    size: int
    media_type: str
    sha256: str
    created: bool  # False if the same bytes were already stored


class Attachments(Protocol):
    """Where a store keeps attached files (by SHA-256)."""

    def put(self, source: Path) -> StoredBlob:
        """Store a regular file (UsageProblem for anything else or too big)."""

    def discard(self, blob: StoredBlob) -> None:
        """Undo a :meth:`put` whose event was not saved (only what it created)."""

    def check(self, sha256: str, size: int) -> str | None:
        """None if the stored file is present and unchanged, else what is wrong."""

    def stale(self) -> list[str]:
        """Leftovers of killed attaches (temporary files older than an hour)."""


def max_bytes(raw_config: Mapping[str, Any]) -> int:
    """The size limit of ``[attachments] max_mb`` (config.py checks the value)."""
    table = raw_config.get("attachments", {})
    return int(table.get("max_mb", DEFAULT_MAX_MB)) * (1 << 20)


def open_store(store: Path, app: Any, raw_config: Mapping[str, Any]) -> Attachments:
    """The attachments of a store as its open application's backend keeps them."""
    limit = max_bytes(raw_config)
    db = SharedDb.for_app(app)
    if db is None:
        return FileAttachments(store, limit)
    return DatabaseAttachments(store, db, limit)


# -- reading what is attached -------------------------------------------------------


def _open_regular(source: Path, limit: int) -> BinaryIO:
    """Open a regular file for reading, refusing anything else before a byte is read.

    O_NONBLOCK: opening a FIFO without a writer would otherwise wait forever.
    The size is checked on the descriptor (no race with a file swapped in).
    """
    try:
        fd = os.open(source, os.O_RDONLY | os.O_NONBLOCK | os.O_NOCTTY)
    except IsADirectoryError:
        raise UsageProblem(
            _("{file}: a directory; only a regular file can be attached").format(file=source)
        ) from None
    st = os.fstat(fd)
    if not stat.S_ISREG(st.st_mode):
        os.close(fd)
        raise UsageProblem(
            _(
                "{file}: not a regular file (a FIFO, device or socket); "
                "only a regular file can be attached"
            ).format(file=source)
        )
    if st.st_size > limit:
        os.close(fd)
        raise UsageProblem(_too_big(source, st.st_size, limit))
    os.set_blocking(fd, True)
    return os.fdopen(fd, "rb")


def _too_big(source: Path, size: int, limit: int) -> str:
    return _(
        "{file}: {size} bytes is over the limit of {limit} MB ([attachments] max_mb in the config)"
    ).format(file=source, size=size, limit=limit >> 20)


def _chunks(f: BinaryIO, source: Path, limit: int) -> Iterator[bytes]:
    """The file's bytes in chunks; UsageProblem if it grows past the limit meanwhile."""
    n = 0
    while chunk := f.read(CHUNK):
        n += len(chunk)
        if n > limit:
            raise UsageProblem(_too_big(source, n, limit))
        yield chunk


def _media_type(source: Path) -> str:
    return mimetypes.guess_type(source.name)[0] or "application/octet-stream"


# -- the file store -------------------------------------------------------------------


def blob_path(store: Path, sha256: str) -> Path:
    return store / ATTACHMENTS / sha256[:2] / sha256


class FileAttachments:
    """``<store>/attachments/``: the file store's (and an earlier version's) attachments."""

    def __init__(self, store: Path, limit: int = DEFAULT_MAX_MB << 20) -> None:
        self.store = store
        self.folder = store / ATTACHMENTS
        self.limit = limit

    def put(self, source: Path) -> StoredBlob:
        """Copy a file into the store by its hash (durably: temp file, fsync, rename)."""
        with _open_regular(source, self.limit) as src:
            self.remove_stale()
            sha, size, created = self._write(_chunks(src, source, self.limit))
        return StoredBlob(source.name, size, _media_type(source), sha, created)

    def _write(self, chunks: Iterable[bytes], expect: str | None = None) -> tuple[str, int, bool]:
        """Write bytes under their hash: (hash, size, created); ``expect``: refuse another hash."""
        self.folder.mkdir(parents=True, exist_ok=True)
        digest = hashlib.sha256()
        size = 0
        fd, tmp_name = tempfile.mkstemp(dir=self.folder, prefix=_INCOMING)
        try:
            with os.fdopen(fd, "wb") as out:
                for chunk in chunks:
                    digest.update(chunk)
                    out.write(chunk)
                    size += len(chunk)
                out.flush()
                os.fsync(out.fileno())
            sha = digest.hexdigest()
            if expect is not None and sha != expect:
                raise ValueError(f"attachment {expect}: its bytes hash to {sha}")
            target = blob_path(self.store, sha)
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
        return sha, size, created

    def listing(self) -> Iterator[tuple[str, int]]:
        """Every stored file as (hash, size), for ``migrate``."""
        try:
            folders = sorted(p for p in self.folder.iterdir() if len(p.name) == 2)
        except (FileNotFoundError, NotADirectoryError):
            return
        for folder in folders:
            for p in sorted(folder.iterdir()):
                if len(p.name) == 64 and p.name.startswith(folder.name) and p.is_file():
                    yield p.name, p.stat().st_size

    def read(self, sha256: str) -> Iterator[bytes]:
        with blob_path(self.store, sha256).open("rb") as f:
            while chunk := f.read(CHUNK):
                yield chunk

    def put_bytes(self, sha256: str, size: int, chunks: Iterable[bytes]) -> bool:
        """Store another store's file, known by its hash; False if it was here already."""
        if check_blob(self.store, sha256, size) is None:
            return False
        return self._write(chunks, expect=sha256)[2]

    def discard(self, blob: StoredBlob) -> None:
        if blob.created:
            blob_path(self.store, blob.sha256).unlink(missing_ok=True)

    def check(self, sha256: str, size: int) -> str | None:
        return check_blob(self.store, sha256, size)

    def _incoming(self) -> Iterator[Path]:
        now = time.time()
        try:
            entries = list(self.folder.iterdir())
        except (FileNotFoundError, NotADirectoryError):
            return
        for p in entries:
            if p.name.startswith(_INCOMING):
                try:
                    if now - p.lstat().st_mtime > STALE_AFTER:
                        yield p
                except FileNotFoundError:
                    continue

    def stale(self) -> list[str]:
        return sorted(str(p.relative_to(self.store)) for p in self._incoming())

    def remove_stale(self) -> None:
        """Remove what killed attaches left (an attach writing now touches its file often)."""
        for p in self._incoming():
            p.unlink(missing_ok=True)


def check_blob(store: Path, sha256: str, size: int) -> str | None:
    """None if the stored file is present and unchanged, else what is wrong."""
    path = blob_path(store, sha256)
    try:
        data_hash = hashlib.sha256()
        n = 0
        with path.open("rb") as f:
            while chunk := f.read(CHUNK):
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


def store_file(store: Path, source: Path) -> StoredBlob:
    """Copy a file into a file store's ``attachments/`` (see :class:`FileAttachments`)."""
    return FileAttachments(store).put(source)


# -- SQLite and PostgreSQL ---------------------------------------------------------------


class DatabaseAttachments:
    """Attachments in the shared database: every desk stores and checks the same ones."""

    def __init__(self, store: Path, db: SharedDb, limit: int = DEFAULT_MAX_MB << 20) -> None:
        self.db = db
        self.limit = limit
        self.local = FileAttachments(store, limit)  # an earlier version kept them here

    def _ready(self) -> None:
        self.db.ensure("complaintctl_attachment_chunks", _DDL)

    def _recorded(self, sha256: str) -> tuple[int, int] | None:
        rows = self.db.run(
            "SELECT size, chunks FROM {t:complaintctl_attachments} WHERE sha256 = ?", (sha256,)
        )
        return (int(rows[0]["size"]), int(rows[0]["chunks"])) if rows else None

    def put(self, source: Path) -> StoredBlob:
        """Hash the file, then (unless stored already) write it in one transaction.

        Two reads of the file rather than one of memory: the chunks are keyed by
        the hash, known only at the end. The second read is hashed again; a file
        changed in between is refused and nothing is written.
        """
        with _open_regular(source, self.limit) as src:
            self.local.remove_stale()
            digest = hashlib.sha256()
            size = 0
            for chunk in _chunks(src, source, self.limit):
                digest.update(chunk)
                size += len(chunk)
            sha = digest.hexdigest()
            self._ready()
            created = False
            if self._recorded(sha) is None:
                src.seek(0)
                created = self._write(_chunks(src, source, self.limit), str(source), sha, size)
        return StoredBlob(source.name, size, _media_type(source), sha, created)

    def _write(self, chunks: Iterable[bytes], source: str, sha: str, size: int) -> bool:
        insert = self.db.sql(
            "INSERT INTO {t:complaintctl_attachment_chunks} (sha256, n, content) "
            "VALUES (?, ?, ?) ON CONFLICT DO NOTHING"
        )
        again = hashlib.sha256()
        n = 0
        with self.db.transaction() as c:
            for n, chunk in enumerate(chunks, start=1):
                again.update(chunk)
                c.execute(insert, (sha, n - 1, chunk))
            if again.hexdigest() != sha:
                raise UsageProblem(
                    _("{file}: the file changed while it was attached; try again").format(
                        file=source
                    )
                )
            c.execute(
                self.db.sql(
                    "INSERT INTO {t:complaintctl_attachments} (sha256, size, chunks) "
                    "VALUES (?, ?, ?) ON CONFLICT DO NOTHING"
                ),
                (sha, size, n),
            )
            return bool(c.rowcount > 0)  # 0: another desk stored the same bytes just now

    def discard(self, blob: StoredBlob) -> None:
        if not blob.created:
            return
        with self.db.transaction() as c:
            for table in ("complaintctl_attachments", "complaintctl_attachment_chunks"):
                c.execute(
                    self.db.sql("DELETE FROM {t:" + table + "} WHERE sha256 = ?"), (blob.sha256,)
                )

    def check(self, sha256: str, size: int) -> str | None:
        """Read the chunks back one by one and hash them.

        A file an earlier version kept in ``<store>/attachments/`` on this desk
        is checked there and, if intact, stored in the database (so every desk
        sees it from then on).
        """
        if not self.db.has_table("complaintctl_attachment_chunks"):
            recorded = None
        else:
            recorded = self._recorded(sha256)
        if recorded is None:
            if self.local.check(sha256, size) is not None:
                return "missing"
            path = blob_path(self.local.store, sha256)
            self._ready()
            with path.open("rb") as f:
                self._write(_chunks(f, path, max(size, self.limit)), str(path), sha256, size)
            return None
        stored_size, chunks = recorded
        digest = hashlib.sha256()
        n = 0
        # CAST: a row edited into text (SQLite) reads as its bytes, and fails the hash.
        query = (
            "SELECT CAST(content AS {blob}) AS content FROM {t:complaintctl_attachment_chunks} "
            "WHERE sha256 = ? AND n = ?"
        )
        for i in range(chunks):
            rows = self.db.run(query, (sha256, i))
            if not rows:
                return f"changed (part {i + 1} of {chunks} is missing)"
            data = bytes(rows[0]["content"])
            digest.update(data)
            n += len(data)
        if digest.hexdigest() != sha256:
            return "changed (hash differs)"
        if n != size or stored_size != size:
            return f"changed (size {n}, recorded {size})"
        return None

    def stale(self) -> list[str]:
        return self.local.stale()

    def listing(self) -> Iterator[tuple[str, int]]:
        """Every stored file as (hash, size), with any an earlier version kept on this desk."""
        seen: set[str] = set()
        if self.db.has_table("complaintctl_attachments"):
            query = "SELECT sha256, size FROM {t:complaintctl_attachments} ORDER BY sha256"
            for row in self.db.run(query):
                seen.add(str(row["sha256"]))
                yield str(row["sha256"]), int(row["size"])
        for sha, size in self.local.listing():
            if sha not in seen:
                yield sha, size

    def read(self, sha256: str) -> Iterator[bytes]:
        """The stored bytes, one chunk (one query) at a time."""
        recorded = self._recorded(sha256) if self.db.has_table("complaintctl_attachments") else None
        if recorded is None:
            yield from self.local.read(sha256)
            return
        query = (
            "SELECT CAST(content AS {blob}) AS content FROM {t:complaintctl_attachment_chunks} "
            "WHERE sha256 = ? AND n = ?"
        )
        for i in range(recorded[1]):
            rows = self.db.run(query, (sha256, i))
            if not rows:
                raise ValueError(f"attachment {sha256}: part {i + 1} is missing")
            yield bytes(rows[0]["content"])

    def put_bytes(self, sha256: str, size: int, chunks: Iterable[bytes]) -> bool:
        """Store another store's file, known by its hash; False if it was here already."""
        self._ready()
        if self._recorded(sha256) is not None:
            return False
        return self._write(chunks, f"attachment {sha256}", sha256, size)


def copy_attachments(
    store: Path, source_env: Mapping[str, str], target: Path, target_env: Mapping[str, str]
) -> int:
    """Copy every attached file into the target of ``migrate``; how many were new there.

    Each file is read and written a chunk at a time and its hash checked on the
    way in, so a damaged source file is not carried over silently.
    """
    src, dst = _for_env(store, source_env), _for_env(target, target_env)
    try:
        return sum(dst.put_bytes(sha, size, src.read(sha)) for sha, size in src.listing())
    finally:
        for side in (src, dst):
            if isinstance(side, DatabaseAttachments):
                side.db.close()


def _for_env(store: Path, env: Mapping[str, str]) -> FileAttachments | DatabaseAttachments:
    db = SharedDb.for_env(env)
    return FileAttachments(store) if db is None else DatabaseAttachments(store, db)
