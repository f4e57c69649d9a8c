"""``handover``: the read model of a shift, recorded or accepted through the write side.

The items come from the read models (``projections``); recording and accepting
are events (``events.handovers``). Both errors a person can cause are plain
exceptions here: an unknown shift (InvalidInput, exit 2) and no such handover
(HandoverNotFound).
"""

from __future__ import annotations

from typing import Any

from events.application import ComplaintsApp
from events.businesstime import stated
from events.errors import InvalidInput
from events.handovers import HandoverNotFound, accept_handover, record_handover
from projections.models import ReadModels, handover_items


def handover(
    app: ComplaintsApp, rm: ReadModels, shift: str, actor: str, *, record: bool, note: str | None
) -> dict[str, Any]:
    """What the outgoing shift hands over; with ``record``, also recorded as an event.

    Recorded with a stated time (``--at``), the items are those as they stood then.
    """
    try:
        h = rm.handover(shift, stated() if record else None)
    except KeyError:
        known = ", ".join(rm.settings.shifts)
        raise InvalidInput(f"unknown shift {shift!r}; the config knows: {known}") from None
    if record:
        h["recorded"] = record_handover(app, shift, actor, handover_items(h), note)
    return h


def accept(
    app: ComplaintsApp, rm: ReadModels, shift: str, which: str, actor: str
) -> dict[str, Any]:
    """The incoming shift accepts a handover: its id, or ``latest`` (the latest pending)."""
    hid = rm.pending_handover(shift) if which == "latest" else which
    if hid is None:
        raise HandoverNotFound(f"no handover of shift {shift!r} waits for acceptance")
    try:
        return accept_handover(app, hid, actor)
    except HandoverNotFound:
        raise HandoverNotFound(f"no handover {hid}") from None
