"""The topics of the events the read side folds, derived from the event classes.

Each aggregate declares its events (``@event(..., topic="complaints:<Name>")``);
the read models read these sets rather than lists of their own, so a new
event class is known everywhere at once (a test checks that the case fold
handles every one of them).
"""

from __future__ import annotations

import inspect

from eventsourcing.domain import Aggregate

from events.complaint import Complaint
from events.groups import CaseGroup
from events.handover import Handover


def event_topics(aggregate: type[Aggregate]) -> frozenset[str]:
    """The topics of an aggregate's own event classes (not its base ``Event``'s)."""
    base = aggregate.Event
    base_topic = getattr(base, "TOPIC", None)
    return frozenset(
        str(topic)
        for obj in vars(aggregate).values()
        if inspect.isclass(obj)
        and issubclass(obj, base)
        and (topic := getattr(obj, "TOPIC", None)) not in (None, base_topic)
    )


#: Everything that can happen to a case (the fold of :mod:`projections.case`).
CASE_TOPICS = event_topics(Complaint)
#: A group complaint opened, members added.
GROUP_TOPICS = event_topics(CaseGroup)
#: A shift handover recorded, accepted.
HANDOVER_TOPICS = event_topics(Handover)
#: The event that starts a case.
RECEIVED = "complaints:Received"
assert RECEIVED in CASE_TOPICS
