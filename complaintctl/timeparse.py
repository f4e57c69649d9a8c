"""Times a person types: ISO 8601 with or without zone, a date, or relative (``+24h``).

A time without a zone is in the shop's zone; every result is timezone-aware.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

_RELATIVE = re.compile(r"^([+-])(\d+)\s*([mhdw])$")
_UNITS = {"m": "minutes", "h": "hours", "d": "days", "w": "weeks"}


def relative(text: str) -> timedelta | None:
    """How far from "now" a relative TIME is (``+24h``, ``-2d``, ``now``); None for any other."""
    s = text.strip().lower()
    if s == "now":
        return timedelta(0)
    m = _RELATIVE.match(s)
    if not m:
        return None
    sign, amount, unit = m.groups()
    try:
        delta = timedelta(**{_UNITS[unit]: int(amount)})
    except OverflowError:
        return None  # parse_time says "out of range"
    return delta if sign == "+" else -delta


def parse_time(text: str, zone: ZoneInfo, now: datetime) -> datetime:
    """Parse TIME; raise ValueError with a message a person understands."""
    s = text.strip()
    if s.lower() == "now":
        return now
    m = _RELATIVE.match(s.lower())
    if m:
        sign, amount, unit = m.groups()
        try:
            delta = timedelta(**{_UNITS[unit]: int(amount)})
            return now + delta if sign == "+" else now - delta
        except OverflowError:
            raise ValueError(f"out of range: {text!r}") from None
    try:
        value = datetime.fromisoformat(s)
    except ValueError:
        raise ValueError(
            f"not a time: {text!r} (use ISO 8601 such as 2026-11-23T10:00 or 2026-11-23, "
            "or a relative time such as +24h, +2d)"
        ) from None
    if len(s) == 10:  # a date alone: the start of that day
        value = datetime.combine(value.date(), time(0))
    if value.tzinfo is None:
        value = value.replace(tzinfo=zone)
    try:
        value.astimezone(UTC)  # stored in UTC: 0001-01-01 east of Greenwich is not a time
    except OverflowError:
        raise ValueError(f"out of range: {text!r}") from None
    return value


_DAY_WORDS = {"today": 0, "yesterday": -1, "今天": 0, "昨天": -1, "前天": -2}


def parse_day(text: str, today: date) -> date:
    """A day a person names: ``YYYY-MM-DD``, ``today``, ``yesterday`` (``昨天``), ``-3d``."""
    s = text.strip().lower()
    if s in _DAY_WORDS:
        return today + timedelta(days=_DAY_WORDS[s])
    m = re.match(r"^-(\d{1,4})d$", s)
    if m:
        return today - timedelta(days=int(m.group(1)))
    try:
        return date.fromisoformat(s) if len(s) == 10 else date.fromisoformat("not a day")
    except ValueError:
        raise ValueError(f"not a day: {text!r} (use YYYY-MM-DD, today or yesterday)") from None
