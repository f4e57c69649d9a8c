"""One case read from its events and folded: what ``show`` and every writing command print.

The write model's commands return the case's reference; the edge asks this
module for the case document, which is :mod:`projections.case`'s fold of the
case's own events, read through the source's per-aggregate read (on the file
store: its index; a handful of reads, no cache to open: a writing command
starts no slower than when the aggregate built a view of its own).
``show --as-of`` folds the same events up to a time.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any

from events.errors import CaseNotFound
from events.ids import case_id
from events.personal import Keyring
from events.topics import CASE_TOPICS
from projections.case import Case, apply, opened, val
from projections.source import EventSource


def case_events(source: EventSource, ref: str) -> Iterator[tuple[str, int, dict[str, Any]]]:
    """(topic, version, payload) of one case; the payload as stored (transcoded values wrapped)."""
    for ev in source.aggregate(case_id(ref)):
        yield ev["topic"], ev["version"], ev["data"]


def read_case(
    source: EventSource,
    ref: str,
    keyring: Keyring | None,
    at: datetime | None = None,
    seen: list[tuple[str, dict[str, Any]]] | None = None,
) -> Case:
    """The case folded from its events (up to ``at``); CaseNotFound (exit 3) if none.

    ``seen`` gets each event folded, (topic, payload with its text opened), for a reader that
    shows more than the case document holds (``show``: every escalation's reason)
    without reading the events twice.
    """
    state: Case | None = None
    oid = str(case_id(ref))
    expected = 1
    for topic, version, data in case_events(source, ref):
        if version != expected:  # an event cut out of the case: never fold a partial case
            from projections.damage import LogDamaged

            raise LogDamaged(
                f"{ref.strip().upper()}: version {version} where {expected} was due"
                " (an event is missing)"
            )
        expected += 1
        if topic not in CASE_TOPICS:
            continue
        if at is not None and datetime.fromisoformat(val(data["timestamp"])) > at:
            break
        state = apply(state, topic, data, oid, version, keyring)
        if seen is not None:
            seen.append((topic, opened(topic, data, keyring)))
    if state is None:
        name = ref.strip().upper()
        raise CaseNotFound(name if at is None else f"{name} (not received by {at.isoformat()})")
    return state
