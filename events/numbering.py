"""Case numbering: one counter aggregate per year hands out ``C-<year>-<5 digits>``.

The counter's id is derived from the year, so every writer loads the same
aggregate; it is saved in one batch with the new case, and two writers that
take the same number collide on the counter's version (``IntegrityError``),
never on a duplicate reference.
"""

from __future__ import annotations

from uuid import UUID, uuid5

from eventsourcing.domain import Aggregate, event

from events.businesstime import event_time
from events.complaint import NAMESPACE


def counter_id(year: int) -> UUID:
    return uuid5(NAMESPACE, f"counter:{year}")


def format_ref(year: int, number: int) -> str:
    return f"C-{year}-{number:05d}"


class CaseCounter(Aggregate):
    """Hands out case numbers of one year, in order, without gaps."""

    TOPIC = "complaints:CaseCounter"

    class Event(Aggregate.Event):
        TOPIC = "complaints:CaseCounter.Event"
        create_timestamp = staticmethod(event_time)  # the business time (--at)

    @staticmethod
    def create_id(year: int) -> UUID:
        return counter_id(year)

    @event("CounterStarted", topic="complaints:CounterStarted")
    def __init__(self, year: int, actor: str) -> None:
        self.year = year
        self.last = 0

    def next_ref(self, actor: str) -> str:
        """Allocate the next reference of the year."""
        number = self.last + 1
        ref = format_ref(self.year, number)
        self._allocated(number=number, ref=ref, actor=actor)
        return ref

    @event("NumberAllocated", topic="complaints:NumberAllocated")
    def _allocated(self, number: int, ref: str, actor: str) -> None:
        self.last = number
