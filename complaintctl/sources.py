"""The read side's event source for a store, built here at the edge and handed in.

``projections`` reads through :class:`projections.source.EventSource` and
knows no backend. This module picks the source for the configured store:

- the plain-file store without encryption: :class:`FileSource`, over the
  store's own fast reader (:class:`complaintctl.filestore.LogReader`);
- anything else: :class:`projections.source.RecorderSource` over an
  application recorder made here from the same persistence environment as
  the write application (not the write application's own), decrypting and
  decompressing payloads with the library's cipher and compressor when the
  environment configures them.

A command that has the write application open anyway (a writing command
printing the case it wrote, ``show``) reads one case through
:func:`app_source`, over that application's recorder: no second recorder
to open for a handful of reads.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator, Mapping
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any
from uuid import UUID

from eventsourcing.persistence import Cipher, Compressor, InfrastructureFactory
from eventsourcing.utils import Environment

from projections.source import Checkpoint, Event, EventSource, RecorderSource, SourceMoved

if TYPE_CHECKING:
    from eventsourcing.application import Application

    from complaintctl.filestore import Cursor

# Imported where they are used: a read on another backend does without the file
# store's modules, and a rebuild's helper process (which unpickles a FileSource)
# without the write model's.

#: The write application's name (``ComplaintsApp.name``), which prefixes the library's
#: variables; written out so that opening a source never loads the write model.
APP_NAME = "Complaints"


def open_source(
    store: Path,
    *,
    backend: str = "file",
    settings: Mapping[str, Any] | None = None,
    key_file: Path | None = None,
) -> EventSource:
    """The event source of a store (open the write application first: it makes the tables)."""
    from complaintctl.app import persistence_env

    env = persistence_env(store, backend, dict(settings or {}), key_file=key_file)
    environment = Environment(APP_NAME, {**os.environ, **env})
    if backend == "file" and plain_file(environment):
        return FileSource(store / "events.jsonl", env)
    if backend == "postgres":
        # Concurrent CREATE TABLE IF NOT EXISTS can collide in the catalogue; the
        # write application, opened first, made the tables (and retries on that).
        environment["CREATE_TABLE"] = "no"
    factory = InfrastructureFactory.construct(environment)
    try:
        recorder = factory.application_recorder()
    except BaseException:
        factory.close()
        raise
    return RecorderSource(
        recorder,
        _decoder(factory.cipher(), factory.compressor()),
        factory.close,
        database=database_name(environment),
    )


def database_name(environment: Mapping[str, Any]) -> str:
    """Which database a store's events are in: the SQLite file, or PostgreSQL's
    host, port, database and schema (recorded by the read-model cache)."""
    module = str(environment.get("PERSISTENCE_MODULE") or "")
    if module.endswith("sqlite"):
        return f"sqlite:{os.path.realpath(str(environment.get('SQLITE_DBNAME') or ''))}"
    if module.endswith("postgres"):
        parts = [str(environment.get(f"POSTGRES_{k}") or "") for k in
                 ("HOST", "PORT", "DBNAME", "SCHEMA")]  # fmt: skip
        return "postgres:" + "/".join(parts)
    return module


def plain_file(environment: Mapping[str, str]) -> bool:
    """Whether the library's environment reads the file store's payloads as plain JSON:
    our persistence module (the library's prefixed variables can name another) and
    no cipher or compressor."""
    from complaintctl.app import FILE_MODULE

    env = (
        environment if isinstance(environment, Environment) else Environment(APP_NAME, environment)
    )
    if env.get(InfrastructureFactory.PERSISTENCE_MODULE) != FILE_MODULE:
        return False
    return not any(
        env.get(k)
        for k in (
            InfrastructureFactory.CIPHER_TOPIC,
            "CIPHER_KEY",
            InfrastructureFactory.COMPRESSOR_TOPIC,
        )
    )


def app_source(app: Application[Any]) -> RecorderSource:
    """A source over an open application's own recorder (closed with the application)."""
    decode = _decoder(app.mapper.cipher, app.mapper.compressor)
    return RecorderSource(app.recorder, decode, database=database_name(app.env))


def _decoder(
    cipher: Cipher | None, compressor: Compressor | None
) -> Callable[[bytes], bytes] | None:
    """Stored payload to JSON: decrypt, then decompress (None when payloads are plain JSON)."""
    if cipher is None and compressor is None:
        return None

    def decode(state: bytes) -> bytes:
        if cipher is not None:
            state = cipher.decrypt(state)
        if compressor is not None:
            state = compressor.decompress(state)
        return state

    return decode


def _cursor(cp: Checkpoint) -> Cursor:
    from complaintctl.filestore import Cursor

    return Cursor(cp.position, cp.offset, cp.last_line_start, cp.last_hash)


def _checkpoint(c: Cursor) -> Checkpoint:
    return Checkpoint(c.position, c.offset, c.last_line_start, c.last_hash)


class FileSource:
    """The plain-file store's ``events.jsonl``, read by the store's own reader (a PartedSource).

    One aggregate's events (``aggregate``) come through the index, from a
    recorder opened on first use. Pickled for a helper process of a
    parallel rebuild, it keeps only what reading needs.
    """

    kind = "file"

    def __init__(self, path: Path, env: Mapping[str, str]) -> None:
        from complaintctl.filestore import LogReader

        self.reader = LogReader(path)
        self._env = dict(env)
        self._recorded: RecorderSource | None = None

    def __getstate__(self) -> dict[str, Any]:
        return {"reader": self.reader, "_env": self._env, "_recorded": None}

    def identity(self) -> str:
        return self.reader.identity()

    def check(self, cp: Checkpoint) -> None:
        reason = self.reader.moved(_cursor(cp))
        if reason is not None:
            raise SourceMoved(reason)

    def last_position(self) -> int:
        return self.reader.end().position

    def end(self) -> Checkpoint:
        return _checkpoint(self.reader.end())

    def head_at(self, at: datetime) -> dict[str, int | str | None]:
        """The last committed line recorded by ``at`` (a binary search over the file)."""
        from complaintctl.filehead import head_at

        return head_at(self.reader.path, at)

    def read(
        self, cp: Checkpoint, upto: int | None = None, topics: frozenset[str] | None = None
    ) -> Iterator[tuple[list[Event], Checkpoint]]:
        from complaintctl.filestore import PayloadNotJSON

        try:
            for batch, after in self.reader.read(_cursor(cp), upto):
                yield batch, _checkpoint(after)
        except PayloadNotJSON as e:
            raise SourceMoved(str(e)) from None

    def read_part(self, end: Checkpoint, part: int, parts: int) -> Iterator[list[Event]]:
        from complaintctl.filestore import PayloadNotJSON

        try:
            yield from self.reader.read_part(_cursor(end), part, parts)
        except PayloadNotJSON as e:
            raise SourceMoved(str(e)) from None

    def aggregate(self, originator_id: UUID) -> Iterator[Event]:
        if self._recorded is None:
            from complaintctl.filestore import FileInfrastructureFactory

            factory = FileInfrastructureFactory(self._env)
            self._recorded = RecorderSource(factory.application_recorder(), None, factory.close)
        return self._recorded.aggregate(originator_id)

    def close(self) -> None:
        if self._recorded is not None:
            self._recorded.close()
            self._recorded = None
