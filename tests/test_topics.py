"""Names written out for a light start-up match what the write model derives them from."""

from __future__ import annotations

from events.complaint import Complaint
from events.groups import CaseGroup
from events.handover import Handover
from events.topics import CASE_TOPICS, GROUP_TOPICS, HANDOVER_TOPICS, event_topics


def test_topic_table_matches_the_event_classes() -> None:
    for table, aggregate in (
        (CASE_TOPICS, Complaint),
        (GROUP_TOPICS, CaseGroup),
        (HANDOVER_TOPICS, Handover),
    ):
        derived = event_topics(aggregate)
        assert not derived - table, f"add to events/topics.py: {sorted(derived - table)}"
        assert not table - derived, f"no such event class: {sorted(table - derived)}"


def test_the_sources_know_the_applications_name() -> None:
    """The library's variables and tables are named after it; sources spell it out."""
    from complaintctl.sources import APP_NAME
    from events.application import ComplaintsApp

    assert ComplaintsApp.name == APP_NAME
