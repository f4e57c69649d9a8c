"""An import's new cases and markers as their events alone, and a batch saved in one pass.

A row of an import makes two aggregates that nothing reads again in the same
command: the case (its ``Received``) and the row's import marker. Built
through the library (``Complaint(...)``), each costs the library's argument
coercion, the created event, and then an aggregate made from that event by
``mutate`` only to hand the event back to the save. :func:`created_event`
makes the very event the library's ``_create`` makes (the same class, the same
attributes: the aggregate's topic, id, version 1, the event class's timestamp)
and no aggregate; the rules that decide its values stay where they are
(:meth:`events.receipt.Receiving._case_fields`). :func:`save_events` saves
events as ``CaseStore.save_many`` does, mapped by :func:`events.bulkmapper.stored_events`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any
from uuid import UUID

from eventsourcing.domain import Aggregate, DomainEventProtocol
from eventsourcing.utils import get_topic

from events.bulkmapper import mapped

if TYPE_CHECKING:
    from events.casestore import CaseStore


#: (aggregate class, event name) -> the event class and the aggregate's topic.
_made: dict[tuple[type[Aggregate], str], tuple[Any, str]] = {}


def created_event(
    aggregate_class: type[Aggregate], name: str, originator_id: UUID, **kwargs: Any
) -> DomainEventProtocol[UUID]:
    """The event ``name`` (the created event's class) that ``aggregate_class(**kwargs)``
    would make and keep pending (its ``create_id`` gives ``originator_id``), without
    the aggregate."""
    made = _made.get((aggregate_class, name))
    if made is None:
        made = _made[aggregate_class, name] = (getattr(aggregate_class, name),
                                               get_topic(aggregate_class))  # fmt: skip
    event_class, topic = made
    kwargs.update(
        originator_topic=topic,
        originator_id=originator_id,
        originator_version=aggregate_class.INITIAL_VERSION,
    )
    if kwargs.get("timestamp") is None:
        kwargs["timestamp"] = event_class.create_timestamp()
    event: DomainEventProtocol[UUID] = event_class(**kwargs)
    return event


def save_events(
    app: CaseStore, aggregates: list[Aggregate], events: list[DomainEventProtocol[UUID]]
) -> None:
    """Save the aggregates' pending events, then ``events``, in one atomic batch (as
    ``app.save_many`` would, the aggregates' events first)."""
    pending: list[Any] = [ev for agg in aggregates for ev in agg.collect_events()]
    pending += events
    app._stamp(pending)
    app.written = len(pending)
    if pending:
        stored, plain = mapped(app.mapper, pending)
        if plain and getattr(app.recorder, "takes_plain_json", False):
            # The file store need not parse these states again to know they are JSON.
            app.recorder.insert_events(stored, plain_json=True)
        else:
            app.recorder.insert_events(stored)
