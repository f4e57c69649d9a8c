"""The shop's rules as plain data: what the write model checks, nothing about files.

``complaintctl.config`` builds a :class:`Policy` from ``complaintctl.toml``;
tests build one directly. Keeping it here lets the rules be tested without
the command line.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal
from functools import cached_property
from zoneinfo import ZoneInfo

from events.calendar import WorkingCalendar
from events.errors import InvalidInput, RuleRefused
from events.records import field, frozen

SEVERITIES = ("general", "major")
ROLES = ("agent", "supervisor", "manager", "auditor")
REMEDY_KINDS = (
    "repair",
    "refund",
    "fee-waiver",
    "replacement",
    "gift",
    "free-service",
    "apology-visit",
    "compensation",
)
CONTACT_OUTCOMES = ("reached", "no-answer", "refused")
FOLLOWUP_OUTCOMES = ("reached", "unreachable", "refused")
ATTACHMENT_KINDS = ("recording", "photo", "signed-form", "document")
TIERS = (1, 2, 3)
#: What a shop starts with when it says nothing else (``init --preset general`` writes these).
DEFAULT_CATEGORIES = (
    "product-quality",
    "service-attitude",
    "technical-fault",
    "billing",
    "appointment",
    "repair-quality",
    "delivery",
    "other",
)
#: The channels every kind of shop meets.
DEFAULT_CHANNELS = (
    "walk-in",
    "phone",
    "letter",
    "email",
    "web",
    "follow-up-call",
    "consumer-association",
    "regulator",
    "media",
)
#: Customer types that make a case major: officials, journalists, lawyers.
DEFAULT_INFLUENTIAL_TYPES = ("official", "journalist", "lawyer")
#: Channels that make a new case major by rule.
DEFAULT_MAJOR_CHANNELS = ("media", "regulator", "consumer-association")


@frozen
class StaffMember:
    """One person who may act: their tier decides remedy limits and approvals."""

    name: str
    tier: int = 1
    role: str = "agent"
    department: str = ""

    @property
    def is_manager(self) -> bool:
        return self.role == "manager"

    @property
    def is_supervisor(self) -> bool:
        """A supervisor or a manager: may reopen closed cases and call in the general manager."""
        return self.role in ("supervisor", "manager")

    @property
    def is_auditor(self) -> bool:
        """Auditors read everything and write nothing (DOMAIN.md: they must trust the log)."""
        return self.role == "auditor"


@frozen
class Tier:
    """An escalation tier; ``remedy_limit`` None means no limit."""

    number: int
    title: str
    remedy_limit: Decimal | None


@frozen
class MajorRules:
    """When a new complaint is flagged major by rule rather than by a person."""

    vip_customers: tuple[str, ...] = ()
    channels: tuple[str, ...] = DEFAULT_MAJOR_CHANNELS
    demand_threshold: Decimal | None = None
    repeat_count: int | None = 3
    repeat_days: int = 90
    #: Customer types that make a case major (``new/classify --customer-type``).
    influential_types: tuple[str, ...] = DEFAULT_INFLUENTIAL_TYPES
    #: Transfers or changes of owner from which a customer counts as passed around.
    transfers: int | None = 3
    #: Cases in one group complaint from which each of them is major.
    group_size: int | None = 3


@frozen
class Policy:
    """Everything configurable that a rule reads."""

    categories: tuple[str, ...] = DEFAULT_CATEGORIES
    channels: tuple[str, ...] = DEFAULT_CHANNELS
    departments: tuple[str, ...] = ()
    currency: str = "CNY"
    reply_hours: int = 24
    reply_hours_major: int | None = None
    reply_basis: str = "calendar"  # or "working": only working days count
    timezone: str = "UTC"
    working_days: tuple[int, ...] = (1, 2, 3, 4, 5)  # ISO weekday numbers
    holidays: tuple[date, ...] = ()
    #: Dates worked although the weekdays or the official calendar say not (``[calendar]``).
    workdays: tuple[date, ...] = ()
    #: The official calendar of holidays and 调休 the shop keeps (``cn``), or None.
    official_holidays: str | None = None
    tiers: dict[int, Tier] = field(
        default_factory=lambda: {
            1: Tier(1, "front line", Decimal("500")),
            2: Tier(2, "department manager", Decimal("5000")),
            3: Tier(3, "general manager", None),
        }
    )
    staff: dict[str, StaffMember] = field(default_factory=dict)
    allow_unknown_staff: bool = True
    major: MajorRules = field(default_factory=MajorRules)
    decision_days: int | None = None
    decision_extensions: tuple[int, ...] = ()
    retention_days: int | None = None  # closed cases older than this are purge candidates

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @cached_property
    def calendar(self) -> WorkingCalendar:
        """The working calendar of every deadline, the write model's and the SLA clock's."""
        return WorkingCalendar(
            zone=self.zone,
            basis=self.reply_basis,
            working_days=frozenset(self.working_days),
            holidays=frozenset(self.holidays),
            workdays=frozenset(self.workdays),
            official=self.official_holidays,
        )

    # -- people ----------------------------------------------------------

    def staff_member(self, actor: str) -> StaffMember:
        """The actor as staff; unknown actors are tier-1 agents if the shop allows them."""
        member = self.staff.get(actor)
        if member is not None:
            return member
        if self.allow_unknown_staff:
            return StaffMember(name=actor)
        raise RuleRefused(
            "staff-only", f"{actor!r} is not in the staff list and unknown staff are not allowed"
        )

    def writer(self, actor: str) -> StaffMember:
        """The actor as staff who may change the store: auditors are refused.

        Every writing command goes through this (never through ``staff_member``
        alone), so an auditor's read-only role cannot be forgotten by one command.
        """
        member = self.staff_member(actor)
        if member.is_auditor:
            raise RuleRefused(
                "auditor-read-only", f"{actor!r} is an auditor: auditors read and never write"
            )
        return member

    def owner(self, name: str) -> StaffMember:
        """A person a case may be given to: known (or unknown allowed), and not an auditor."""
        member = self.staff_member(name)
        if member.is_auditor:
            raise RuleRefused("auditor-read-only", f"{name!r} is an auditor and cannot own a case")
        return member

    def require_role(self, actor: str, roles: tuple[str, ...], rule: str, what: str) -> StaffMember:
        """The actor as a writer with one of ``roles``, else refused by ``rule``.

        For store-wide acts that are not about one case (``migrate``,
        ``forget``): the case rules live on the aggregate instead.
        """
        member = self.writer(actor)
        if member.role not in roles:
            raise RuleRefused(
                rule, f"{what} needs the role {' or '.join(roles)}; {actor!r} is {member.role}"
            )
        return member

    # -- remedies --------------------------------------------------------

    def remedy_limit(self, tier: int) -> Decimal | None:
        t = self.tiers.get(tier)
        return t.remedy_limit if t is not None else None

    def within_limit(self, tier: int, amount: Decimal | None, currency: str | None) -> bool:
        """True if someone of ``tier`` may offer this remedy without approval.

        Limits are in the policy's currency; an amount in another currency
        is within no limit except an unlimited one.
        """
        if amount is None:
            return True
        limit = self.remedy_limit(tier)
        if limit is None:
            return True
        if currency is not None and currency != self.currency:
            return False
        return amount <= limit

    def required_tier(self, amount: Decimal | None, currency: str | None) -> int:
        """The lowest tier whose limit covers the amount."""
        for number in sorted(self.tiers):
            if self.within_limit(number, amount, currency):
                return number
        return max(self.tiers) if self.tiers else 3

    # -- validation of values a person typed ------------------------------

    def check_channel(self, channel: str) -> None:
        if channel not in self.channels:
            raise InvalidInput(
                f"unknown channel {channel!r}; the config knows: {', '.join(self.channels)}"
            )

    def check_category(self, category: str) -> None:
        if category not in self.categories:
            raise InvalidInput(
                f"unknown category {category!r}; the config knows: {', '.join(self.categories)}"
            )

    def department_names(self) -> frozenset[str]:
        """Departments the config names, in its list or as a staff member's department."""
        return frozenset(self.departments) | {
            m.department for m in self.staff.values() if m.department
        }

    def check_department(self, department: str) -> None:
        if self.departments and department not in self.departments:
            raise InvalidInput(
                f"unknown department {department!r}; "
                f"the config knows: {', '.join(self.departments)}"
            )

    # -- time ------------------------------------------------------------

    def reply_deadline(self, start: datetime, severity: str) -> datetime:
        """When the customer must hear back, from the shop's reply-time rule.

        Calendar hours, or (``reply_basis = "working"``) hours of working days
        only, on the shop's :attr:`calendar`.
        """
        return self.calendar.add_hours(start, self.reply_hours_for(severity))

    def reply_hours_for(self, severity: str) -> int:
        """The reply-time target of a case of this severity (major cases may have their own)."""
        if severity == "major" and self.reply_hours_major is not None:
            return self.reply_hours_major
        return self.reply_hours

    def decision_deadline(self, received_at: datetime, extension: int = 0) -> datetime | None:
        """The regulatory decision date: ``decision_days``, or the n-th extension of it."""
        if self.decision_days is None:
            return None
        days = self.decision_days if extension == 0 else self.decision_extensions[extension - 1]
        return received_at + timedelta(days=days)
