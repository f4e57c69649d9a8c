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

from eventsourcing.utils import Environment

from projections.source import Checkpoint, Event, EventSource, SourceMoved, recorded_at

if TYPE_CHECKING:
    from eventsourcing.application import Application
    from eventsourcing.persistence import Cipher, Compressor

    from complaintctl.filestore import Cursor
    from complaintctl.filestore.log import Log
    from projections.source import RecorderSource

# Imported where they are used: a read on another backend does without the file
# store's modules, a rebuild's helper process (which unpickles a FileSource)
# without the write model's, and a read of the plain file store without the
# library's persistence module (``eventsourcing.utils`` is light).

#: The write application's name (``ComplaintsApp.name``), which prefixes the library's
#: variables; written out so that opening a source never loads the write model.
APP_NAME = "Complaints"
#: The library's variables (``InfrastructureFactory``'s names; a test keeps them equal):
#: written out, so that telling a plain file store needs no persistence module.
PERSISTENCE_MODULE = "PERSISTENCE_MODULE"
#: The variables that make payloads other than plain JSON: a cipher, its key, a compressor.
PAYLOAD_CODECS = ("CIPHER_TOPIC", "CIPHER_KEY", "COMPRESSOR_TOPIC")


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
    from eventsourcing.persistence import InfrastructureFactory

    from projections.source import RecorderSource

    if backend == "file":
        import complaintctl.filestore.recorders  # noqa: F401  (the library finds the factory)
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
    if env.get(PERSISTENCE_MODULE) != FILE_MODULE:
        return False
    return not any(env.get(k) for k in PAYLOAD_CODECS)


def app_source(app: Application[Any]) -> RecorderSource:
    """A source over an open application's own recorder (closed with the application)."""
    from projections.source import RecorderSource

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

    One aggregate's events (``aggregate``) come through the index, from the
    store's :class:`~complaintctl.filestore.log.Log` opened on first use (its
    ``read_events``: the library's recorder classes are not needed to read).
    Pickled for a helper process of a parallel rebuild, it keeps only what
    reading needs.
    """

    kind = "file"

    def __init__(self, path: Path, env: Mapping[str, str]) -> None:
        from complaintctl.filestore.reader import LogReader

        self.reader = LogReader(path)
        self._env = dict(env)
        self._log: Log | None = None

    def __getstate__(self) -> dict[str, Any]:
        return {"reader": self.reader, "_env": self._env, "_log": None}

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
        from complaintctl.filestore import errors

        try:
            for batch, after in self.reader.read(_cursor(cp), upto):
                yield batch, _checkpoint(after)
        except errors.PayloadNotJSON as e:
            raise SourceMoved(str(e)) from None

    def read_part(self, end: Checkpoint, part: int, parts: int) -> Iterator[list[Event]]:
        from complaintctl.filestore import errors

        try:
            yield from self.reader.read_part(_cursor(end), part, parts)
        except errors.PayloadNotJSON as e:
            raise SourceMoved(str(e)) from None

    def aggregate(self, originator_id: UUID) -> Iterator[Event]:
        """As :meth:`RecorderSource.aggregate`, through the log's index (the same checks
        of every line against its row as the library's recorder makes)."""
        import orjson

        if self._log is None:
            self._log = open_log(self._env)
        oid = str(originator_id)
        for version, topic, state in self._log.read_events(originator_id):
            try:
                data: dict[str, Any] = orjson.loads(state)
            except ValueError as e:
                from projections.damage import LogDamaged

                raise LogDamaged(f"an event's payload cannot be read ({e})") from None
            yield {
                "originator_id": oid,
                "version": version,
                "topic": topic,
                "data": data,
                "recorded_at": recorded_at(data),
            }

    def close(self) -> None:
        if self._log is not None:
            self._log.close()
            self._log = None


def open_log(env: Mapping[str, str]) -> Log:
    """The events log of a file store, opened as the library's factory opens it for its
    recorder (the same variables: :class:`~complaintctl.filestore.log.LogOptions`)."""
    from complaintctl.filestore.options import LogOptions

    return LogOptions.of(Environment(APP_NAME, env)).open("events")
