"""A case's remedy proposals: propose (parts, alternatives, a replacement), approve, answer.

:class:`RemedyWork` holds the commands that :class:`events.complaint.Complaint`
mixes in, and the event classes below are the case's events (``Complaint``
names each in its namespace, as it does those of :mod:`events.casework`). The
money rules they check (limits per currency, the loss bound, who approves)
are :mod:`events.remedies`; this module is what a proposal's life records.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any, cast

from events import remedies
from events.errors import RuleRefused
from events.lazyevents import EventSpec, event_class
from events.policy import Policy, StaffMember


class RemedyProposed(EventSpec):
    """A new proposal (its first part); an open one it replaces is superseded."""

    TOPIC = "complaints:RemedyProposed"
    proposal: int
    kind: str
    amount: Decimal | None
    currency: str | None
    detail: str | None
    proposer_tier: int
    needs_approval: bool
    required_tier: int | None
    supersedes: int | None
    actor: str
    override: str | None = None
    override_reason: str | None = None

    def apply(self, aggregate: Any) -> None:
        for p in aggregate.proposals:
            if p["state"] == "pending":
                p["state"] = "superseded"
        aggregate.proposals.append(
            {
                "number": self.proposal,
                "proposer_tier": self.proposer_tier,
                "needs_approval": self.needs_approval,
                "required_tier": self.required_tier,
                "approved_by": None,
                "approver_tier": None,
                "state": "pending",
                "options": [[remedies.part(self.kind, self.amount, self.currency, self.detail)]],
            }
        )
        aggregate.status = "awaiting_customer"


class RemedyApproved(EventSpec):
    TOPIC = "complaints:RemedyApproved"
    proposal: int
    approver_tier: int
    actor: str

    def apply(self, aggregate: Any) -> None:
        p = aggregate.proposals[self.proposal - 1]
        p["approved_by"], p["approver_tier"] = self.actor, self.approver_tier


class RemedyAccepted(EventSpec):
    TOPIC = "complaints:RemedyAccepted"
    proposal: int
    reason: str | None
    actor: str
    option: int | None = None

    def apply(self, aggregate: Any) -> None:
        aggregate.proposals[self.proposal - 1]["state"] = "accepted"
        aggregate.status = "in_progress"


class RemedyRejected(EventSpec):
    TOPIC = "complaints:RemedyRejected"
    proposal: int
    reason: str | None
    actor: str

    def apply(self, aggregate: Any) -> None:
        aggregate.proposals[self.proposal - 1]["state"] = "rejected"
        aggregate.status = "in_progress"


#: The events that ``Complaint`` takes as its own (built on first use).
EVENTS = (RemedyProposed, RemedyApproved, RemedyAccepted, RemedyRejected)


class RemedyWork:
    """The case's remedy commands (mixed into ``Complaint``)."""

    # What these rules read, set by Complaint (class defaults: older snapshots lack them).
    ref: str
    proposals: list[dict[str, Any]]
    valid: bool | None = None
    loss: dict[str, Any] | None = None
    trigger_event: Callable[..., Any]
    check_allowed: Callable[[str], None]

    def _remedy_event(self, spec: type[EventSpec], **kwargs: Any) -> None:
        # The aggregate's own class of the event (built on first use: events.lazyevents).
        self.trigger_event(event_class(type(self), spec.__name__), **kwargs)

    @property
    def pending_proposal(self) -> dict[str, Any] | None:
        for p in reversed(self.proposals):
            if p["state"] == "pending":
                return cast(dict[str, Any], p)
        return None

    def propose(
        self,
        kind: str,
        amount: Decimal | None,
        currency: str | None,
        detail: str | None,
        staff: StaffMember,
        policy: Policy,
        mode: str | None = None,
        override_reason: str | None = None,
    ) -> None:
        """A new proposal, or (``mode``) one more part or option of the open one, or a new one
        replacing it; the whole proposal is checked against the limits and the loss."""
        self.check_allowed("propose")
        new = remedies.part(kind, amount, currency, detail)
        case = (self.proposals, self.valid, self.loss)
        event, args = remedies.plan(*case, mode, new, staff, policy, override_reason)
        kind_of = RemedyProposed if event == "new" else remedies.RemedyPartAdded
        self._remedy_event(kind_of, **args)

    def _require_pending(self, rule: str) -> dict[str, Any]:
        p = self.pending_proposal
        if p is None:
            raise RuleRefused(rule, f"{self.ref} has no pending remedy proposal")
        return p

    def approve(self, staff: StaffMember) -> None:
        """The whole proposal (all parts, all options) above the proposer's limit needs
        someone of a higher tier whose own limit covers it."""
        self.check_allowed("approve")
        p = self._require_pending("approval-needs-pending-proposal")
        remedies.check_approval(p, staff)
        self._remedy_event(
            RemedyApproved, proposal=p["number"], approver_tier=staff.tier, actor=staff.name
        )

    def accept(self, reason: str | None, actor: str, option: int | None = None) -> None:
        """The customer takes the open proposal; with alternatives, the one they chose."""
        self.check_allowed("accept")
        p = self._require_pending("acceptance-needs-pending-proposal")
        chosen = remedies.check_acceptance(p, option)
        self._remedy_event(
            RemedyAccepted, proposal=p["number"], reason=reason, actor=actor, option=chosen
        )

    def reject(self, reason: str | None, actor: str) -> None:
        self.check_allowed("reject")
        p = self._require_pending("rejection-needs-pending-proposal")
        self._remedy_event(RemedyRejected, proposal=p["number"], reason=reason, actor=actor)
