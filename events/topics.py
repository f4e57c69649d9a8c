"""The topics of the events the read side folds: one table, read without the event classes.

Each aggregate declares its events (``@event(..., topic="complaints:<Name>")``).
Readers filter and dispatch on these sets; building the aggregates' event
classes only to learn their topics is most of a reading command's start-up,
so the sets are written out here and :func:`event_topics` (which derives them
from the classes) checks them in ``tests/test_topics.py``: a new event class
adds its topic here, and the test names any that is missing. The case fold
(:mod:`projections.case`) asserts that it handles every one of them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from eventsourcing.domain import Aggregate

#: Everything that can happen to a case (the fold of :mod:`projections.case`).
CASE_TOPICS = frozenset(
    "complaints:" + name
    for name in (
        "Acknowledged",
        "Archived",
        "Assessed",
        "Assigned",
        "Attached",
        "Classified",
        "Closed",
        "CoHandled",
        "CustomerContacted",
        "DecisionExtended",
        "Deescalated",
        "Escalated",
        "ExternalPartyInvolved",
        "ExternalRouteConcluded",
        "ExternalRouteTaken",
        "FollowedUp",
        "Investigated",
        "Linked",
        "LossRecorded",
        "MajorTriggered",
        "Noted",
        "Received",
        "RemedyAccepted",
        "RemedyApproved",
        "RemedyPartAdded",
        "RemedyProposed",
        "RemedyRejected",
        "Reopened",
        "Resolved",
        "ReviewActionDone",
        "Reviewed",
        "Transferred",
        "Withdrawn",
    )
)
#: A group complaint opened, members added.
GROUP_TOPICS = frozenset({"complaints:GroupOpened", "complaints:GroupMembersAdded"})
#: A shift handover recorded, accepted.
HANDOVER_TOPICS = frozenset({"complaints:HandoverRecorded", "complaints:HandoverAccepted"})
#: The event that starts a case.
RECEIVED = "complaints:Received"
assert RECEIVED in CASE_TOPICS


def event_topics(aggregate: type[Aggregate]) -> frozenset[str]:
    """The topics of an aggregate's own event classes (not its base ``Event``'s), with
    those built on first use (:mod:`events.lazyevents`) whether built yet or not."""
    import inspect

    from events.lazyevents import declared_topics

    base = aggregate.Event
    base_topic = getattr(base, "TOPIC", None)
    return declared_topics(aggregate) | frozenset(
        str(topic)
        for obj in vars(aggregate).values()
        if inspect.isclass(obj)
        and issubclass(obj, base)
        and (topic := getattr(obj, "TOPIC", None)) not in (None, base_topic)
    )
