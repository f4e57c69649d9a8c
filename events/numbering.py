"""Case numbering: one counter aggregate per year hands out ``C-<year>-<5 digits>``.

The counter's id is derived from the year, so every writer loads the same
aggregate; it is saved in one batch with the new case, and two writers that
take the same number collide on the counter's version (``IntegrityError``),
never on a duplicate reference.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID, uuid5

from eventsourcing.domain import Aggregate, Snapshot, event
from eventsourcing.utils import get_topic

from events.businesstime import event_time
from events.complaint import NAMESPACE
from events.lazyevents import install, lazy_event


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

    @lazy_event("NumberAllocated", topic="complaints:NumberAllocated")
    def _allocated(self, number: int, ref: str, actor: str) -> None:
        self.last = number


install(CaseCounter)  # its events but the first: built on first use


def counter_at(start: Any, end: Any) -> CaseCounter:
    """The counter as its first and last stored events leave it, without the ones between.

    A counter's whole state is its year (the first event's) and the last number
    handed out (the last event's), so ``new`` reads two events, however many
    numbers the year has given and whether or not a snapshot is at hand (a
    migrated store, or snapshots deleted, would otherwise replay the year).
    The aggregate is made as the library makes one from a snapshot.
    """
    state = {
        "_created_on": start.timestamp,
        "_modified_on": end.timestamp,
        "year": start.year,
        "last": getattr(end, "number", 0),
    }
    snapshot = Snapshot(
        originator_id=end.originator_id,
        originator_version=end.originator_version,
        timestamp=end.timestamp,
        topic=get_topic(CaseCounter),
        state=state,
    )
    counter = snapshot.mutate(None)
    assert isinstance(counter, CaseCounter)
    return counter
