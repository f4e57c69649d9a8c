"""One case read from the store and folded: what ``show`` and every writing command print.

The write model's commands return the case's reference; the edge asks this
module for the case document, which is :mod:`projections.case`'s fold of the
case's own events, read through the store's index (a handful of reads, no
cache to open: a writing command starts no slower than when the aggregate
built a view of its own). ``show --as-of`` folds the same events up to a time.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

import orjson
from eventsourcing.application import Application

from events.complaint import case_id
from events.errors import CaseNotFound
from events.personal import Keyring
from events.topics import CASE_TOPICS
from projections.case import Case, apply, val

_META = ("originator_id", "originator_version", "timestamp", "originator_topic")


def plain(value: Any) -> Any:
    """A JSON-ready copy: Decimal and datetimes become strings, tuples lists."""
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, UUID):
        return str(value)
    return value


def event_data(ev: Any) -> dict[str, Any]:
    """The payload of a decoded event, without the library's bookkeeping fields."""
    return {k: plain(v) for k, v in ev.__dict__.items() if k not in _META}


def case_events(app: Application[Any], ref: str) -> Iterator[tuple[str, int, dict[str, Any]]]:
    """(topic, version, payload) of one case, read through the store's index.

    The payload is the stored JSON (transcoded values still wrapped); with a
    cipher or compressor it is decoded by the application's mapper instead.
    """
    oid = case_id(ref)
    mapper = app.mapper
    plain_json = mapper.cipher is None and mapper.compressor is None
    for se in app.recorder.select_events(oid):
        if plain_json:
            data = orjson.loads(se.state)
        else:
            ev = mapper.to_domain_event(se)
            data = event_data(ev)
            data["timestamp"] = getattr(ev, "timestamp").isoformat()  # noqa: B009
        yield se.topic, se.originator_version, data


def read_case(
    app: Application[Any],
    ref: str,
    keyring: Keyring | None,
    at: datetime | None = None,
) -> Case:
    """The case folded from its events (up to ``at``); CaseNotFound (exit 3) if none."""
    state: Case | None = None
    oid = str(case_id(ref))
    for topic, version, data in case_events(app, ref):
        if topic not in CASE_TOPICS:
            continue
        if at is not None and datetime.fromisoformat(val(data["timestamp"])) > at:
            break
        state = apply(state, topic, data, oid, version, keyring)
    if state is None:
        name = ref.strip().upper()
        raise CaseNotFound(name if at is None else f"{name} (not received by {at.isoformat()})")
    return state
