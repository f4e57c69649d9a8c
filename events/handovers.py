"""The application calls for shift handovers, kept beside ``ComplaintsApp`` (not in it).

Functions taking the application rather than methods on it, so the write
model's main module stays the colleague-owned glossary of case actions.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError

from events.application import ComplaintsApp
from events.businesstime import check_at
from events.errors import InvalidInput
from events.handover import Handover


class HandoverNotFound(LookupError):
    """No handover with that id."""


def record_handover(
    app: ComplaintsApp, shift: str, actor: str, items: list[dict[str, Any]], note: str | None
) -> dict[str, Any]:
    """Record that ``actor`` hands over ``shift`` with these items; return its id."""
    if not shift.strip():
        raise InvalidInput("a handover needs a shift name")
    staff = app.policy.writer(actor)
    check_at(app.clock(), "the handover", None)  # --at: not in the future
    h = Handover(shift=shift, note=note, items=items, actor=staff.name)
    app.save(h)
    return {"id": str(h.id), "shift": shift, "recorded_by": staff.name, "items": len(items)}


def accept_handover(app: ComplaintsApp, handover_id: str, actor: str) -> dict[str, Any]:
    """The incoming shift confirms a handover (once; not by who handed over)."""
    try:
        hid = UUID(handover_id)
    except ValueError:
        raise InvalidInput(f"not a handover id: {handover_id!r}") from None
    staff = app.policy.writer(actor)
    try:
        h: object = app.repository.get(hid)
    except AggregateNotFoundError:
        raise HandoverNotFound(handover_id) from None
    if not isinstance(h, Handover):
        raise HandoverNotFound(handover_id)
    check_at(app.clock(), f"handover {handover_id}", h.modified_on)
    h.accept(staff.name)
    app.save(h)
    return {"id": str(h.id), "shift": h.shift, "accepted_by": staff.name}
