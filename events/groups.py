"""Groups of related cases (群体性投诉): many customers, one cause, one plan."""

from __future__ import annotations

from collections.abc import Callable
from uuid import UUID, uuid5

from eventsourcing.domain import Aggregate, event

from events.businesstime import event_time
from events.complaint import NAMESPACE, Complaint
from events.errors import InvalidInput

#: Characters in a group's name: a cause in a few words ("11月运输破损"), never a document.
MAX_GROUP_NAME = 200


def check_group_name(name: str) -> str:
    """The name without outer spaces; InvalidInput (exit 2) if empty or too long."""
    name = name.strip()
    if not name:
        raise InvalidInput("the group name must not be empty")
    if len(name) > MAX_GROUP_NAME:
        raise InvalidInput(
            f"the group name is {len(name)} characters long: at most {MAX_GROUP_NAME}"
        )
    return name


def group_id(name: str) -> UUID:
    """Group names are matched case-insensitively and without outer spaces."""
    return uuid5(NAMESPACE, "group:" + name.strip().casefold())


class CaseGroup(Aggregate):
    """A named set of cases handled together."""

    TOPIC = "complaints:CaseGroup"

    class Event(Aggregate.Event):
        TOPIC = "complaints:CaseGroup.Event"
        create_timestamp = staticmethod(event_time)  # the business time (--at)

    @staticmethod
    def create_id(name: str) -> UUID:
        return group_id(name)

    @event("GroupOpened", topic="complaints:GroupOpened")
    def __init__(self, name: str, actor: str) -> None:
        self.name = name
        self.opened_by = actor
        self.members: list[str] = []

    def add(self, refs: list[str], actor: str) -> None:
        new = [r for r in refs if r not in self.members]
        if new:
            self._members_added(refs=new, actor=actor)

    @event("GroupMembersAdded", topic="complaints:GroupMembersAdded")
    def _members_added(self, refs: list[str], actor: str) -> None:
        self.members.extend(refs)


def group_major(
    load: Callable[[str], Complaint],
    customer_of: Callable[[str], str],
    size: int | None,
    group: CaseGroup,
    before: list[str],
    cases: list[Complaint],
    actor: str,
) -> list[Complaint]:
    """A group complaint of ``size`` customers or more makes each of its cases major.

    Customers, not cases: two cases of one person (the same contact or account,
    through any chain: ``customer_of``) count once. The cases of this link are
    flagged; when the group has just reached the size, its earlier members
    (``before``) too (loaded here, returned to be saved in the same batch).
    """
    if size is None:
        return []
    who = {r: customer_of(r) for r in group.members}
    customers = len(set(who.values()))
    if customers < size:
        return []
    reason = f"group complaint {group.name}: {customers} customers"
    for c in cases:
        c.trigger_major("group", reason, actor)
    if len({who[r] for r in before}) >= size:
        return []
    mine = {c.ref for c in cases}
    earlier = [load(r) for r in group.members if r not in mine]
    return [c for c in earlier if c.trigger_major("group", reason, actor)]
