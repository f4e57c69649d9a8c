"""The shop's working calendar: which stretches of time count toward a deadline.

One calendar for the write model (the reply time ``ack`` promises by default)
and for the read side's SLA clock (``projections.sla``), so the two cannot
disagree. Two bases, as the config's ``reply.basis`` says:

- ``calendar``: every hour counts; adding hours is plain elapsed time.
- ``working``: only the hours of working days count. A working day is a
  *local* day of the shop (``shop.timezone``), from its midnight to the next
  one, on an ISO weekday of ``shop.working_days`` that is not one of
  ``shop.holidays``. A local day is 23 or 25 hours long across a daylight
  saving change, so the calendar measures real elapsed time between local
  midnights, never wall-clock arithmetic on aware datetimes (which Python
  does within one zone, wrongly across such a change).

So a case received on a Sunday at 23:30 (working days Monday to Saturday)
with 24 working hours to go is due on Tuesday at 00:00 local: the half hour
left of Sunday does not count, and Monday's 24 hours all do.

With ``official = "cn"`` the days China keeps come first: its official
holidays are not worked and the weekend days worked in their place (调休)
are, from the maintained ``chinese-calendar`` package (imported on the first
day asked about, each day's answer cached); a year it does not know yet
falls back to the weekdays. The shop's own ``holidays`` and ``workdays``
(dates) win over both.

Everything is pure (no clock reads), and the day bounds are cached per
calendar: the SLA clock runs for every case of a rebuild.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import UTC, date, datetime, time, timedelta
from functools import cache
from zoneinfo import ZoneInfo

from events.records import field, frozen

BASES = ("calendar", "working")
#: The official calendars a shop may follow (``[calendar] holidays``).
OFFICIAL = ("cn",)

#: A stretch of time; an open end (None) runs until "now" or forever.
Interval = tuple[datetime, datetime | None]

_DAY = timedelta(days=1)
# The shortest local day (a spring-forward day); bounds how many days an addition can visit.
_SHORTEST_DAY_SECONDS = 23 * 3600


@frozen
class WorkingCalendar:
    """Which hours count: the shop's zone, basis, working weekdays and holidays."""

    zone: ZoneInfo = field(default_factory=lambda: ZoneInfo("UTC"))
    basis: str = "calendar"
    working_days: frozenset[int] = frozenset({1, 2, 3, 4, 5})  # ISO weekday numbers
    holidays: frozenset[date] = frozenset()
    #: Dates the shop works although a weekday rule or the official calendar says not.
    workdays: frozenset[date] = frozenset()
    #: An official calendar of holidays and swapped working days (``cn``), or None.
    official: str | None = None
    # Local day -> its bounds in UTC; filled as days are visited (not part of equality).
    _bounds: dict[date, tuple[datetime, datetime]] = field(
        default_factory=dict, init=False, repr=False, compare=False
    )

    def __post_init__(self) -> None:
        if self.basis not in BASES:
            raise ValueError(f"basis must be one of {', '.join(BASES)}, not {self.basis!r}")
        if self.official is not None and self.official not in OFFICIAL:
            raise ValueError(
                f"official must be one of {', '.join(OFFICIAL)}, not {self.official!r}"
            )

    @property
    def working(self) -> bool:
        """True on the working basis (only working days count)."""
        return self.basis == "working"

    def is_working_day(self, day: date) -> bool:
        if day in self.holidays:
            return False
        if day in self.workdays:
            return True
        if self.official == "cn":
            official = china_works(day)
            if official is not None:
                return official
        return day.isoweekday() in self.working_days

    def day_bounds(self, day: date) -> tuple[datetime, datetime]:
        """A local day as its two UTC bounds: local midnight to the next local midnight."""
        bounds = self._bounds.get(day)
        if bounds is None:
            lo = datetime.combine(day, time(0), self.zone).astimezone(UTC)
            hi = datetime.combine(day + _DAY, time(0), self.zone).astimezone(UTC)
            bounds = self._bounds[day] = (lo, hi)
        return bounds

    def _local_day(self, at: datetime) -> date:
        return at.astimezone(self.zone).date()

    # -- measuring ---------------------------------------------------------

    def elapsed(self, start: datetime, end: datetime) -> float:
        """Seconds that count between two instants (0 if ``end`` is not after ``start``)."""
        if end <= start:
            return 0.0
        if not self.working:
            # Not ``end - start``: Python subtracts two times of one zone on the wall clock.
            return end.timestamp() - start.timestamp()
        start, end = start.astimezone(UTC), end.astimezone(UTC)
        total = timedelta()
        day = self._local_day(start)
        last = self._local_day(end)
        while day <= last:
            if self.is_working_day(day):
                lo, hi = self.day_bounds(day)
                a, b = max(lo, start), min(hi, end)
                if b > a:
                    total += b - a
            day += _DAY
        return total.total_seconds()

    def active(self, start: datetime, end: datetime, pauses: Iterable[Interval]) -> float:
        """Seconds that count between two instants, less the paused stretches.

        A pause still open (end None) runs until ``end``; overlapping pauses are
        not expected (a case is in one status at a time).
        """
        total = self.elapsed(start, end)
        for ps, pe in pauses:
            a = max(ps, start)
            b = min(pe or end, end)
            if b > a:
                total -= self.elapsed(a, b)
        return max(total, 0.0)

    # -- adding ------------------------------------------------------------

    def add(self, start: datetime, seconds: float) -> datetime:
        """The instant when ``seconds`` that count have run from ``start``.

        On the calendar basis the result is in ``start``'s zone; on the
        working basis in the shop's zone (a working deadline is a local fact).
        From a moment outside working time the count starts at the next
        working day's midnight, so adding nothing gives that midnight.
        """
        if not self.working:
            return (start.astimezone(UTC) + timedelta(seconds=seconds)).astimezone(start.tzinfo)
        if not self.working_days:
            raise ValueError("no working days: check shop.working_days")
        remaining = timedelta(seconds=seconds)
        cur = start.astimezone(UTC)
        day = self._local_day(cur)
        # Enough days even if each working day is a week apart and the shortest, and
        # each holiday costs another week: the loop ends, with an answer if there is one.
        weeks = int(remaining.total_seconds() // _SHORTEST_DAY_SECONDS) + 2 + len(self.holidays)
        for _ in range(weeks * 7):
            lo, hi = self.day_bounds(day)
            if self.is_working_day(day):
                cur = max(cur, lo)
                available = hi - cur
                if remaining <= available:
                    return (cur + remaining).astimezone(self.zone)
                remaining -= available
            cur = hi
            day += _DAY
        raise ValueError("no working day within reach: check shop.working_days")

    def add_hours(self, start: datetime, hours: int) -> datetime:
        """``start`` plus ``hours`` that count (see :meth:`add`)."""
        return self.add(start, hours * 3600.0)

    def deadline(
        self, start: datetime, seconds: float, pauses: Sequence[Interval]
    ) -> datetime | None:
        """When ``seconds`` of unpaused counting time have run from ``start``.

        None while a pause that began before the deadline is still open: a
        stopped clock has no deadline. Each pause before the (moving) deadline
        pushes it on by the counting time the pause took.
        """
        due = self.add(start, seconds)
        for ps, pe in sorted(pauses, key=lambda p: p[0]):
            if ps >= due:
                break
            if pe is None:
                return None
            a = max(ps, start)
            if pe > a:
                due = self.add(due, self.elapsed(a, pe))
        return due


@cache
def china_works(day: date) -> bool | None:
    """Whether China works on ``day`` by its official calendar: False on a holiday, True on
    a weekend day worked in a holiday's place (调休), None on an ordinary day or a year the
    package does not know yet (the shop's weekdays decide)."""
    from chinese_calendar.constants import holidays, workdays

    if day in holidays:
        return False
    if day in workdays:
        return True
    return None
