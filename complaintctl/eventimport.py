"""Importing the events that ``export --what events`` (or ``log``) wrote: a store again.

A cases export is a snapshot of each case's state and cannot give back its
history; the events export can. Each line names its event (``topic``), its
aggregate (``originator_id``) and its number there (``version``), its own
time (``occurred_at``), when it was recorded, and its payload with values as
text. This module turns a line back into the event the write model made
(each value restored to the type the event class declares: times, amounts,
ids) and saves it through the store's own mapper, so a store that seals
personal fields seals them under its own keys. Positions and hashes are the
new store's own; the rest is the same, so the cases, their histories and
``log`` (by business time) answer as in the source.

Importing the same export again writes nothing: an event already in the
store (same aggregate, version, topic and time) is recognised; any other
event at that place is a conflict and nothing is written (an events export
goes into an empty store, or into one that holds a part of the same export).

The export does not carry attached files, only their names and hashes:
``import --attachments DIR`` copies them from the source's folder (checked
against their hashes, into any backend); the result lists those still
missing, and ``verify`` fails until they are there.
"""

from __future__ import annotations

import sys
import typing
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from functools import cache
from types import NoneType, UnionType
from typing import TYPE_CHECKING, Any
from uuid import UUID

import orjson

if TYPE_CHECKING:
    from pathlib import Path

    from eventsourcing.domain import DomainEventProtocol
    from eventsourcing.persistence import StoredEvent

    from complaintctl.attachments import Attachments
    from events.application import ComplaintsApp

#: What marks a line as an event of ``export --what events``/``log`` (not a case to receive).
EVENT_KEYS = ("topic", "originator_id", "version", "occurred_at", "data")
#: The keys ``projections.audit.entry`` leaves out of ``data`` (given beside it, or implied).
_HIDDEN = ("timestamp", "originator_topic", "recorded_at")
#: An evidence file attached: the export names it (hash, size), it does not carry the file.
ATTACHED = "complaints:Attached"


class EventImportError(Exception):
    """The events cannot be imported as a whole (bad lines); nothing was written."""


class EventImportConflict(EventImportError):
    """The store holds other events where the file's belong; nothing was written."""


@dataclass(frozen=True)
class EventLine:
    """One event of the file, checked, with where it came from."""

    line: int
    topic: str
    originator_id: UUID
    version: int
    occurred_at: datetime
    recorded_at: datetime | None
    ref: str | None
    data: dict[str, Any]


def looks_like_events(text: str) -> bool:
    """Whether a JSON Lines or JSON text is an events export (its first object says so)."""
    first = _first_object(text)
    return first is not None and all(k in first for k in ("topic", "originator_id", "version"))


def _first_object(text: str) -> dict[str, Any] | None:
    stripped = text.lstrip()
    if stripped.startswith("["):
        try:
            items = orjson.loads(stripped)
        except orjson.JSONDecodeError:
            return None
        return items[0] if isinstance(items, list) and items and type(items[0]) is dict else None
    for raw in stripped.splitlines():
        if raw.strip():
            try:
                obj = orjson.loads(raw)
            except orjson.JSONDecodeError:
                return None
            return obj if type(obj) is dict else None
    return None


def _objects(text: str) -> Iterator[tuple[int, Any]]:
    """The file's objects with their line numbers (a JSON array: its item numbers)."""
    stripped = text.lstrip()
    if stripped.startswith("["):
        try:
            items = orjson.loads(stripped)
        except orjson.JSONDecodeError as e:
            raise EventImportError(f"not JSON ({e.msg})") from None
        yield from enumerate(items if isinstance(items, list) else [items], 1)
        return
    for line, raw in enumerate(text.splitlines(), 1):
        if not raw.strip():
            continue
        try:
            yield line, orjson.loads(raw)
        except orjson.JSONDecodeError as e:
            yield line, ValueError(f"not JSON ({e.msg})")


def _time(value: Any, what: str) -> datetime:
    if not isinstance(value, str):
        raise ValueError(f"{what}: expected an ISO time")
    try:
        at = datetime.fromisoformat(value)
    except ValueError:
        raise ValueError(f"{what}: {value!r} is not an ISO time") from None
    if at.tzinfo is None:
        raise ValueError(f"{what}: {value!r} has no time zone")
    return at


def parse_events(text: str) -> list[EventLine]:
    """Every line checked; EventImportError names each bad one (nothing is written here)."""
    out: list[EventLine] = []
    problems: list[str] = []
    seen: dict[tuple[UUID, int], int] = {}
    for line, obj in _objects(text):
        try:
            if isinstance(obj, ValueError):
                raise obj
            if type(obj) is not dict:
                raise ValueError("not a JSON object")
            if "head" in obj and len(obj) == 1:
                continue  # `log --head`'s last line: the source's head, not an event
            missing = [k for k in EVENT_KEYS if k not in obj]
            if missing:
                raise ValueError(f"not an event: no {', '.join(missing)}")
            topic, data, version = obj["topic"], obj["data"], obj["version"]
            if not isinstance(topic, str) or _event_class(topic) is None:
                raise ValueError(f"unknown event topic {topic!r}")
            if type(data) is not dict:
                raise ValueError("data: expected an object")
            if type(version) is not int or version < 1:
                raise ValueError(f"version: {version!r} is not a number from 1")
            try:
                oid = UUID(str(obj["originator_id"]))
            except ValueError:
                raise ValueError(f"originator_id: {obj['originator_id']!r} is not a UUID") from None
            recorded = obj.get("recorded_at")
            event = EventLine(
                line=line,
                topic=topic,
                originator_id=oid,
                version=version,
                occurred_at=_time(obj["occurred_at"], "occurred_at"),
                recorded_at=_time(recorded, "recorded_at") if recorded else None,
                ref=obj.get("ref") if isinstance(obj.get("ref"), str) else None,
                data=data,
            )
            if (oid, version) in seen:
                raise ValueError(f"version {version} of {oid} again (line {seen[oid, version]})")
            seen[oid, version] = line
            to_event(event)  # every value restorable, before anything is written
        except ValueError as e:
            problems.append(f"line {line}: {e}")
            continue
        out.append(event)
    if problems:
        shown = "; ".join(problems[:5]) + (
            f"; and {len(problems) - 5} more" if len(problems) > 5 else ""
        )
        raise EventImportError(f"{len(problems)} bad line(s), nothing imported: {shown}")
    if not out:
        raise EventImportError("no events in the file")
    return out


@cache
def _event_class(topic: str) -> type[Any] | None:
    """The write model's class of an event topic (None: not one of ours)."""
    from eventsourcing.domain import DomainEvent
    from eventsourcing.utils import TopicError, resolve_topic

    import events.application  # noqa: F401  (registers every aggregate's topics)

    try:
        cls = resolve_topic(topic)
    except (TopicError, ImportError, AttributeError, ValueError):
        return None
    return cls if isinstance(cls, type) and issubclass(cls, DomainEvent) else None


_hints_of: dict[type[Any], dict[str, Any]] = {}


def _hints(cls: type[Any]) -> dict[str, Any]:
    hints = _hints_of.get(cls)
    if hints is None:
        hints = _hints_of[cls] = typing.get_type_hints(cls)
    return hints


def _aggregate_topic(cls: type[Any]) -> str | None:
    """The topic of the aggregate an aggregate-creating event class belongs to."""
    from eventsourcing.domain import CanInitAggregate
    from eventsourcing.utils import get_topic

    if not issubclass(cls, CanInitAggregate):
        return None
    owner = getattr(sys.modules[cls.__module__], cls.__qualname__.split(".")[0])
    return get_topic(owner)


def _restore(value: Any, hint: Any, what: str) -> Any:
    """A value of the export (text for times, amounts and ids) as the type ``hint`` names."""
    if value is None:
        return None
    args = typing.get_args(hint)
    origin = typing.get_origin(hint)
    if origin in (UnionType, typing.Union):
        kinds = [a for a in args if a is not NoneType]
        return _restore(value, kinds[0], what) if len(kinds) == 1 else value
    if origin is list and isinstance(value, list):
        inner = args[0] if args else Any
        return [_restore(v, inner, what) for v in value]
    if hint is datetime:
        return _time(value, what)
    if hint is Decimal:
        try:
            amount = Decimal(str(value))
        except InvalidOperation:
            raise ValueError(f"{what}: {value!r} is not a number") from None
        return amount
    if hint is UUID:
        try:
            return UUID(str(value))
        except ValueError:
            raise ValueError(f"{what}: {value!r} is not a UUID") from None
    return value  # str, int, bool and Any (the shop's settings: plain JSON) as they are


def to_event(e: EventLine, recorded_in_payload: bool = True) -> DomainEventProtocol[UUID]:
    """The domain event a line was made from (what the store's mapper encodes)."""
    from events.businesstime import CLOCK_SKEW

    cls = _event_class(e.topic)
    assert cls is not None  # parse_events checked
    hints = _hints(cls)
    state: dict[str, Any] = {"originator_id": e.originator_id, "originator_version": e.version}
    state["timestamp"] = e.occurred_at.astimezone(UTC)
    aggregate = _aggregate_topic(cls)
    if aggregate is not None:
        state["originator_topic"] = aggregate
    for key, value in e.data.items():
        if key in _HIDDEN:
            continue
        state[key] = _restore(value, hints.get(key, Any), key)
    recorded = e.recorded_at
    # As ComplaintsApp.save keeps it: the source's recorded time, where it is not the own.
    if recorded_in_payload and recorded is not None and abs(recorded - e.occurred_at) > CLOCK_SKEW:
        state["recorded_at"] = recorded.astimezone(UTC)
    event = object.__new__(cls)
    event.__dict__.update(state)
    return typing.cast("DomainEventProtocol[UUID]", event)


def _stored_time(app: ComplaintsApp, stored: StoredEvent) -> str:
    """The ``timestamp`` of a stored event, as ISO text in UTC (through the store's mapper:
    a compressed or encrypted store reads as any other)."""
    event: Any = app.mapper.to_domain_event(stored)
    return str(event.timestamp.astimezone(UTC).isoformat())


@dataclass
class Plan:
    """What an import writes: the lines still to write, how many are there already, and
    the shop's settings events left out (the store has settings of its own)."""

    todo: list[EventLine]
    already: int
    settings_kept: list[EventLine]


def plan(app: ComplaintsApp, lines: list[EventLine]) -> Plan:
    """The lines still to write and how many are in the store already.

    EventImportConflict if the store holds another event where one belongs,
    or if a line would leave a gap in its aggregate's versions. The one
    exception is the shop's settings: a store on SQLite or PostgreSQL starts
    with the settings ``init`` recorded, so where the store's settings differ
    from the file's, the store keeps its own and the file's are left out
    (the caller says so: ``config import`` brings the rules over).
    """
    from events.settings import SETTINGS_ID

    have: dict[UUID, dict[int, tuple[str, str]]] = {}
    last: dict[UUID, int] = {}
    todo: list[EventLine] = []
    kept: list[EventLine] = []
    already = 0
    for e in lines:
        oid = e.originator_id
        if oid not in have:
            stored = app.recorder.select_events(oid)
            have[oid] = {s.originator_version: (s.topic, _stored_time(app, s)) for s in stored}
            last[oid] = max(have[oid], default=0)
        if oid == SETTINGS_ID and (kept or _differs(have[oid], lines, oid)):
            kept.append(e)
            continue
        where = f"line {e.line} ({e.ref or e.topic.split(':')[-1]}, version {e.version})"
        existing = have[oid].get(e.version)
        if existing is not None:
            if existing != (e.topic, e.occurred_at.astimezone(UTC).isoformat()):
                raise EventImportConflict(
                    f"{where}: the store holds another event there; an events export"
                    " goes into an empty store, or one it was imported into before"
                )
            already += 1
            continue
        if e.version != last[oid] + 1:
            raise EventImportConflict(
                f"{where}: follows version {last[oid]}, not {e.version - 1}"
                " (a part of an export: import the whole of it)"
            )
        last[oid] = e.version
        todo.append(e)
    return Plan(todo, already, kept)


def _differs(have: dict[int, tuple[str, str]], lines: list[EventLine], oid: UUID) -> bool:
    """Whether the store's events of an aggregate are not a part of the file's."""
    mine = {
        e.version: (e.topic, e.occurred_at.astimezone(UTC).isoformat())
        for e in lines
        if e.originator_id == oid
    }
    return any(mine.get(v) != what for v, what in have.items())


def _make_keys(app: ComplaintsApp, made: list[tuple[str, Any]]) -> None:
    """The customers' keys a batch seals with, made in one durable write before it (as
    ``ComplaintsApp`` does for new cases), not one write each as the mapper meets them."""
    from events.personal import PERSONAL_FIELDS, subject_of

    keyring = app.keyring
    if keyring is None:
        return
    subjects = []
    for topic, ev in made:
        fields = PERSONAL_FIELDS.get(topic)
        state = vars(ev)
        if fields and any(isinstance(state.get(f), str) and state.get(f) for f in fields):
            subjects.append(subject_of(topic, state, keyring))
    keyring.create_keys(subjects)


def run_event_import(
    app: ComplaintsApp,
    text: str,
    source: str,
    *,
    batch_size: int = 500,
    progress: Callable[[int, int], None] = lambda _done, _total: None,
) -> dict[str, Any]:
    """Write the file's events not yet in the store, in atomic batches; ``import --json``."""
    from events.topics import RECEIVED

    lines = parse_events(text)
    p = plan(app, lines)
    todo, already = p.todo, p.already
    mapper = app.mapper
    for i in range(0, len(todo), batch_size):
        chunk = todo[i : i + batch_size]
        made = [(e.topic, to_event(e)) for e in chunk]
        _make_keys(app, made)
        app.recorder.insert_events([mapper.to_stored_event(ev) for _t, ev in made])
        progress(i + len(chunk), len(todo))
    written = {(e.originator_id, e.version) for e in todo}
    cases = [
        {"line": e.line, "ref": e.ref or e.data.get("ref")}
        for e in lines
        if e.topic == RECEIVED and (e.originator_id, e.version) in written
    ]
    existing = [
        {"line": e.line, "ref": e.ref or e.data.get("ref")}
        for e in lines
        if e.topic == RECEIVED and (e.originator_id, e.version) not in written
    ]
    attached = sorted(
        {(str(e.data.get("sha256")), int(e.data.get("size") or 0)) for e in lines
         if e.topic == ATTACHED}
    )  # fmt: skip
    return {
        "file": source,
        "kind": "events",
        "attachments": [{"sha256": sha, "size": size} for sha, size in attached],
        "settings_not_imported": len(p.settings_kept),
        "events": len(lines),
        "imported": len(todo),
        "already_imported": already,
        "bad": [],
        "duplicates_in_file": [],
        "cases": cases,
        "existing": existing,
    }


def fill_attachments(
    box: Attachments, wanted: list[dict[str, Any]], folder: Path | None
) -> tuple[int, list[str]]:
    """Copy the attached files the store lacks from ``folder`` (a file store's
    ``attachments/`` folder, the store directory holding it, or a folder of the files
    themselves); how many were copied, and the hashes still missing.

    A file is taken only if its SHA-256 is the one the event names: the store's
    proof that the evidence is unchanged holds for the copy too.
    """
    copied, missing = 0, []
    for a in wanted:
        sha, size = a["sha256"], a["size"]
        if box.check(sha, size) is None:
            continue
        found = _find(folder, sha) if folder is not None else None
        if found is None:
            missing.append(sha)
            continue
        blob = box.put(found)
        if blob.sha256 != sha:  # a file of that name, not that content
            box.discard(blob)
            missing.append(sha)
            continue
        copied += 1
    return copied, missing


def _find(folder: Path, sha: str) -> Path | None:
    for candidate in (
        folder / sha[:2] / sha,
        folder / "attachments" / sha[:2] / sha,
        folder / sha,
    ):
        if candidate.is_file():
            return candidate
    return None
