"""The shop's rules: the lists, the working calendar, the reply clock, the regulator's
deadlines, tiers, staff and the major rules (a :class:`~events.policy.Policy`, what the
write model reads), and what the read models add (a
:class:`~projections.settings.ReadSettings`: the SLA clock's pauses, follow-ups, shifts).
"""

from __future__ import annotations

from datetime import date, time
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from complaintctl.config.checks import (
    MAX_COUNT,
    MAX_DAYS,
    MAX_HOURS,
    ConfigError,
    amount,
    dates,
    flag,
    known,
    one_of,
    opt_whole,
    strings,
    subtable,
    text,
    whole,
)
from complaintctl.i18n import _
from events.calendar import BASES
from events.currencies import currency_code
from events.errors import InvalidInput
from events.lifecycle import STATUSES
from events.policy import (
    DEFAULT_INFLUENTIAL_TYPES,
    ROLES,
    SEVERITIES,
    MajorRules,
    Policy,
    StaffMember,
    Tier,
)
from projections.settings import ReadSettings

# The keys each table may hold; anything else is refused, naming the dotted key.
_CALENDAR_KEYS = frozenset({"holidays", "workdays"})
_REPLY_KEYS = frozenset({"hours", "major_hours", "basis", "pause_statuses", "resolve_hours"})
_REGULATORY_KEYS = frozenset({"decision_days", "extensions"})
_TIER_KEYS = frozenset({"title", "remedy_limit"})
_STAFF_KEYS = frozenset({"tier", "role", "department"})
_MAJOR_KEYS = frozenset(
    {
        "vip_customers",
        "channels",
        "demand_threshold",
        "repeat_count",
        "repeat_days",
        "influential_types",
        "transfers",
        "group_size",
    }
)
_SHIFT_KEYS = frozenset({"start", "end"})


def _calendar(shop: dict[str, Any]) -> tuple[str, tuple[int, ...], tuple[date, ...]]:
    """The shop's zone, working weekdays and holidays."""
    tz = text(shop, "timezone", "shop", "UTC")
    try:
        ZoneInfo(tz)
    except (ZoneInfoNotFoundError, ValueError):
        raise ConfigError(
            "shop.timezone", _("unknown time zone {zone}").format(zone=repr(tz))
        ) from None
    days = shop.get("working_days", [1, 2, 3, 4, 5])
    if (
        not isinstance(days, list)
        or not days
        or not all(isinstance(d, int) and not isinstance(d, bool) and 1 <= d <= 7 for d in days)
    ):
        raise ConfigError(
            "shop.working_days", _("must be a non-empty list of ISO weekdays 1 (Monday) to 7")
        )
    return tz, tuple(days), dates(shop, "holidays", "shop")


def _official(data: dict[str, Any]) -> tuple[str | None, tuple[date, ...]]:
    """``[calendar]``: the official holidays kept (``cn``) and the shop's extra working dates."""
    from events.calendar import OFFICIAL

    table = subtable(data, "calendar")
    known(table, _CALENDAR_KEYS, "calendar")
    official = table.get("holidays")
    if official is not None:
        one_of("calendar.holidays", official, OFFICIAL)
    return official, dates(table, "workdays", "calendar")


def shop_policy(data: dict[str, Any], shop: dict[str, Any], retention: int | None) -> Policy:
    """The write model's rules: lists, reply clock, tiers, staff, major rules."""
    tz, days, holidays = _calendar(shop)
    official, workdays = _official(data)
    try:
        currency = currency_code(text(shop, "currency", "shop", "CNY"))
    except InvalidInput:
        raise ConfigError("shop.currency", _("must be an ISO 4217 code such as CNY")) from None

    categories = strings(data, "categories", "", required=True)
    channels = strings(data, "channels", "", required=True)
    if not categories:
        raise ConfigError("categories", _("must not be empty"))
    if not channels:
        raise ConfigError("channels", _("must not be empty"))
    severities = strings(data, "severities", "") or list(SEVERITIES)
    if sorted(severities) != sorted(SEVERITIES):
        raise ConfigError("severities", _("must be exactly general and major"))

    reply = subtable(data, "reply")
    known(reply, _REPLY_KEYS, "reply")
    hours = whole(reply, "hours", "reply", 24, 1, MAX_HOURS)
    major_hours = opt_whole(reply, "major_hours", "reply", 1, MAX_HOURS)
    basis = text(reply, "basis", "reply", "calendar")
    if basis not in BASES:
        raise ConfigError("reply.basis", _("must be {values}").format(values=" or ".join(BASES)))

    reg = subtable(data, "regulatory")
    known(reg, _REGULATORY_KEYS, "regulatory")
    decision_days = opt_whole(reg, "decision_days", "regulatory", 1, MAX_DAYS)
    ext = reg.get("extensions", [])
    if not isinstance(ext, list) or not all(
        isinstance(e, int) and not isinstance(e, bool) and 0 < e <= MAX_DAYS for e in ext
    ):
        raise ConfigError(
            "regulatory.extensions",
            _("must be a list of day counts up to {days}").format(days=MAX_DAYS),
        )
    if ext and ext != sorted(ext):
        raise ConfigError("regulatory.extensions", _("must grow: e.g. [30, 60]"))

    return Policy(
        categories=tuple(categories),
        channels=tuple(channels),
        departments=tuple(strings(data, "departments", "")),
        currency=currency,
        reply_hours=hours,
        reply_hours_major=major_hours,
        reply_basis=basis,
        timezone=tz,
        working_days=days,
        holidays=holidays,
        workdays=workdays,
        official_holidays=official,
        tiers=_tiers(subtable(data, "tiers")),
        staff=_staff(subtable(data, "staff")),
        allow_unknown_staff=flag(shop, "allow_unknown_staff", "shop", True),
        major=_major(subtable(data, "major"), channels),
        decision_days=decision_days,
        decision_extensions=tuple(ext),
        retention_days=retention,
    )


def _tiers(tiers_raw: dict[str, Any]) -> dict[int, Tier]:
    tiers: dict[int, Tier] = {}
    for key, t in tiers_raw.items():
        if key not in ("1", "2", "3"):
            raise ConfigError(f"tiers.{key}", _("tiers are 1, 2 and 3"))
        if not isinstance(t, dict):
            raise ConfigError(f"tiers.{key}", _("must be a table"))
        known(t, _TIER_KEYS, f"tiers.{key}")
        tiers[int(key)] = Tier(
            int(key),
            text(t, "title", f"tiers.{key}", f"tier {key}"),
            amount(t, "remedy_limit", f"tiers.{key}"),
        )
    if sorted(tiers) != [1, 2, 3]:
        raise ConfigError("tiers", _("must define tiers 1, 2 and 3"))
    limits = [tiers[n].remedy_limit for n in (1, 2, 3)]
    for n in (1, 2):
        lo, hi = limits[n - 1], limits[n]
        if (lo is None and hi is not None) or (lo is not None and hi is not None and hi < lo):
            raise ConfigError(
                f"tiers.{n + 1}.remedy_limit", _("must not be below the tier under it")
            )
    return tiers


def _staff(table: dict[str, Any]) -> dict[str, StaffMember]:
    staff: dict[str, StaffMember] = {}
    for name, s in table.items():
        where = f"staff.{name}"
        if not isinstance(s, dict):
            raise ConfigError(where, _("must be a table"))
        known(s, _STAFF_KEYS, where)
        tier = whole(s, "tier", where, 1, 1, 3)
        role = text(s, "role", where, "agent")
        one_of(f"{where}.role", role, ROLES)
        dept = s.get("department", "")
        if not isinstance(dept, str):
            raise ConfigError(f"{where}.department", _("must be a string"))
        staff[name] = StaffMember(name=name, tier=tier, role=role, department=dept)
    return staff


def _major(major: dict[str, Any], channels: list[str]) -> MajorRules:
    known(major, _MAJOR_KEYS, "major")
    major_channels = strings(major, "channels", "major")
    for ch in major_channels:
        if ch not in channels:
            raise ConfigError(
                "major.channels", _("{channel} is not in channels").format(channel=repr(ch))
            )
    return MajorRules(
        vip_customers=tuple(strings(major, "vip_customers", "major")),
        channels=tuple(major_channels),
        demand_threshold=amount(major, "demand_threshold", "major"),
        repeat_count=opt_whole(major, "repeat_count", "major", 2, MAX_COUNT),
        repeat_days=whole(major, "repeat_days", "major", 90, 1, MAX_DAYS),
        influential_types=tuple(strings(major, "influential_types", "major"))
        if "influential_types" in major
        else DEFAULT_INFLUENTIAL_TYPES,
        transfers=opt_whole(major, "transfers", "major", 1, MAX_COUNT)
        if "transfers" in major
        else 3,
        group_size=opt_whole(major, "group_size", "major", 2, MAX_COUNT)
        if "group_size" in major
        else 3,
    )


def read_settings(shop: dict[str, Any], reply: dict[str, Any]) -> ReadSettings:
    """What the read models add: the SLA clock's pauses and targets, follow-ups, shifts."""
    defaults = ReadSettings()
    pause = reply.get("pause_statuses", list(defaults.pause_statuses))
    if not isinstance(pause, list) or any(s not in STATUSES for s in pause):
        raise ConfigError(
            "reply.pause_statuses",
            _("must be a list of {values}").format(values=", ".join(STATUSES)),
        )
    return ReadSettings(
        pause_statuses=tuple(pause),
        resolve_hours=whole(reply, "resolve_hours", "reply", defaults.resolve_hours, 0, MAX_HOURS),
        followup_days=whole(shop, "followup_days", "shop", defaults.followup_days, 0, MAX_DAYS),
        followup_quota=whole(shop, "followup_quota", "shop", defaults.followup_quota, 0, MAX_COUNT),
        due_soon_hours=whole(shop, "due_soon_hours", "shop", defaults.due_soon_hours, 0, MAX_HOURS),
        shifts=_shifts(shop) if "shifts" in shop else defaults.shifts,
    )


def _shifts(shop: dict[str, Any]) -> dict[str, tuple[time, time]]:
    table = shop["shifts"]
    if not isinstance(table, dict) or not table:
        raise ConfigError("shop.shifts", _("must be a table of shifts"))
    shifts: dict[str, tuple[time, time]] = {}
    for name, s in table.items():
        where = f"shop.shifts.{name}"
        if not isinstance(s, dict):
            raise ConfigError(where, _("must be a table with start and end"))
        known(s, _SHIFT_KEYS, where)
        try:
            shifts[name] = (time.fromisoformat(s["start"]), time.fromisoformat(s["end"]))
        except (TypeError, KeyError, ValueError):
            raise ConfigError(where, _("needs start and end as HH:MM")) from None
    return shifts
