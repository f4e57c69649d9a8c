"""The audit log read model: ``history REF`` and ``log``, one shape for both.

Every event is given as the same object (:func:`entry`):

- ``position``: its global position in the log (the notification id);
- ``ref``: the case it belongs to (``None`` for other aggregates);
- ``type`` and ``topic``: the event's class name and its stable topic;
- ``originator_id`` and ``version``: the aggregate and the event's number in it;
- ``recorded_at``: when the event was appended to the log (the file store
  writes it on each line; SQLite and PostgreSQL keep no append time: there
  it is the saving command's clock, which the payload carries where it is
  not the event's own time, see :mod:`events.businesstime`);
- ``occurred_at``: the event's own time, its business time (``--at``,
  default the time the command ran): what SLA clocks and reports count;
- ``actor``, ``data`` (the payload, values as text, sealed personal fields
  opened with the keyring or ``[forgotten]``), and ``hash`` (the chain hash,
  see docs/projections.md).

``history`` picks one case's events out of the log: a pass over the log (the
store's index gives a case's events without their positions).
:meth:`AuditLog.case_as_recorded` folds the same events up to a recorded
time: what the store held then (``show --as-recorded``), where ``--as-of``
asks about business time.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

from events.errors import CaseNotFound
from events.ids import case_id
from events.personal import Keyring
from events.topics import CASE_TOPICS, RECEIVED
from projections.case import Case, apply, opened, val
from projections.reading import ReadModel
from projections.source import Checkpoint, Event

_HIDDEN = ("timestamp", "originator_topic", "recorded_at")


def _value(value: Any, keyring: Keyring | None) -> Any:
    """A payload value as text: transcoded values unwrapped, nested ones too."""
    if type(value) is dict:
        if "_type_" in value:
            return val(value, keyring)
        return {k: _value(v, keyring) for k, v in value.items()}
    if type(value) is list:
        return [_value(v, keyring) for v in value]
    return value


def entry(ev: Event, ref: str | None, keyring: Keyring | None) -> dict[str, Any]:
    """The one shape of an event in ``history`` and ``log`` (module doc)."""
    raw = ev["data"]
    topic = ev["topic"]
    return {
        "position": ev["position"],
        "ref": ref,
        "type": topic.split(":", 1)[-1],
        "topic": topic,
        "originator_id": ev["originator_id"],
        "version": ev["version"],
        "recorded_at": ev["recorded_at"],
        "occurred_at": val(raw.get("timestamp")),
        "actor": raw.get("actor"),
        "data": {k: _value(v, keyring) for k, v in raw.items() if k not in _HIDDEN},
        "hash": ev["hash"],
    }


def _utc(iso: str) -> str:
    """An ISO time as a sortable UTC string (recorded times already are)."""
    if iso.endswith("+00:00"):
        return iso
    return datetime.fromisoformat(iso).astimezone(UTC).isoformat()


class AuditLog(ReadModel):
    """The events themselves, for people (``history``) and auditors (``log``)."""

    #: The log's head (position and hash of its last event, filtered out or not), set
    #: once :meth:`log` has been read to its end: what ``verify`` prints as ``head``.
    head: dict[str, Any] | None = None

    def history(self, ref: str) -> list[dict[str, Any]]:
        """Every event of one case, oldest first (CaseNotFound, exit 3, if there is none)."""
        name = ref.strip().upper()
        oid = case_id(name)
        if next(iter(self.source.aggregate(oid)), None) is None:
            raise CaseNotFound(name)
        wanted = str(oid)
        keyring = self.keyring
        return [
            entry(ev, name, keyring)
            for batch, _cp in self.source.read(Checkpoint())
            for ev in batch
            if ev["originator_id"] == wanted
        ]

    def case_as_recorded(
        self, ref: str, at: datetime, seen: list[tuple[str, dict[str, Any]]] | None = None
    ) -> Case:
        """The case as the store held it at recorded time ``at`` (its events recorded by then).

        Events typed in later with an earlier ``--at`` are left out, though
        their business time is before ``at``: the auditor's question is what
        the store said, not what had happened. CaseNotFound (exit 3) if the
        case was not recorded by then. Reads the case's own events only; their
        recorded time is the payload's (:func:`projections.source.recorded_at`),
        on every backend. ``seen`` gets the events folded, as
        :func:`projections.caselog.read_case` gives them.
        """
        name = ref.strip().upper()
        oid = case_id(name)
        hi = at.astimezone(UTC).isoformat()
        keyring = self.keyring
        state: Case | None = None
        # The case's own events (the store's index), not a pass over the whole log.
        for ev in self.source.aggregate(oid):
            if ev["topic"] not in CASE_TOPICS:
                continue
            recorded = ev.get("recorded_at")
            if recorded is None or _utc(recorded) > hi:
                continue
            state = apply(state, ev["topic"], ev["data"], str(oid), ev["version"], keyring)
            if seen is not None:
                seen.append((ev["topic"], opened(ev["topic"], ev["data"], keyring)))
        if state is None:
            raise CaseNotFound(f"{name} (not recorded by {at.isoformat()})")
        return state

    def log(
        self, since: datetime | None = None, until: datetime | None = None
    ) -> Iterator[dict[str, Any]]:
        """Every event whose own (business) time is in [since, until), in log order.

        The event's own time (``occurred_at``), not ``recorded_at``: a store
        migrated or imported from another answers the same as its source, and a
        paper log typed in the next morning belongs to the day it happened.
        """
        db = self.projector.open()
        refs = dict(db.execute("SELECT id, ref FROM cases").fetchall())
        lo = since.astimezone(UTC).isoformat() if since else None
        hi = until.astimezone(UTC).isoformat() if until else None
        keyring = self.keyring
        self.head = None
        for batch, _cp in self.source.read(Checkpoint()):
            for ev in batch:
                self.head = {"position": ev["position"], "hash": ev["hash"]}
                if lo is not None or hi is not None:
                    occurred = _utc(val(ev["data"].get("timestamp")) or ev["recorded_at"])
                    if lo is not None and occurred < lo:
                        continue
                    if hi is not None and occurred >= hi:
                        continue
                oid = ev["originator_id"]
                ref = refs.get(oid)
                if ref is None and ev["topic"] == RECEIVED:
                    ref = refs[oid] = ev["data"].get("ref")
                yield entry(ev, ref, keyring)
