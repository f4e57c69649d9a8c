"""Remedy proposals in parts and options: their money, their limits, their bounds.

A proposal is one or more *options* the customer may choose from
(``propose --alternative``), each made of one or more *parts* (``propose
--add``: 4,000 compensation and re-shipping the wrecked goods). Approval
covers the whole proposal: for each currency, the most any one option costs
(the customer takes one option, never two). Compensation is bounded by the
customer's documented direct loss (``assess --loss``) and is not paid on a
case judged not valid; a manager may override either bound with a reason.

These are plain functions over plain data so that the aggregate
(:mod:`events.complaint`) and the application share them without a policy
inside the aggregate.
"""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal
from typing import Any

from events.errors import InvalidInput, RuleRefused
from events.lazyevents import EventSpec
from events.lifecycle import REMEDY_STATES as REMEDY_STATES
from events.money import check_amount
from events.policy import REMEDY_KINDS, Policy, StaffMember

#: How a further ``propose`` relates to the open proposal.
MODES = ("add", "alternative", "replace")
#: The remedy kind that is money for the customer's loss (bounded by it).
COMPENSATION = "compensation"

Part = dict[str, Any]
Option = list[Part]


class LossRecorded(EventSpec):
    """``assess --loss``: the customer's documented direct loss, the bound of compensation."""

    TOPIC = "complaints:LossRecorded"
    loss: Decimal
    currency: str
    actor: str

    def apply(self, aggregate: Any) -> None:
        aggregate.loss = {"amount": self.loss, "currency": self.currency}


class RemedyPartAdded(EventSpec):
    """One more part of option ``option`` of the open proposal (one past the last option:
    an alternative); the whole proposal's approval needs, and whether an approval stands."""

    TOPIC = "complaints:RemedyPartAdded"
    proposal: int
    option: int
    kind: str
    amount: Decimal | None
    currency: str | None
    detail: str | None
    proposer_tier: int
    needs_approval: bool
    required_tier: int
    approval_kept: bool
    override: str | None
    override_reason: str | None
    actor: str

    def apply(self, aggregate: Any) -> None:
        p = aggregate.proposals[self.proposal - 1]
        if self.option > len(p["options"]):
            p["options"].append([])
        p["options"][self.option - 1].append(
            part(self.kind, self.amount, self.currency, self.detail)
        )
        p["needs_approval"], p["proposer_tier"] = self.needs_approval, self.proposer_tier
        p["required_tier"] = self.required_tier if self.needs_approval else None
        if not self.approval_kept:
            p["approved_by"], p["approver_tier"] = None, None


#: The events that ``Complaint`` takes as its own (built on first use).
EVENTS = (LossRecorded, RemedyPartAdded)


def part(kind: str, amount: Decimal | None, currency: str | None, detail: str | None) -> Part:
    return {"kind": kind, "amount": amount, "currency": currency, "detail": detail}


def _amount(value: Any) -> Decimal:
    return value if isinstance(value, Decimal) else Decimal(str(value))


def option_totals(option: Option, kinds: tuple[str, ...] | None = None) -> dict[str, Decimal]:
    """The money of one option, per currency (only parts of ``kinds``, if given)."""
    totals: dict[str, Decimal] = defaultdict(Decimal)
    for p in option:
        if p.get("amount") is None or (kinds is not None and p["kind"] not in kinds):
            continue
        totals[p["currency"]] += _amount(p["amount"])
    return dict(totals)


def proposal_totals(options: list[Option]) -> dict[str, Decimal]:
    """What approving the whole proposal commits, per currency: the dearest option's amount."""
    worst: dict[str, Decimal] = {}
    for option in options:
        for currency, total in option_totals(option).items():
            worst[currency] = max(worst.get(currency, Decimal(0)), total)
    return worst


def within(policy: Policy, tier: int, totals: dict[str, Decimal]) -> bool:
    """True if someone of ``tier`` may offer all of it: every currency within the limit."""
    return all(policy.within_limit(tier, amount, cur) for cur, amount in totals.items())


def required_tier(policy: Policy, totals: dict[str, Decimal]) -> int:
    """The lowest tier whose limit covers every currency of the proposal."""
    return max((policy.required_tier(a, c) for c, a in totals.items()), default=1)


def check_mode(mode: str | None) -> None:
    if mode is not None and mode not in MODES:
        raise InvalidInput(f"mode must be one of {', '.join(MODES)}")


def check_compensation(
    options: list[Option],
    valid: bool | None,
    loss: dict[str, Any] | None,
    staff: StaffMember,
    override_reason: str | None,
) -> str | None:
    """Refuse compensation the case does not bear, unless a manager overrides with a reason.

    Returns the name of the rule overridden (recorded in the event), or None.
    """
    paid = [option_totals(o, (COMPENSATION,)) for o in options]
    broken: tuple[str, str] | None = None
    if valid is False and any(paid):
        broken = (
            "compensation-on-invalid-case",
            "the case was judged not valid (the customer's own cause): explain, don't pay",
        )
    elif loss is not None:
        cap_currency, cap = loss["currency"], _amount(loss["amount"])
        for totals in paid:
            for currency, amount in totals.items():
                if currency != cap_currency or amount > cap:
                    broken = (
                        "compensation-above-loss",
                        f"compensation {amount} {currency} is above the documented direct loss "
                        f"{cap} {cap_currency}",
                    )
    if broken is None:
        return None
    rule, message = broken
    if override_reason is None:
        raise RuleRefused(rule, f"{message} (a manager may override with --override-reason)")
    if not staff.is_manager:
        raise RuleRefused("override-needs-manager", f"only a manager overrides {rule}")
    if not override_reason.strip():
        raise InvalidInput("--override-reason must not be empty")
    return rule


def prospective(proposals: list[dict[str, Any]], mode: str | None, new: Part) -> list[Option]:
    """The options of the proposal that this ``propose`` makes (the open one changed, or new)."""
    open_ = next((p for p in reversed(proposals) if p["state"] == "pending"), None)
    if mode in ("add", "alternative"):
        if open_ is None:
            raise RuleRefused(
                "no-open-proposal", f"--{mode} needs an open proposal; propose without it first"
            )
        options = [list(o) for o in open_["options"]]
        if mode == "add":
            options[-1].append(new)
        else:
            options.append([new])
        return options
    if open_ is not None and mode != "replace":
        state = "approved" if open_["approved_by"] else "open"
        raise RuleRefused(
            "proposal-open",
            f"proposal {open_['number']} is {state}: use --add (one more part), "
            "--alternative (another option) or --replace (withdraw it and start a new one)",
        )
    return [[new]]


def plan(
    proposals: list[dict[str, Any]],
    valid: bool | None,
    loss: dict[str, Any] | None,
    mode: str | None,
    new: Part,
    staff: StaffMember,
    policy: Policy,
    override_reason: str | None,
) -> tuple[str, dict[str, Any]]:
    """Which event a ``propose`` makes (``new`` proposal, or a ``part`` added) and its payload.

    Refuses (before anything is saved) a proposal the mode does not allow,
    and compensation the case does not bear; computes whether the whole
    proposal needs approval, and whether an approval already given still covers it.
    """
    if new["kind"] not in REMEDY_KINDS:
        raise InvalidInput(f"remedy must be one of {', '.join(REMEDY_KINDS)}")
    check_amount(new["amount"])
    if (new["amount"] is None) != (new["currency"] is None):
        raise InvalidInput("--amount and --currency go together")
    check_mode(mode)
    options = prospective(proposals, mode, new)
    overridden = check_compensation(options, valid, loss, staff, override_reason)
    totals = proposal_totals(options)
    common = {
        **new,
        "override": overridden,
        "override_reason": override_reason if overridden else None,
        "actor": staff.name,
    }
    pending = next((p for p in reversed(proposals) if p["state"] == "pending"), None)
    if mode in ("add", "alternative"):
        assert pending is not None
        tier = min(pending["proposer_tier"], staff.tier)
        approver = pending["approver_tier"]
        return "part", {
            **common,
            "proposal": pending["number"],
            "option": len(options),  # the last option grew, or a new one (an alternative)
            "proposer_tier": tier,
            "needs_approval": not within(policy, tier, totals),
            "required_tier": required_tier(policy, totals),
            # An approval stands only while the whole proposal is within the approver's limit.
            "approval_kept": approver is not None and within(policy, approver, totals),
        }
    needs = not within(policy, staff.tier, totals)
    return "new", {
        **common,
        "proposal": len(proposals) + 1,
        "proposer_tier": staff.tier,
        "needs_approval": needs,
        "required_tier": required_tier(policy, totals) if needs else None,
        "supersedes": pending["number"] if pending else None,
    }


def check_approval(proposal: dict[str, Any], staff: StaffMember) -> None:
    """Refuse an approval by someone whose tier does not cover the whole proposal."""
    p = proposal
    if p["approved_by"] is not None:
        raise RuleRefused(
            "already-approved", f"proposal {p['number']} was approved by {p['approved_by']}"
        )
    if p["needs_approval"]:
        needed = max(p["required_tier"] or 1, p["proposer_tier"] + 1)
        if staff.tier < needed:
            raise RuleRefused(
                "approval-needs-higher-tier",
                f"proposal {p['number']} needs approval by tier {needed} or above; "
                f"{staff.name} is tier {staff.tier}",
            )
    elif staff.tier <= p["proposer_tier"]:
        # Within the proposer's own limit: an "approval" by the proposer or a peer
        # would only put a name on the record that vouches for nothing.
        raise RuleRefused(
            "approval-not-needed",
            f"proposal {p['number']} is within the proposer's limit and needs no approval;"
            f" only someone above tier {p['proposer_tier']} may endorse it",
        )


def check_acceptance(proposal: dict[str, Any], option: int | None) -> int:
    """The option the customer takes (1 unless there are alternatives); refuse the unapproved."""
    p = proposal
    n = len(p["options"])
    if option is None and n > 1:
        raise InvalidInput(
            f"proposal {p['number']} offers {n} options: say which with --option 1..{n}"
        )
    if option is not None and not 1 <= option <= n:
        raise InvalidInput(f"proposal {p['number']} has options 1..{n}, not {option}")
    if p["needs_approval"] and p["approved_by"] is None:
        raise RuleRefused(
            "remedy-needs-approval",
            f"proposal {p['number']} is above the proposer's limit and is not approved yet",
        )
    return option or 1
