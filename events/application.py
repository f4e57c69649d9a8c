"""``ComplaintsApp``: the command methods (get -> check -> call -> save).

Every command takes the actor's name, loads the case afresh, lets the
aggregate check its rules, saves, and returns the case's reference: what a
case looks like is the read side's business (``projections.case`` folds the
saved events into the document that commands print). A save that meets a concurrent change
(``IntegrityError``) is retried from the reload, so the rules are checked
again against what the other writer did; after a few tries it gives up with
:class:`ConcurrentChange`. A refused command raises before anything is saved.
The plumbing is :mod:`events.casestore`; receiving a complaint (numbering,
customer files) is :mod:`events.receipt`.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from eventsourcing.domain import Aggregate

from events.businesstime import check_at
from events.complaint import Complaint
from events.currencies import currency_code
from events.errors import InvalidInput
from events.policy import ATTACHMENT_KINDS, StaffMember
from events.receipt import Receiving

if TYPE_CHECKING:
    from events.intake import ImportRow, NewCase

__all__ = ["ComplaintsApp", "ImportRow", "NewCase"]


def __getattr__(name: str) -> Any:
    # What a complaint is received with (events.intake): loaded for `new` and `import` only.
    if name in ("ImportRow", "NewCase"):
        from events import intake

        return getattr(intake, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


class ComplaintsApp(Receiving):
    """The write model's application; the persistence module comes from ``env``."""

    name = "Complaints"  # the library names an application by its class otherwise

    # -- the rest of the life of a case ----------------------------------------

    def acknowledge(
        self,
        ref: str,
        actor: str,
        reply_by: datetime | None = None,
        message: str | None = None,
    ) -> str:
        """Promise a reply time; by default the config's reply rule from now."""

        def act(c: Complaint, s: StaffMember) -> None:
            due = reply_by or self.policy.reply_deadline(self.now(), c.severity)
            if due < c.received_at:
                raise InvalidInput("the promised reply time is before the complaint was received")
            if message:  # a message naming no reply window is not checked (its patterns)
                from events.promises import check_message

                check_message(self.policy, message, self.now(), due, c.ref)
            c.acknowledge(due, message, s.name)

        return self._change(ref, actor, act)

    def assign(self, ref: str, owner: str, actor: str) -> str:
        self.policy.owner(owner)
        limit = self.policy.major.transfers

        def act(c: Complaint, s: StaffMember) -> None:
            c.assign(owner, s.name)
            c.passed_around(limit, s.name)

        return self._change(ref, actor, act)

    def transfer(
        self,
        ref: str,
        department: str,
        actor: str,
        reason: str | None = None,
        co_handle: bool = False,
    ) -> str:
        self.policy.check_department(department)
        limit = self.policy.major.transfers

        def act(c: Complaint, s: StaffMember) -> None:
            c.transfer(department, reason, co_handle, s.name)
            c.passed_around(limit, s.name)

        return self._change(ref, actor, act)

    def classify(
        self,
        ref: str,
        actor: str,
        category: str | None = None,
        severity: str | None = None,
        reason: str | None = None,
    ) -> str:
        if category is not None:
            self.policy.check_category(category)
        self.written = 0  # an unchanged case is not saved: nothing written
        return self._change(ref, actor, lambda c, s: c.classify(category, severity, reason, s.name))

    def note(self, ref: str, text: str, actor: str) -> str:
        return self._change(ref, actor, lambda c, s: c.note(text, s.name))

    def contact(
        self,
        ref: str,
        actor: str,
        outcome: str,
        channel: str | None = None,
        summary: str | None = None,
    ) -> str:
        return self._change(
            ref, actor, lambda c, s: c.contact_customer(outcome, channel, summary, s.name)
        )

    def investigate(self, ref: str, finding: str, actor: str) -> str:
        return self._change(ref, actor, lambda c, s: c.investigate(finding, s.name))

    def assess(
        self,
        ref: str,
        actor: str,
        valid: bool,
        root_cause: str | None = None,
        at_fault: list[str] | None = None,
        loss: Decimal | None = None,
        loss_currency: str | None = None,
    ) -> str:
        """Judge the case; ``loss``: the customer's documented direct loss (bounds compensation)."""
        depts = self.policy.department_names()
        if loss_currency is not None and loss is None:
            raise InvalidInput("--currency needs --loss")

        def act(c: Complaint, s: StaffMember) -> None:
            c.assess(valid, root_cause, list(at_fault or []), s.name, depts)
            if loss is not None:
                c.record_loss(loss, loss_currency or self.policy.currency, s.name)

        return self._change(ref, actor, act)

    def escalate(self, ref: str, actor: str, tier: int, reason: str) -> str:
        return self._change(ref, actor, lambda c, s: c.escalate(tier, reason, s))

    def propose(
        self,
        ref: str,
        actor: str,
        kind: str,
        amount: Decimal | None = None,
        currency: str | None = None,
        detail: str | None = None,
        mode: str | None = None,
        override_reason: str | None = None,
    ) -> str:
        """Offer a remedy, or (``mode``) add a part or an alternative to the open proposal,
        or replace it; above the proposer's tier limit the whole proposal needs approval."""
        p = self.policy
        if currency is not None and amount is None:
            raise InvalidInput("--currency needs --amount")
        if currency is not None:
            currency = currency_code(currency)
        if amount is not None and currency is None:
            currency = p.currency  # amounts are in the shop's currency unless stated
        return self._change(
            ref,
            actor,
            lambda c, s: c.propose(kind, amount, currency, detail, s, p, mode, override_reason),
        )

    def approve(self, ref: str, actor: str) -> str:
        return self._change(ref, actor, lambda c, s: c.approve(s))

    def accept(
        self, ref: str, actor: str, reason: str | None = None, option: int | None = None
    ) -> str:
        return self._change(ref, actor, lambda c, s: c.accept(reason, s.name, option))

    def reject(self, ref: str, actor: str, reason: str | None = None) -> str:
        return self._change(ref, actor, lambda c, s: c.reject(reason, s.name))

    def resolve(self, ref: str, actor: str, summary: str) -> str:
        return self._change(ref, actor, lambda c, s: c.resolve(summary, s.name))

    def follow_up(
        self,
        ref: str,
        actor: str,
        outcome: str,
        satisfaction: int | None = None,
        leftover: str | None = None,
        channel: str | None = None,
    ) -> str:
        return self._change(
            ref, actor, lambda c, s: c.follow_up(outcome, channel, satisfaction, leftover, s.name)
        )

    def reopen(self, ref: str, actor: str, reason: str) -> str:
        return self._change(ref, actor, lambda c, s: c.reopen(reason, s))

    def close_case(self, ref: str, actor: str) -> str:
        return self._change(ref, actor, lambda c, s: c.close(s.name))

    def review(
        self,
        ref: str,
        actor: str,
        root_cause: str,
        lesson: str,
        action: str | None = None,
        action_owner: str | None = None,
        action_due: datetime | None = None,
    ) -> str:
        if action_owner:
            self.policy.owner(action_owner)
        return self._change(
            ref,
            actor,
            lambda c, s: c.review(root_cause, lesson, action, action_owner, s.name, action_due),
        )

    def archive(self, ref: str, actor: str) -> str:
        return self._change(ref, actor, lambda c, s: c.archive(s.name))

    def withdraw(self, ref: str, actor: str, reason: str) -> str:
        return self._change(ref, actor, lambda c, s: c.withdraw(reason, s.name))

    def extend_decision(self, ref: str, actor: str, reason: str) -> str:
        """Move the regulatory decision date to the next extension of the config."""
        p = self.policy

        def act(c: Complaint, s: StaffMember) -> None:
            n = c.decision_extensions + 1
            has_step = p.decision_days is not None and n <= len(p.decision_extensions)
            due = p.decision_deadline(c.received_at, n) if has_step else None
            c.extend_decision(due, reason, s.name)

        return self._change(ref, actor, act)

    def attach(
        self,
        ref: str,
        actor: str,
        *,
        name: str,
        size: int,
        media_type: str,
        sha256: str,
        kind: str = "document",
    ) -> str:
        """Record evidence whose bytes the edge has stored by their SHA-256."""
        if kind not in ATTACHMENT_KINDS:
            raise InvalidInput(f"kind must be one of {', '.join(ATTACHMENT_KINDS)}")
        return self._change(
            ref, actor, lambda c, s: c.attach(name, size, media_type, sha256, kind, s.name)
        )

    def link(self, refs: list[str], actor: str, group: str | None = None) -> dict[str, Any]:
        """Link cases to each other and, with a group name, to a group (created if new)."""
        from events.groups import CaseGroup, check_group_name, group_id, group_major

        wanted = list(dict.fromkeys(r.strip().upper() for r in refs))
        if group is not None:
            check_group_name(group)
        if len(wanted) < (1 if group else 2):
            raise InvalidInput("link needs two cases, or one case and --group")

        def attempt() -> dict[str, Any]:
            staff = self._staff(actor)
            cases = [self._case(r) for r in wanted]
            for c in cases:
                check_at(self.clock(), c.ref, c.modified_on)
            g: CaseGroup | None = None
            if group:
                g = self._load(CaseGroup, group_id(group)) or CaseGroup(
                    name=group.strip(), actor=staff.name
                )
            name = g.name if g else None  # the name the group was opened with
            for c in cases:
                c.link([o.ref for o in cases if o is not c], name, staff.name)
            to_save: list[Aggregate] = list(cases)
            if g is not None:
                before = list(g.members)
                g.add([c.ref for c in cases], staff.name)
                to_save.append(g)
                size = self.policy.major.group_size
                to_save += group_major(
                    self._case, self.customer_of, size, g, before, cases, staff.name
                )
            self.save(*to_save)
            if g is not None and g.version % self.snapshot_every == 0:
                self._snapshot(g.id)
            return {"linked": [c.ref for c in cases], "group": name}

        return self._retrying(attempt)
