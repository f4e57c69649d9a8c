"""The ``Complaint`` aggregate: one event per thing that can happen to a case.

Public methods check the rules (raising :class:`RuleRefused`) and then call
a private ``@event`` method, whose arguments are the stored payload and
whose body only applies what the rules read later (status, owner, tier,
category and severity, the decision extensions; the remedy proposals are
:mod:`events.remedywork`'s): the case document that commands print is the
read side's fold of the events (``projections.case``). Every event carries
``actor``. Topics are explicit (``complaints:<Event>``) so that moving this
code never breaks an old log.
The statuses and what each allows are :mod:`events.lifecycle`.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

from eventsourcing.domain import Aggregate, event

from events import casework, remedies, remedywork
from events.businesstime import event_time
from events.casework import CaseWork
from events.errors import InvalidInput, RuleRefused
from events.ids import NAMESPACE as NAMESPACE
from events.ids import case_id as case_id
from events.lazyevents import event_class, install, lazy_event
from events.lifecycle import ALLOWED, refuse_status
from events.lifecycle import OPEN as OPEN
from events.lifecycle import STATUSES as STATUSES
from events.money import check_amount
from events.policy import (
    CONTACT_OUTCOMES,
    FOLLOWUP_OUTCOMES,
    SEVERITIES,
    TIERS,
    StaffMember,
)
from events.remedywork import RemedyWork


class Complaint(CaseWork, RemedyWork, Aggregate):
    """A customer complaint from receipt to archive (events around it: ``CaseWork``;
    its remedy proposals: ``RemedyWork``)."""

    TOPIC = "complaints:Complaint"
    # What the remedy rules read of the assessment (valid, loss) is declared, with its
    # class default, in RemedyWork: an annotation here would make the library process
    # this class as a dataclass too.

    class Event(Aggregate.Event):
        TOPIC = "complaints:Complaint.Event"
        create_timestamp = staticmethod(event_time)  # the business time (--at)

    @staticmethod
    def create_id(ref: str) -> UUID:
        return case_id(ref)

    # -- receive ---------------------------------------------------------

    @event("Received", topic="complaints:Received")
    def __init__(
        self,
        *,
        ref: str,
        customer: str,
        contact: str,
        account: str | None,
        channel: str,
        category: str,
        summary: str,
        demand: str | None,
        demand_amount: Decimal | None,
        currency: str | None,
        occurred_at: datetime | None,
        received_at: datetime,
        mood: str | None,
        signed_by_customer: bool,
        vip: bool,
        owner: str,
        first_ask_owner: str,
        severity: str,
        severity_by: str | None,
        major_reasons: list[str],
        decision_due: datetime | None,
        actor: str,
    ) -> None:
        # Only what the rules read: the case document is the read side's fold
        # (projections.case) of this event's arguments and the later events'.
        self.ref = ref
        self.category = category
        self.received_at = received_at
        self.owner = owner
        self.severity = severity
        self.severity_by = severity_by
        self.status = "received"
        self.tier = 1
        self.decision_extensions = 0
        self.proposals: list[dict[str, Any]] = []
        self.major_reasons = list(major_reasons)
        self.major_triggers = casework.receipt_triggers(vip, self.major_reasons)

    # -- rule helpers ----------------------------------------------------

    def check_allowed(self, action: str) -> None:
        """Refuse an action the case's status does not take (the lifecycle order)."""
        if action not in ALLOWED[self.status]:
            raise refuse_status(action, self.status)

    # -- acknowledge -----------------------------------------------------

    def acknowledge(self, reply_by: datetime, message: str | None, actor: str) -> None:
        self.check_allowed("ack")
        self._acknowledged(reply_by=reply_by, message=message, actor=actor)

    @lazy_event("Acknowledged", topic="complaints:Acknowledged")
    def _acknowledged(self, reply_by: datetime, message: str | None, actor: str) -> None:
        if self.status == "received":
            self.status = "acknowledged"

    def _start_work(self) -> None:
        if self.status in ("received", "acknowledged"):
            self.status = "in_progress"

    # -- ownership -------------------------------------------------------

    def assign(self, owner: str, actor: str) -> None:
        self.check_allowed("assign")
        if owner == self.owner:
            raise RuleRefused("assign-changes-owner", f"{owner} already owns {self.ref}")
        self._assigned(owner=owner, previous_owner=self.owner, actor=actor)

    @lazy_event("Assigned", topic="complaints:Assigned")
    def _assigned(self, owner: str, previous_owner: str, actor: str) -> None:
        self.owner = owner
        self.handoffs += 1

    def transfer(self, department: str, reason: str | None, co_handle: bool, actor: str) -> None:
        """Hand work to a department; the first-ask owner stays responsible."""
        self.check_allowed("transfer")
        if co_handle:
            self._co_handled(department=department, reason=reason, actor=actor)
        else:
            self._transferred(department=department, reason=reason, actor=actor)

    @lazy_event("Transferred", topic="complaints:Transferred")
    def _transferred(self, department: str, reason: str | None, actor: str) -> None:
        self.handoffs += 1
        self._start_work()

    @lazy_event("CoHandled", topic="complaints:CoHandled")
    def _co_handled(self, department: str, reason: str | None, actor: str) -> None:
        self._start_work()

    # -- judge -----------------------------------------------------------

    def classify(
        self, category: str | None, severity: str | None, reason: str | None, actor: str
    ) -> bool:
        """Change the category or the severity; False (and no event) if nothing changes.

        A reason given for ``major`` on a case already major (by rule) is a
        change: the case keeps it among its major reasons.
        """
        self.check_allowed("classify")
        if category is None and severity is None:
            raise InvalidInput("classify needs --category or --severity")
        if severity is not None and severity not in SEVERITIES:
            raise InvalidInput(f"severity must be one of {', '.join(SEVERITIES)}")
        reason = reason.strip() if reason else None
        if severity is not None and severity != self.severity and not reason:
            raise RuleRefused(
                "severity-change-needs-reason", "changing the severity needs --reason"
            )
        known = getattr(self, "major_reasons", [])
        if (
            (category is None or category == self.category)
            and (severity is None or severity == self.severity)
            and not (severity == "major" and reason and reason not in known)
        ):
            return False
        self._classified(
            category=category or self.category,
            severity=severity or self.severity,
            reason=reason,
            previous_category=self.category,
            previous_severity=self.severity,
            severity_by=actor if severity is not None else self.severity_by,
            actor=actor,
        )
        return True

    @lazy_event("Classified", topic="complaints:Classified")
    def _classified(
        self,
        category: str,
        severity: str,
        reason: str | None,
        previous_category: str,
        previous_severity: str,
        severity_by: str | None,
        actor: str,
    ) -> None:
        self.category = category
        if severity != previous_severity:
            self.severity_by = severity_by
        self.severity = severity
        if severity == "major" and reason and reason not in getattr(self, "major_reasons", []):
            self.major_reasons = [*getattr(self, "major_reasons", []), reason]

    def note(self, text: str, actor: str) -> None:
        self.check_allowed("note")
        if not text.strip():
            raise InvalidInput("a note needs some text")
        self._noted(text=text, actor=actor)

    @lazy_event("Noted", topic="complaints:Noted")
    def _noted(self, text: str, actor: str) -> None:
        """Nothing the rules read changes (the note is in the event)."""

    def contact_customer(
        self, outcome: str, channel: str | None, summary: str | None, actor: str
    ) -> None:
        self.check_allowed("contact")
        if outcome not in CONTACT_OUTCOMES:
            raise InvalidInput(f"outcome must be one of {', '.join(CONTACT_OUTCOMES)}")
        self._customer_contacted(outcome=outcome, channel=channel, summary=summary, actor=actor)

    @lazy_event("CustomerContacted", topic="complaints:CustomerContacted")
    def _customer_contacted(
        self, outcome: str, channel: str | None, summary: str | None, actor: str
    ) -> None:
        self._start_work()

    def investigate(self, finding: str, actor: str) -> None:
        self.check_allowed("investigate")
        self._investigated(finding=finding, actor=actor)

    @lazy_event("Investigated", topic="complaints:Investigated")
    def _investigated(self, finding: str, actor: str) -> None:
        self._start_work()

    def assess(
        self,
        valid: bool,
        root_cause: str | None,
        at_fault: list[str],
        actor: str,
        departments: frozenset[str] = frozenset(),
    ) -> None:
        """Judge the case; ``departments`` tells which at-fault names are departments."""
        self.check_allowed("assess")
        names = list(dict.fromkeys(at_fault))
        self._assessed(
            valid=valid,
            root_cause=root_cause,
            at_fault=names,
            actor=actor,
            at_fault_staff=[n for n in names if n not in departments],
            at_fault_departments=[n for n in names if n in departments],
        )

    @lazy_event("Assessed", topic="complaints:Assessed")
    def _assessed(
        self,
        valid: bool,
        root_cause: str | None,
        at_fault: list[str],
        actor: str,
        at_fault_staff: list[str] | None = None,
        at_fault_departments: list[str] | None = None,
    ) -> None:
        self.valid = valid
        self._start_work()

    def record_loss(self, loss: Decimal, currency: str, actor: str) -> None:
        """The customer's documented direct loss: the bound of any compensation."""
        self.check_allowed("assess")
        check_amount(loss, "the loss")
        self.trigger_event(
            event_class(type(self), "LossRecorded"), loss=loss, currency=currency, actor=actor
        )

    # -- escalate --------------------------------------------------------

    def escalate(self, to_tier: int, reason: str, staff: StaffMember) -> None:
        """Escalation goes up one or more tiers; only a manager lowers it."""
        self.check_allowed("escalate")
        if not reason.strip():
            raise InvalidInput("escalate needs a --reason")
        if to_tier not in TIERS:
            raise InvalidInput("tier must be 1, 2 or 3")
        if to_tier == self.tier:
            raise RuleRefused("escalation-goes-up", f"{self.ref} is already at tier {to_tier}")
        if to_tier < self.tier:
            if not staff.is_manager:
                raise RuleRefused(
                    "only-manager-lowers-tier",
                    f"only a manager lowers a case from tier {self.tier} to {to_tier}",
                )
            self._deescalated(from_tier=self.tier, to_tier=to_tier, reason=reason, actor=staff.name)
        else:
            if to_tier == 3 and not staff.is_supervisor:
                # Tier 3 calls in the general manager: a supervisor's or manager's call.
                raise RuleRefused(
                    "tier-3-needs-supervisor",
                    "only a supervisor or a manager escalates a case to tier 3 (general manager)",
                )
            self._escalated(from_tier=self.tier, to_tier=to_tier, reason=reason, actor=staff.name)

    @lazy_event("Escalated", topic="complaints:Escalated")
    def _escalated(self, from_tier: int, to_tier: int, reason: str, actor: str) -> None:
        self.tier = to_tier
        self._start_work()

    @lazy_event("Deescalated", topic="complaints:Deescalated")
    def _deescalated(self, from_tier: int, to_tier: int, reason: str, actor: str) -> None:
        self.tier = to_tier

    # -- resolve, follow up, close -----------------------------------------

    def resolve(self, summary: str, actor: str) -> None:
        self.check_allowed("resolve")
        p = self.pending_proposal
        if p is not None:
            raise RuleRefused(
                "resolve-with-pending-proposal",
                f"the customer has not answered proposal {p['number']} yet",
            )
        self._resolved(summary=summary, actor=actor)

    @lazy_event("Resolved", topic="complaints:Resolved")
    def _resolved(self, summary: str, actor: str) -> None:
        self.status = "resolved"

    def follow_up(
        self,
        outcome: str,
        channel: str | None,
        satisfaction: int | None,
        leftover: str | None,
        actor: str,
    ) -> None:
        """A follow-up that reports a leftover problem reopens the case."""
        self.check_allowed("followup")
        if outcome not in FOLLOWUP_OUTCOMES:
            raise InvalidInput(f"outcome must be one of {', '.join(FOLLOWUP_OUTCOMES)}")
        if satisfaction is not None and not 1 <= satisfaction <= 5:
            raise InvalidInput("satisfaction must be 1 to 5")
        if outcome != "reached" and (satisfaction is not None or leftover):
            raise InvalidInput("satisfaction and leftover need outcome 'reached'")
        self._followed_up(
            outcome=outcome,
            channel=channel,
            satisfaction=satisfaction,
            leftover=leftover or None,
            actor=actor,
        )
        if leftover:
            self._reopened(
                reason=f"leftover problem at follow-up: {leftover}",
                from_status=self.status,
                trigger="followup",
                actor=actor,
            )

    @lazy_event("FollowedUp", topic="complaints:FollowedUp")
    def _followed_up(
        self,
        outcome: str,
        channel: str | None,
        satisfaction: int | None,
        leftover: str | None,
        actor: str,
    ) -> None:
        """Nothing the rules read changes (a leftover problem reopens: another event)."""

    def reopen(self, reason: str, staff: StaffMember) -> None:
        self.check_allowed("reopen")
        if self.status == "archived" and not staff.is_manager:
            raise RuleRefused(
                "archived-reopen-needs-manager", "only a manager reopens an archived case"
            )
        if self.status == "closed" and not staff.is_supervisor:
            raise RuleRefused(
                "closed-reopen-needs-supervisor",
                "only a supervisor or a manager reopens a closed case",
            )
        self._reopened(reason=reason, from_status=self.status, trigger="person", actor=staff.name)

    @lazy_event("Reopened", topic="complaints:Reopened")
    def _reopened(self, reason: str, from_status: str, trigger: str, actor: str) -> None:
        self.status = "in_progress"

    def close(self, actor: str) -> None:
        self.check_allowed("close")
        self._closed(actor=actor)

    @lazy_event("Closed", topic="complaints:Closed")
    def _closed(self, actor: str) -> None:
        self.status = "closed"

    def review(
        self,
        root_cause: str,
        lesson: str,
        action: str | None,
        action_owner: str | None,
        actor: str,
        action_due: datetime | None = None,
    ) -> None:
        self.check_allowed("review")
        if (action_owner or action_due) and not action:
            raise InvalidInput("--action-owner and --action-due need --action")
        self._reviewed(
            root_cause=root_cause,
            lesson=lesson,
            action=action,
            action_owner=action_owner,
            actor=actor,
            action_due=action_due,
        )

    @lazy_event("Reviewed", topic="complaints:Reviewed")
    def _reviewed(
        self,
        root_cause: str,
        lesson: str,
        action: str | None,
        action_owner: str | None,
        actor: str,
        action_due: datetime | None = None,
    ) -> None:
        if action:
            self._action_added()

    def archive(self, actor: str) -> None:
        self.check_allowed("archive")
        self._archived(actor=actor)

    @lazy_event("Archived", topic="complaints:Archived")
    def _archived(self, actor: str) -> None:
        self.status = "archived"

    def withdraw(self, reason: str, actor: str) -> None:
        self.check_allowed("withdraw")
        self._withdrawn(reason=reason, actor=actor)

    @lazy_event("Withdrawn", topic="complaints:Withdrawn")
    def _withdrawn(self, reason: str, actor: str) -> None:
        self.status = "withdrawn"

    # -- around the case ---------------------------------------------------

    def link(self, refs: list[str], group: str | None, actor: str) -> None:
        self.check_allowed("link")
        self._linked(refs=list(refs), group=group, actor=actor)

    @lazy_event("Linked", topic="complaints:Linked")
    def _linked(self, refs: list[str], group: str | None, actor: str) -> None:
        """Nothing the rules read changes (the links are in the event)."""

    def attach(
        self, name: str, size: int, media_type: str, sha256: str, kind: str, actor: str
    ) -> None:
        self.check_allowed("attach")
        self._attached(
            name=name, size=size, media_type=media_type, sha256=sha256, kind=kind, actor=actor
        )

    @lazy_event("Attached", topic="complaints:Attached")
    def _attached(
        self, name: str, size: int, media_type: str, sha256: str, kind: str, actor: str
    ) -> None:
        """Nothing the rules read changes (the attachment is in the event)."""

    def extend_decision(self, decision_due: datetime | None, reason: str, actor: str) -> None:
        """``decision_due`` is the policy's next step, None if the policy has no further one."""
        self.check_allowed("extend")
        if decision_due is None:
            raise RuleRefused(
                "no-further-extension",
                "the config allows no (further) extension of the decision date",
            )
        self._decision_extended(
            extension=self.decision_extensions + 1,
            decision_due=decision_due,
            reason=reason,
            actor=actor,
        )

    @lazy_event("DecisionExtended", topic="complaints:DecisionExtended")
    def _decision_extended(
        self, extension: int, decision_due: datetime, reason: str, actor: str
    ) -> None:
        self.decision_extensions = extension


# The events around the main line (events.casework) and the remedies' (events.remedies,
# events.remedywork) are a case's too: like the methods' events, built on first use.
install(Complaint, casework.EVENTS + remedies.EVENTS + remedywork.EVENTS)
