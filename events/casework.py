"""Around a case: outside parties, external routes, review actions, major triggers.

:class:`CaseWork` holds the commands that :class:`events.complaint.Complaint`
mixes in; the event classes below are the case's events (``Complaint`` names
each in its namespace, so its topics list them and ``projections.case`` folds
them like the others), kept here so that the aggregate's main module stays the
glossary of the case's main line.

- A consumer association or a regulator takes up an existing case
  (``ExternalPartyInvolved``: who, their reference, the reply sent to them)
  instead of a second, linked case; it makes the case major.
- After the customer rejected a proposal the case can go an external route
  (arbitration, court, a consumer association, a regulator's mediation):
  ``ExternalRouteTaken``, and ``ExternalRouteConcluded`` when it ends. The
  case stays open until it is resolved and closed as any other.
- A review's improvement action has an owner, a due date and a done state
  (``ReviewActionDone``).
- ``MajorTriggered``: a rule or a person made the case major after receipt
  (a VIP or influential customer, a media threat, passed around, a group
  complaint, an outside party), with the reason ``show`` lists.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from events.errors import InvalidInput, RuleRefused
from events.lazyevents import EventSpec, event_class
from events.lifecycle import INFLUENTIAL_REASON as INFLUENTIAL_REASON
from events.lifecycle import MEDIA_REASON as MEDIA_REASON
from events.lifecycle import PARTIES as PARTIES
from events.lifecycle import ROUTES as ROUTES
from events.lifecycle import TRIGGERS as TRIGGERS
from events.lifecycle import VIP_REASON as VIP_REASON


def receipt_triggers(vip: bool, reasons: list[str]) -> tuple[str, ...]:
    """The triggers a case has from its receipt: its VIP flag and its reasons' kinds."""
    found = {"vip"} if vip or VIP_REASON in reasons else set()
    if MEDIA_REASON in reasons:
        found.add("media-threat")
    prefix = INFLUENTIAL_REASON.split("{", 1)[0]
    if any(r.startswith(prefix) for r in reasons):
        found.add("influential")
    return tuple(t for t in TRIGGERS if t in found)


class ExternalPartyInvolved(EventSpec):
    TOPIC = "complaints:ExternalPartyInvolved"
    party: str
    reference: str
    reply: str | None
    actor: str

    def apply(self, aggregate: Any) -> None:
        if (self.party, self.reference) not in aggregate.outside:
            aggregate.outside = (*aggregate.outside, (self.party, self.reference))


class ExternalRouteTaken(EventSpec):
    TOPIC = "complaints:ExternalRouteTaken"
    route: str
    reference: str | None
    detail: str | None
    actor: str

    def apply(self, aggregate: Any) -> None:
        aggregate.route_open = True


class ExternalRouteConcluded(EventSpec):
    TOPIC = "complaints:ExternalRouteConcluded"
    outcome: str
    actor: str

    def apply(self, aggregate: Any) -> None:
        aggregate.route_open = False


class ReviewActionDone(EventSpec):
    TOPIC = "complaints:ReviewActionDone"
    action: int
    note: str | None
    actor: str

    def apply(self, aggregate: Any) -> None:
        done = list(aggregate.review_actions)
        done[self.action - 1] = True
        aggregate.review_actions = tuple(done)


class MajorTriggered(EventSpec):
    TOPIC = "complaints:MajorTriggered"
    trigger: str
    reason: str
    actor: str

    def apply(self, aggregate: Any) -> None:
        aggregate.major_triggers = (*aggregate.major_triggers, self.trigger)
        aggregate.severity = "major"


#: The events that ``Complaint`` takes as its own (built on first use).
EVENTS = (
    ExternalPartyInvolved,
    ExternalRouteTaken,
    ExternalRouteConcluded,
    ReviewActionDone,
    MajorTriggered,
)


class CaseWork:
    """The case's commands around its main line (mixed into ``Complaint``)."""

    # What these rules read, set by Complaint (class defaults: older snapshots lack them).
    ref: str
    severity: str
    proposals: list[dict[str, Any]]
    major_triggers: tuple[str, ...] = ()
    outside: tuple[tuple[str, str], ...] = ()
    route_open: bool = False
    review_actions: tuple[bool, ...] = ()
    #: Transfers and changes of owner so far (Complaint counts them).
    handoffs: int = 0
    trigger_event: Callable[..., Any]
    check_allowed: Callable[[str], None]

    def _trigger(self, spec: type[EventSpec], **kwargs: Any) -> None:
        # The aggregate's own class of the event (built on first use: events.lazyevents).
        self.trigger_event(event_class(type(self), spec.__name__), **kwargs)

    # -- outside parties ------------------------------------------------------

    def involve(self, party: str, reference: str, reply: str | None, actor: str) -> None:
        """An outside party took the case up, or (same party and reference) got our reply."""
        self.check_allowed("external")
        if party not in PARTIES:
            raise InvalidInput(f"party must be one of {', '.join(PARTIES)}")
        if not reference.strip():
            raise InvalidInput("--reference must not be empty")
        if reply is not None and not reply.strip():
            raise InvalidInput("--reply must not be empty")
        if (party, reference.strip()) in self.outside and reply is None:
            raise RuleRefused(
                "outside-party-known", f"{party} {reference} is recorded already; add --reply"
            )
        ref = reference.strip()
        self._trigger(ExternalPartyInvolved, party=party, reference=ref, reply=reply, actor=actor)
        self.trigger_major("outside-party", f"{party} involved ({ref})", actor)

    def take_route(self, route: str, reference: str | None, detail: str | None, actor: str) -> None:
        """After a rejected proposal: arbitration, court, consumer association, mediation."""
        self.check_allowed("route")
        if route not in ROUTES:
            raise InvalidInput(f"route must be one of {', '.join(ROUTES)}")
        answered = [p for p in self.proposals if p["state"] in ("accepted", "rejected")]
        if not answered or answered[-1]["state"] != "rejected":
            raise RuleRefused(
                "route-needs-rejected-proposal",
                "an external route follows a proposal the customer rejected",
            )
        if self.route_open:
            raise RuleRefused("route-already-open", f"{self.ref} is on an external route already")
        self._trigger(
            ExternalRouteTaken, route=route, reference=reference, detail=detail, actor=actor
        )

    def conclude_route(self, outcome: str, actor: str) -> None:
        self.check_allowed("route")
        if not self.route_open:
            raise RuleRefused("no-open-route", f"{self.ref} is on no external route")
        if not outcome.strip():
            raise InvalidInput("--concluded needs the outcome")
        self._trigger(ExternalRouteConcluded, outcome=outcome, actor=actor)

    # -- review actions ---------------------------------------------------------

    def _action_added(self) -> None:
        """A review with an action: action number len(review_actions), not done."""
        self.review_actions = (*self.review_actions, False)

    def action_done(self, number: int, note: str | None, actor: str) -> None:
        self.check_allowed("action-done")
        n = len(self.review_actions)
        if not 1 <= number <= n:
            raise InvalidInput(f"{self.ref} has review actions 1..{n}, not {number}")
        if self.review_actions[number - 1]:
            raise RuleRefused("action-already-done", f"action {number} of {self.ref} is done")
        self._trigger(ReviewActionDone, action=number, note=note, actor=actor)

    # -- major after receipt ------------------------------------------------------

    def trigger_major(self, trigger: str, reason: str, actor: str) -> bool:
        """Make the case major for ``trigger`` (once per trigger), naming the reason."""
        if trigger not in TRIGGERS:
            raise InvalidInput(f"trigger must be one of {', '.join(TRIGGERS)}")
        if trigger in self.major_triggers:
            return False
        self._trigger(MajorTriggered, trigger=trigger, reason=reason, actor=actor)
        return True

    def passed_around(self, limit: int | None, actor: str) -> None:
        """After a transfer or a change of owner: major once ``limit`` of them is reached."""
        if limit is not None and self.handoffs >= limit:
            reason = f"passed around: {self.handoffs} transfers or changes of owner"
            self.trigger_major("passed-around", reason, actor)
