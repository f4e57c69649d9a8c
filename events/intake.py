"""What a person states when a complaint is received, and the rules that flag it major.

:class:`NewCase` is the input of ``ComplaintsApp.receive``; :class:`ImportRow`
one checked row of an import file; :func:`major_reasons` the config's major
rules (VIP, an influential customer type, a media threat, channel, demand
above a threshold in the shop's currency, a repeat complainant) that a new
complaint matches.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING

from events.casework import INFLUENTIAL_REASON, MEDIA_REASON, VIP_REASON
from events.policy import Policy

if TYPE_CHECKING:
    from events.customers import CustomerFile

#: The major reason of a media threat (a reason given later starts with it).


@dataclass(frozen=True)
class ImportRow:
    """One checked row of an import file: the case, its content hash, its line."""

    new: NewCase
    key: str
    line: int


#: The longest customer name, contact or account a receipt takes: a person's name, a
#: phone number or an address fits many times over; a longer one is a paste gone wrong,
#: and would widen every table and report that shows it.
MAX_NAME = 200


@dataclass(frozen=True)
class NewCase:
    """What a person states when a complaint is received."""

    customer: str
    contact: str
    channel: str
    category: str
    summary: str
    demand: str | None = None
    demand_amount: Decimal | None = None
    currency: str | None = None
    account: str | None = None
    severity: str | None = None
    severity_reason: str | None = None
    received_at: datetime | None = None
    occurred_at: datetime | None = None
    owner: str | None = None
    vip: bool = False
    media_threat: bool = False
    customer_type: str | None = None
    mood: str | None = None
    signed_by_customer: bool = False


def major_reasons(
    policy: Policy, new: NewCase, files: list[CustomerFile], received_at: datetime
) -> list[str]:
    """Which of the config's major rules this complaint matches."""
    rules = policy.major
    reasons: list[str] = []
    if new.vip or new.customer in rules.vip_customers:
        reasons.append(VIP_REASON)
    if new.customer_type and new.customer_type in rules.influential_types:
        reasons.append(INFLUENTIAL_REASON.format(type=new.customer_type))
    if new.media_threat:
        reasons.append(MEDIA_REASON)
    if new.channel in rules.channels:
        reasons.append(f"channel {new.channel}")
    threshold = rules.demand_threshold
    if threshold is not None and new.demand_amount is not None:
        currency = new.currency or policy.currency
        # Compared in the same currency only: a rate of exchange is no rule of the shop.
        if currency == policy.currency and new.demand_amount > threshold:
            limit = f"{threshold} {policy.currency}"
            reasons.append(f"demand {new.demand_amount} {currency} above {limit}")
    if rules.repeat_count:
        from events.customers import count_since  # its aggregate: only when receiving

        n = count_since(files, received_at - timedelta(days=rules.repeat_days)) + 1
        if n >= rules.repeat_count:
            reasons.append(f"complaint {n} of this customer within {rules.repeat_days} days")
    return reasons
