"""Times a person types: ISO 8601, the words of CLI.md, and times relative to a base.

A time without a zone is in the shop's zone; every result is timezone-aware.
``base`` is the moment the words count from: now, or the command's ``--at``
("tomorrow" said on a paper log typed in later is the day after the call).
A day without a time of day is the start of that day, as an ISO date is;
any day form takes a time after it (``tomorrow 14:00``, ``明天 9:30``).

Hand-written rather than ``dateparser``: that library does not count the
shop's working days, guesses ``12/03`` (day or month first) where a complaint's
deadline must not be guessed, and would cost every command that parses a
time a heavy import. This module imports only the standard library and is
imported only when an option holds a time.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from complaintctl.i18n import _

if TYPE_CHECKING:
    from events.calendar import WorkingCalendar

_RELATIVE = re.compile(r"^([+-])(\d+(?:\.\d+)?)\s*([mhdw])$")
_IN_UNITS = re.compile(r"^in\s+(\d+(?:\.\d+)?)\s+(minute|hour|day|week)s?$")
_UNITS = {"m": "minutes", "h": "hours", "d": "days", "w": "weeks"}
_WORKING = (
    re.compile(r"^in\s+(\d{1,4})\s+working\s+days?$"),
    re.compile(r"^(\d{1,4})\s*个?\s*工作日\s*[后内]$"),
)
_DAY_WORDS = {
    "today": 0,
    "tomorrow": 1,
    "yesterday": -1,
    "今天": 0,
    "明天": 1,
    "后天": 2,
    "昨天": -1,
    "前天": -2,
}
_WEEKDAYS = {
    **{name: i for i, name in enumerate(("monday", "tuesday", "wednesday", "thursday"), 1)},
    **{"friday": 5, "saturday": 6, "sunday": 7},
    **{name: i for i, name in enumerate(("mon", "tue", "wed", "thu", "fri", "sat", "sun"), 1)},
    **{"tues": 2, "thur": 4, "thurs": 4},
}
_CN_WEEKDAY = {"一": 1, "二": 2, "三": 3, "四": 4, "五": 5, "六": 6, "日": 7, "天": 7}
_CN_DAY = re.compile(r"^(下|这|本)?(?:周|星期|礼拜)([一二三四五六日天])$")
_SLASHED = re.compile(r"^(\d{4})/(\d{1,2})/(\d{1,2})$")
_CN_DATE = re.compile(r"^(?:(\d{4})年)?(\d{1,2})月(\d{1,2})[日号]$")
_PERIOD = "(?:上午|早上|中午|下午|晚上)"
_CLOCK_TEXT = rf"{_PERIOD}?\s*\d{{1,2}}(?:[:：]\d{{2}}|点(?:半|\d{{1,2}}分?)?)"
_CLOCK = re.compile(rf"^({_PERIOD})?\s*(\d{{1,2}})(?:[:：](\d{{2}})|点(半|(\d{{1,2}})分?)?)$")
_DAY_AND_CLOCK = re.compile(rf"^(.+?)\s*({_CLOCK_TEXT})$")
#: Hours of the afternoon and evening said on a 12-hour clock (下午3点 is 15:00).
_AFTERNOON = {"下午": 12, "晚上": 12, "中午": 12}


def accepted() -> str:
    """The forms a TIME takes, for a message that refuses one."""
    return _(
        "use ISO 8601 (2026-11-23T10:00, 2026-11-23, 2026-11-23 14:00), 2026/11/23, "
        "11月23日, now, today, tomorrow, yesterday, a weekday (monday, mon: the next one), "
        "今天, 明天, 后天, 昨天, 前天, 周一/星期一, 下周一..下周日, a time of today "
        "(14:00, 下午3点), a day with a time (tomorrow 14:00, 明天下午3点), "
        "a relative time (+24h, +1.5h, -2d, +30m, +1w, in 3 days) "
        "or working days (in 3 working days, 3个工作日后, 3个工作日内)"
    )


def _not_a_time(text: str) -> ValueError:
    return ValueError(_("not a time: {text} ({forms})").format(text=repr(text), forms=accepted()))


def _out_of_range(text: str) -> ValueError:
    return ValueError(_("out of range: {text}").format(text=repr(text)))


def parse_time(
    text: str,
    zone: ZoneInfo,
    base: datetime,
    calendar: WorkingCalendar | None = None,
) -> datetime:
    """Parse TIME counted from ``base``; raise ValueError with a message a person understands.

    ``calendar`` counts working days ("in 3 working days"); without one a week
    of Monday to Friday does.
    """
    s = " ".join(text.strip().lower().split())
    if s == "now" or s == "现在":
        return base
    try:
        value = _relative(s, base, calendar)
        if value is None:
            value = _absolute(s, zone, base)
        if value is None:
            raise _not_a_time(text)
        value.astimezone(UTC)  # stored in UTC: 0001-01-01 east of Greenwich is not a time
    except OverflowError:
        raise _out_of_range(text) from None
    return value


def _relative(s: str, base: datetime, calendar: WorkingCalendar | None) -> datetime | None:
    """``+24h``, ``-1.5d``, ``in 3 days``, ``in 3 working days``: from ``base``."""
    m = _RELATIVE.match(s)
    if m:
        sign, amount, unit = m.groups()
        delta = timedelta(**{_UNITS[unit]: float(amount)})
        return base + delta if sign == "+" else base - delta
    m = _IN_UNITS.match(s)
    if m:
        return base + timedelta(**{f"{m.group(2)}s": float(m.group(1))})
    for pattern in _WORKING:
        m = pattern.match(s)
        if m:
            return _working_days_after(base, int(m.group(1)), calendar)
    return None


def _working_days_after(base: datetime, n: int, calendar: WorkingCalendar | None) -> datetime:
    """The same local time on the ``n``-th working day after ``base``'s local day."""
    from events.calendar import WorkingCalendar

    cal = calendar or WorkingCalendar(zone=_zone_of(base))
    local = base.astimezone(cal.zone)
    day, counted, visited = local.date(), 0, 0
    while counted < n:
        visited += 1
        if visited > n * 7 + 400:  # no working day in a year: the weekdays are empty
            raise ValueError(_("no working day within reach: check shop.working_days"))
        day += timedelta(days=1)
        if cal.is_working_day(day):
            counted += 1
    return _at(day, local.timetz().replace(tzinfo=None), cal.zone)


def _zone_of(value: datetime) -> ZoneInfo:
    return value.tzinfo if isinstance(value.tzinfo, ZoneInfo) else ZoneInfo("UTC")


def _absolute(s: str, zone: ZoneInfo, base: datetime) -> datetime | None:
    """An ISO time, or a day a person names, optionally with a time of day."""
    today = base.astimezone(zone).date()
    day = parse_day_words(s, today)
    if day is not None:
        return _at(day, time(0), zone)
    clock = _clock(s)
    if clock is not None:  # a time of day alone: today
        return _at(today, clock, zone)
    m = _DAY_AND_CLOCK.match(s)
    if m:
        day = parse_day_words(m.group(1).strip(), today)
        clock = _clock(m.group(2))
        if day is not None and clock is not None:
            return _at(day, clock, zone)
    try:
        value = datetime.fromisoformat(s.upper() if "t" in s or s.endswith("z") else s)
    except ValueError:
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=zone)
    return value


def _at(day: date, clock: time, zone: ZoneInfo) -> datetime:
    return datetime.combine(day, clock, zone)


def _clock(s: str) -> time | None:
    """``14:00``, ``9点``, ``9点半``, ``下午3点``, ``晚上8:30``: a time of day, or None."""
    m = _CLOCK.match(s)
    if not m:
        return None
    period, hour = m.group(1), int(m.group(2))
    minute = 30 if m.group(4) == "半" else int(m.group(3) or m.group(5) or 0)
    if period in _AFTERNOON and hour < 12 and not (period == "中午" and hour >= 11):
        hour += _AFTERNOON[period]
    if hour > 23 or minute > 59:
        return None
    return time(hour, minute)


def parse_day_words(s: str, today: date) -> date | None:
    """A day a person names (no time of day), counted from ``today``; None if it is not one.

    A weekday name (``monday``, ``周一``) is the next such day after today;
    ``下周一`` is the Monday of next week.
    """
    if s in _DAY_WORDS:
        return today + timedelta(days=_DAY_WORDS[s])
    if s in _WEEKDAYS:
        ahead = (_WEEKDAYS[s] - today.isoweekday()) % 7 or 7
        return today + timedelta(days=ahead)
    m = _CN_DAY.match(s)
    if m:
        which, weekday = m.group(1), _CN_WEEKDAY[m.group(2)]
        if which == "下":
            monday = today - timedelta(days=today.isoweekday() - 1)
            return monday + timedelta(days=7 + weekday - 1)
        if which in ("这", "本"):
            return today + timedelta(days=weekday - today.isoweekday())
        ahead = (weekday - today.isoweekday()) % 7 or 7
        return today + timedelta(days=ahead)
    m = _SLASHED.match(s)
    if m:
        return _date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
    m = _CN_DATE.match(s)
    if m:
        return _date(int(m.group(1) or today.year), int(m.group(2)), int(m.group(3)))
    if len(s) == 10 and s[4] == "-":
        try:
            return date.fromisoformat(s)
        except ValueError:
            return None
    return None


def _date(year: int, month: int, day: int) -> date | None:
    try:
        return date(year, month, day)
    except ValueError:
        return None


def parse_day(text: str, today: date) -> date:
    """A day a person names: ``YYYY-MM-DD``, ``2026/11/23``, ``today``, ``昨天``, ``-3d``..."""
    s = " ".join(text.strip().lower().split())
    m = re.match(r"^-(\d{1,4})d$", s)
    if m:
        return today - timedelta(days=int(m.group(1)))
    try:
        day = parse_day_words(s, today)
    except OverflowError:
        day = None
    if day is None:
        raise ValueError(
            _(
                "not a day: {text} (use YYYY-MM-DD, 2026/11/23, 11月23日, today, "
                "yesterday, 今天, 昨天, 前天, a weekday or -3d)"
            ).format(text=repr(text))
        )
    return day
