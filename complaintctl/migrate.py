"""Copy a store to another backend, resumably, and prove the copy.

The copy goes through the library's recorders only, so any pair of backends
works (file, SQLite, PostgreSQL). Each page of events is written to the
target together with a tracking record naming the last source position it
holds (``ProcessRecorder.insert_events(..., tracking=...)``), atomically: a
migration killed halfway is resumed from that record, with no duplicates.

The proof (``docs/migrate.md`` says how to recompute it) compares the number
of events, each aggregate's event count and last version, and a SHA-256
digest over every event in order, computed the same way on both sides.
"""

from __future__ import annotations

import hashlib
import os
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote, urlparse
from uuid import UUID

from eventsourcing.persistence import (
    ApplicationRecorder,
    InfrastructureFactory,
    IntegrityError,
    Notification,
    ProcessRecorder,
    StoredEvent,
    Tracking,
)
from eventsourcing.utils import Environment

from complaintctl.config import SSLMODES
from complaintctl.i18n import _

APP_NAME = "Complaints"
TRACKING_NAME = "complaintctl-migrate"
PAGE = 1000

Progress = Callable[[int], None]


class MigrationError(Exception):
    """The migration cannot start or its proof failed."""


class TargetNotEmptyError(MigrationError):
    """The target already holds events that are not from an earlier run of this migration."""


@dataclass
class StoreDigest:
    """What the proof compares: counts, per-aggregate versions, one digest."""

    events: int = 0
    digest: str = ""
    versions: dict[str, tuple[int, int]] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {"events": self.events, "aggregates": len(self.versions), "digest": self.digest}


@dataclass
class MigrationReport:
    copied: int
    resumed_from: int | None
    source: StoreDigest
    target: StoreDigest
    snapshots: int = 0

    @property
    def ok(self) -> bool:
        return (
            self.source.events == self.target.events
            and self.source.digest == self.target.digest
            and self.source.versions == self.target.versions
        )

    def problems(self) -> list[str]:
        out = []
        if self.source.events != self.target.events:
            out.append(f"event count differs: {self.source.events} != {self.target.events}")
        if self.source.versions != self.target.versions:
            differing = sorted(
                k
                for k in self.source.versions.keys() | self.target.versions.keys()
                if self.source.versions.get(k) != self.target.versions.get(k)
            )
            out.append(f"versions differ for {len(differing)} aggregate(s), e.g. {differing[0]}")
        if self.source.digest != self.target.digest:
            out.append("digest differs")
        return out

    def to_dict(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "copied": self.copied,
            "resumed_from": self.resumed_from,
            "source": self.source.to_dict(),
            "target": self.target.to_dict(),
            "problems": self.problems(),
            "snapshots": self.snapshots,
        }


def target_settings(backend: str, target: str) -> dict[str, Any]:
    """Turn ``--target`` (a directory, a database file or a PostgreSQL URL) into settings."""
    if backend == "file":
        return {"path": str(Path(target))}
    if backend == "sqlite":
        return {"sqlite_dbname": str(Path(target))}
    if backend == "postgres":
        url = urlparse(target)
        if url.scheme not in ("postgres", "postgresql"):
            raise ValueError(_("a PostgreSQL target is a URL: postgresql://USER@HOST:PORT/DBNAME"))
        if not url.path.strip("/"):
            raise ValueError(_("the PostgreSQL URL names no database (postgresql://HOST/DBNAME)"))
        settings: dict[str, Any] = {"dbname": unquote(url.path.strip("/"))}
        if url.hostname:
            settings["host"] = url.hostname
        if url.port:
            settings["port"] = url.port
        if url.username:
            settings["user"] = unquote(url.username)
        if url.password:
            settings["password"] = unquote(url.password)
        query = parse_qs(url.query)
        for key in ("schema", "sslmode"):
            if query.get(key):
                settings[key] = query[key][0]
        if settings.get("sslmode", "disable") not in SSLMODES:
            raise ValueError(
                _("sslmode must be one of: {values}").format(values=", ".join(SSLMODES))
            )
        return settings
    raise ValueError(
        _("unknown backend {backend}: use file, sqlite or postgres").format(backend=repr(backend))
    )


def redact_url(target: str) -> str:
    """The target as it may be printed: never with its password."""
    try:
        url = urlparse(target)
        url.password  # noqa: B018  (parses the netloc: raises on "[::1" and the like)
    except ValueError:
        # Not a URL urllib can read, but maybe still USER:PASSWORD@ inside.
        return re.sub(r"(://[^/@]*?:)[^/@]*@", r"\1***@", target)
    if url.password:
        netloc = url.netloc.replace(f":{url.password}@", ":***@")
        return url._replace(netloc=netloc).geturl()
    return target


def construct_factory(env: dict[str, str]) -> InfrastructureFactory[Any]:
    """The library's factory for a persistence env, named as the application is.

    Like the application, it reads the library's own variables from the
    process environment unless the env given overrides them.
    """
    merged = {**os.environ, **env}
    if merged.get("PERSISTENCE_MODULE") in ("complaintctl.postgres", "eventsourcing.postgres"):
        merged.setdefault("POSTGRES_PASSWORD", "")  # trust or peer authentication
    return InfrastructureFactory.construct(Environment(APP_NAME, merged))


def iter_notifications(
    recorder: ApplicationRecorder, after: int | None = None, page: int = PAGE
) -> Iterator[list[Notification]]:
    """Pages of notifications in order (ids may have gaps on PostgreSQL)."""
    start = after
    while True:
        batch = list(
            recorder.select_notifications(
                start=start or 0, limit=page, inclusive_of_start=start is None
            )
        )
        if not batch:
            return
        yield batch
        start = batch[-1].id
        if len(batch) < page:
            return


def digest_store(recorder: ApplicationRecorder, progress: Progress | None = None) -> StoreDigest:
    """Count and digest every event in order (see docs/migrate.md).

    The per-event work is kept small (a million events are digested on both
    sides of every migration): each aggregate id and topic is encoded once.
    """
    h = hashlib.sha256()
    update = h.update
    result = StoreDigest()
    ids: dict[Any, bytes] = {}  # aggregate id -> its length-prefixed text
    topics: dict[str, bytes] = {}
    versions: dict[Any, list[int]] = {}
    for batch in iter_notifications(recorder):
        for n in batch:
            oid = n.originator_id
            prefix = ids.get(oid)
            if prefix is None:
                text = str(oid).encode()
                prefix = ids[oid] = _len8(len(text)) + text
            topic = topics.get(n.topic)
            if topic is None:
                t = n.topic.encode()
                topic = topics[n.topic] = _len8(len(t)) + t
            v = str(n.originator_version).encode()
            update(prefix + _len8(len(v)) + v + topic + _len8(len(n.state)) + n.state)
            seen = versions.get(oid)
            if seen is None:
                versions[oid] = [1, n.originator_version]
            else:
                seen[0] += 1
                seen[1] = n.originator_version
        result.events += len(batch)
        if progress:
            progress(len(batch))
    result.digest = h.hexdigest()
    result.versions = {str(k): (v[0], v[1]) for k, v in versions.items()}
    return result


def _len8(n: int) -> bytes:
    return n.to_bytes(8, "big")


def event_digest_input(originator_id: str, version: int, topic: str, state: bytes) -> bytes:
    """One event's contribution to the digest: four fields, length-prefixed."""
    parts = [originator_id.encode(), str(version).encode(), topic.encode(), state]
    return b"".join(len(p).to_bytes(8, "big") + p for p in parts)


def migrate(
    source_env: dict[str, str],
    target_env: dict[str, str],
    *,
    page: int = PAGE,
    progress: Progress | None = None,
) -> MigrationReport:
    """Copy every event from source to target in order, then prove the copy."""
    source_factory = construct_factory(source_env)
    target_factory = construct_factory(target_env)
    try:
        source = source_factory.application_recorder()
        target = target_factory.process_recorder()
        assert isinstance(target, ProcessRecorder)
        done = target.max_tracking_id(TRACKING_NAME)
        if done is None and target.max_notification_id() is not None:
            raise TargetNotEmptyError(
                "the target already holds events; migrate copies into an empty store "
                "(or resumes its own unfinished copy)"
            )
        copied = 0
        for batch in iter_notifications(source, after=done, page=page):
            events = [
                StoredEvent(n.originator_id, n.originator_version, n.topic, n.state) for n in batch
            ]
            try:
                target.insert_events(events, tracking=Tracking(TRACKING_NAME, batch[-1].id))
            except IntegrityError:
                # A rerun after a desk wrote to the target: its events and ours collide.
                raise TargetNotEmptyError(
                    "the target was written to since the earlier copy (a desk works on it "
                    "already): this copy cannot be resumed there; migrate into an empty store, "
                    "or keep working on the target"
                ) from None
            copied += len(batch)
            if progress:
                progress(len(batch))
        report = MigrationReport(
            copied=copied,
            resumed_from=done,
            source=digest_store(source),
            target=digest_store(target),
        )
        if report.ok:
            report.snapshots = copy_snapshots(source_factory, target_factory, report.target)
        return report
    finally:
        source_factory.close()
        target_factory.close()


def copy_snapshots(
    source: InfrastructureFactory[Any], target: InfrastructureFactory[Any], copied: StoreDigest
) -> int:
    """Copy each aggregate's latest snapshot, so the target does not start by replaying.

    Only an aggregate with at least ``snapshot_every`` versions can have one,
    so a store of a million short cases asks about a few long ones (a year's
    counter, a busy customer). A snapshot beyond what was copied (the source
    moved on meanwhile) or already in the target is left; returns how many
    were copied.
    """
    from events.casestore import CaseStore

    every = CaseStore.snapshot_every
    src = source.aggregate_recorder("snapshots")
    dst = target.aggregate_recorder("snapshots")
    n = 0
    for oid, (_count, last) in copied.versions.items():
        if last < every:
            continue
        uid = _originator(oid)
        latest = src.select_events(uid, desc=True, limit=1)
        if not latest or latest[0].originator_version > last:
            continue
        version = latest[0].originator_version
        if dst.select_events(uid, gt=version - 1, limit=1):
            continue
        dst.insert_events([latest[0]])
        n += 1
    return n


def _originator(oid: str) -> UUID | str:
    try:
        return UUID(oid)
    except ValueError:
        return oid


class BadTarget(ValueError):
    """``--target`` cannot be a store of ``--to`` (or is the store itself): bad usage."""


class TargetUnreachable(MigrationError):
    """The target cannot be opened or reached (a server down, no permission)."""


def _location(env: dict[str, str]) -> dict[str, str]:
    """Where an env points, without tuning (a lock timeout) that does not change the store."""
    tuning = ("FILESTORE_LOCK_TIMEOUT", "CIPHER_TOPIC", "CIPHER_KEY")  # the cipher: how, not where
    return {k: v for k, v in env.items() if k not in tuning}


def _may_be_sqlite(path: Path) -> bool:
    """A new or empty file, or one with SQLite's header (a text file is not a target)."""
    try:
        with open(path, "rb") as f:
            head = f.read(16)
    except (FileNotFoundError, IsADirectoryError):
        return True  # created, or refused by the library (exit 7)
    except OSError:
        return True  # let the library say why it cannot open it
    return head in (b"", b"SQLite format 3\x00")


def target_env(
    to: str, target: str, store: Path, source_env: dict[str, str]
) -> tuple[dict[str, str], Path]:
    """The environment of ``--to``/``--target`` and the target's directory (for its keys);
    BadTarget for a target that cannot be one."""
    from complaintctl.app import persistence_env

    try:
        settings = target_settings(to, target)
    except ValueError as e:
        raise BadTarget(f"--target: {e}") from None  # e: in the display language
    if to == "sqlite" and not _may_be_sqlite(Path(settings["sqlite_dbname"])):
        raise BadTarget(_("--target: {target} is not a SQLite database").format(target=target))
    path = Path(settings.get("path", store))
    env = persistence_env(path, to, settings, environ={})
    if _location(env) == _location(source_env):
        raise BadTarget(_("--target is the current store"))
    return env, path


def migrate_store(
    store: Path,
    source_env: dict[str, str],
    to: str,
    target: str,
    *,
    progress: Progress | None = None,
) -> dict[str, Any]:
    """``migrate``: copy, prove, and copy the customers' keys; the JSON result.

    Raises BadTarget, TargetNotEmptyError or TargetUnreachable;
    a copy that does not match is reported (``ok`` false), for the caller to fail on.
    """
    env, target_path = target_env(to, target, store, source_env)
    shown = redact_url(target)
    try:
        report = migrate(source_env, env, progress=progress)
    except OSError as e:
        raise TargetUnreachable(f"cannot reach the target {shown}: {e}") from None
    result: dict[str, Any] = {"to": to, "target": shown, **report.to_dict()}
    if report.ok:  # sealed fields need their keys; attached files are part of the cases
        from complaintctl.attachments import copy_attachments
        from complaintctl.keyring import copy_keys

        try:
            result["keys"] = copy_keys(store, source_env, target_path, env)
            result["attachments"] = copy_attachments(store, source_env, target_path, env)
        except OSError as e:
            raise TargetUnreachable(f"cannot reach the target {shown}: {e}") from None
    return result
