"""The audit log read model: ``history REF`` and ``log``, one shape for both.

Every event is given as the same object (:func:`entry`):

- ``position``: its global position in the log (the notification id);
- ``ref``: the case it belongs to (``None`` for other aggregates);
- ``type`` and ``topic``: the event's class name and its stable topic;
- ``originator_id`` and ``version``: the aggregate and the event's number in it;
- ``recorded_at``: when the event was appended to the log (the file store
  writes it on each line; other backends keep no append time, and there it
  is the event's own time);
- ``occurred_at``: the event's own time (its ``timestamp``, set by the write
  model when the command ran);
- ``actor``, ``data`` (the payload, values as text, sealed personal fields
  opened with the keyring or ``[forgotten]``), and ``hash`` (the chain hash,
  see docs/projections.md).

``history`` picks one case's events out of the log: a pass over the log (the
store's index gives a case's events without their positions).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

from events.errors import CaseNotFound
from events.ids import case_id
from events.personal import Keyring
from events.topics import RECEIVED
from projections.case import val
from projections.reading import ReadModel
from projections.source import Checkpoint, Event

_HIDDEN = ("timestamp", "originator_topic")


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

    def log(
        self, since: datetime | None = None, until: datetime | None = None
    ) -> Iterator[dict[str, Any]]:
        """Every event recorded in [since, until), oldest first."""
        db = self.projector.open()
        refs = dict(db.execute("SELECT id, ref FROM cases").fetchall())
        lo = since.astimezone(UTC).isoformat() if since else None
        hi = until.astimezone(UTC).isoformat() if until else None
        keyring = self.keyring
        for batch, _cp in self.source.read(Checkpoint()):
            for ev in batch:
                recorded = ev["recorded_at"] or ""
                if lo is not None and _utc(recorded) < lo:
                    continue
                if hi is not None and _utc(recorded) >= hi:
                    continue
                oid = ev["originator_id"]
                ref = refs.get(oid)
                if ref is None and ev["topic"] == RECEIVED:
                    ref = refs[oid] = ev["data"].get("ref")
                yield entry(ev, ref, keyring)
