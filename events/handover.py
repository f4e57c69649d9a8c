"""Shift handover (交接班): the outgoing shift hands over, the incoming shift confirms.

Both are events so that an auditor can see who handed what to whom and when;
the items handed over (open cases, promised call-backs, follow-ups due,
overdue cases) are recorded as the outgoing person saw them.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID, uuid4

from eventsourcing.domain import Aggregate, event

from events.businesstime import event_time
from events.errors import RuleRefused


class Handover(Aggregate):
    """One handover of one shift; accepted once, by someone other than who handed over."""

    TOPIC = "complaints:Handover"

    class Event(Aggregate.Event):
        TOPIC = "complaints:Handover.Event"
        create_timestamp = staticmethod(event_time)  # the business time (--at)

    @staticmethod
    def create_id(shift: str, **_: Any) -> UUID:
        return uuid4()

    @event("HandoverRecorded", topic="complaints:HandoverRecorded")
    def __init__(
        self, shift: str, note: str | None, items: list[dict[str, Any]], actor: str
    ) -> None:
        self.shift = shift
        self.note = note
        self.items = list(items)
        self.recorded_by = actor
        self.accepted_by: str | None = None

    def accept(self, actor: str) -> None:
        if self.accepted_by is not None:
            raise RuleRefused(
                "handover-accepted-once", f"this handover was accepted by {self.accepted_by}"
            )
        if actor == self.recorded_by:
            raise RuleRefused(
                "handover-needs-incoming-shift",
                "the person who handed over cannot accept their own handover",
            )
        self._accepted(actor=actor)

    @event("HandoverAccepted", topic="complaints:HandoverAccepted")
    def _accepted(self, actor: str) -> None:
        self.accepted_by = actor
