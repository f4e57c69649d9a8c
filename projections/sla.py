"""SLA clocks: pure functions over a calendar of working days, holidays and pauses.

Two bases, as the config's ``reply.basis`` says: ``calendar`` counts every
hour; ``working`` counts only the hours of working days (ISO weekdays of
``shop.working_days`` that are not ``shop.holidays``, in the shop's time
zone), whole days as the write model's ``Policy.add_hours`` does. On either
basis the clock stops while a case is in a pause status (by default
``awaiting_customer``: the company cannot be late while the customer has
the ball).

Everything here is pure (no clock reads: ``now`` is an argument), so the
calendar can be tested across weekends, holidays, daylight-saving changes and
pauses without waiting.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from events.policy import Policy
from projections.settings import ReadSettings

Interval = tuple[datetime, datetime | None]

_GUARD_DAYS = 3 * 366


def parse(iso: str | None) -> datetime | None:
    """An ISO time from the model as an aware datetime (None stays None)."""
    return datetime.fromisoformat(iso) if iso else None


@dataclass(frozen=True)
class Calendar:
    """Which hours count on the SLA clock."""

    zone: ZoneInfo
    basis: str = "calendar"
    working_days: frozenset[int] = frozenset({1, 2, 3, 4, 5})
    holidays: frozenset[date] = frozenset()

    @classmethod
    def from_policy(cls, policy: Policy) -> Calendar:
        return cls(
            zone=policy.zone,
            basis=policy.reply_basis,
            working_days=frozenset(policy.working_days),
            holidays=frozenset(policy.holidays),
        )

    def is_working_day(self, day: date) -> bool:
        return day.isoweekday() in self.working_days and day not in self.holidays

    def _day_bounds(self, day: date) -> tuple[datetime, datetime]:
        """A local day as UTC times (arithmetic on aware times of one zone is wall-clock
        arithmetic in Python, wrong across a daylight-saving change)."""
        start = datetime.combine(day, time(0), self.zone).astimezone(UTC)
        end = datetime.combine(day + timedelta(days=1), time(0), self.zone).astimezone(UTC)
        return start, end

    def elapsed(self, start: datetime, end: datetime) -> float:
        """Seconds on the clock between two times (0 if end is not after start)."""
        if end <= start:
            return 0.0
        if self.basis != "working":
            return end.timestamp() - start.timestamp()
        total = 0.0
        day = start.astimezone(self.zone).date()
        last = end.astimezone(self.zone).date()
        while day <= last:
            if self.is_working_day(day):
                lo, hi = self._day_bounds(day)
                a, b = max(lo, start), min(hi, end)
                if b > a:
                    total += b.timestamp() - a.timestamp()
            day += timedelta(days=1)
        return total

    def add(self, start: datetime, seconds: float) -> datetime:
        """The time when ``seconds`` have run on the clock from ``start``."""
        if self.basis != "working":
            return (start.astimezone(UTC) + timedelta(seconds=seconds)).astimezone(start.tzinfo)
        remaining = seconds
        cur = start.astimezone(UTC)
        for _ in range(_GUARD_DAYS):
            day = cur.astimezone(self.zone).date()
            _lo, hi = self._day_bounds(day)
            if self.is_working_day(day):
                available = hi.timestamp() - cur.timestamp()
                if remaining <= available:
                    return (cur + timedelta(seconds=remaining)).astimezone(start.tzinfo)
                remaining -= available
            cur = hi
        raise ValueError("no working day within three years: check shop.working_days")

    def active(self, start: datetime, end: datetime, pauses: Iterable[Interval]) -> float:
        """Seconds on the clock between two times, less the paused stretches."""
        total = self.elapsed(start, end)
        for ps, pe in pauses:
            a = max(ps, start)
            b = min(pe or end, end)
            if b > a:
                total -= self.elapsed(a, b)
        return max(total, 0.0)

    def deadline(
        self, start: datetime, seconds: float, pauses: Sequence[Interval]
    ) -> datetime | None:
        """When ``seconds`` of unpaused clock have run from ``start``.

        None while a pause that began before the deadline is still running:
        a stopped clock has no deadline.
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


def pauses_of(case: dict[str, Any], pause_statuses: Sequence[str]) -> list[Interval]:
    """The stretches in which the case sat in a pause status (the last may be open)."""
    out: list[Interval] = []
    opened: datetime | None = None
    for ts, status in case["_"]["statuses"]:
        at = datetime.fromisoformat(ts)
        if status in pause_statuses:
            if opened is None:
                opened = at
        elif opened is not None:
            out.append((opened, at))
            opened = None
    if opened is not None:
        out.append((opened, None))
    return out


def _hours(seconds: float | None) -> float | None:
    return None if seconds is None else round(seconds / 3600, 2)


@dataclass(frozen=True)
class Clock:
    """A policy-bound SLA clock: the deadlines and measures of one case."""

    calendar: Calendar
    policy: Policy
    settings: ReadSettings

    @classmethod
    def of(cls, policy: Policy, settings: ReadSettings) -> Clock:
        return cls(Calendar.from_policy(policy), policy, settings)

    def ack_target_hours(self, severity: str) -> int:
        p = self.policy
        if severity == "major" and p.reply_hours_major is not None:
            return p.reply_hours_major
        return p.reply_hours

    def deadlines(self, case: dict[str, Any]) -> list[tuple[str, datetime]]:
        """The deadlines that still bind an open case (nothing for a finished one).

        ``acknowledge``: reply rule from receipt, until acknowledged;
        ``reply``: the latest promised reply time, until the customer is
        contacted; ``resolve``: the resolution target (clock paused in pause
        statuses); ``decision``: the regulatory decision date, if any.
        """
        if case["status"] in ("resolved", "closed", "archived", "withdrawn"):
            return []
        received = datetime.fromisoformat(case["received_at"])
        pauses = pauses_of(case, self.settings.pause_statuses)
        out: list[tuple[str, datetime]] = []
        if case["acknowledged_at"] is None:
            due = self.calendar.deadline(
                received, self.ack_target_hours(case["severity"]) * 3600.0, pauses
            )
            if due is not None:
                out.append(("acknowledge", due))
        promises = case["_"]["promises"]
        if promises and promises[-1]["kept_at"] is None:
            out.append(("reply", datetime.fromisoformat(promises[-1]["reply_by"])))
        due = self.calendar.deadline(received, self.settings.resolve_hours * 3600.0, pauses)
        if due is not None:
            out.append(("resolve", due))
        if case.get("decision_due"):
            out.append(("decision", datetime.fromisoformat(case["decision_due"])))
        return out

    def next_due(self, case: dict[str, Any]) -> datetime | None:
        ds = self.deadlines(case)
        return min(d for _k, d in ds) if ds else None

    def followup_due(self, case: dict[str, Any]) -> datetime | None:
        """When a follow-up falls due: ``followup_days`` after the latest resolution.

        Only for resolved or closed cases not followed up since that
        resolution (an archived or withdrawn file is not called again).
        """
        if case["status"] not in ("resolved", "closed"):
            return None
        resolutions = case["_"]["resolutions"]
        if not resolutions:
            return None
        last = resolutions[-1]
        if any(f["at"] >= last for f in case["followups"]):
            return None
        return self.calendar.add(
            datetime.fromisoformat(last), self.settings.followup_days * 86400.0
        )

    def measures(self, case: dict[str, Any], now: datetime) -> dict[str, Any]:
        """Per-case figures: time to acknowledge and resolve, promises kept or missed."""
        received = datetime.fromisoformat(case["received_at"])
        pauses = pauses_of(case, self.settings.pause_statuses)
        acked = parse(case["acknowledged_at"])
        ack_secs = self.calendar.active(received, acked, pauses) if acked else None
        target = self.ack_target_hours(case["severity"]) * 3600.0
        resolutions = case["_"]["resolutions"]
        resolved = (
            parse(resolutions[-1])
            if resolutions and case["status"] in ("resolved", "closed", "archived")
            else None
        )
        res_secs = self.calendar.active(received, resolved, pauses) if resolved else None
        promises = []
        for p in case["_"]["promises"]:
            reply_by = datetime.fromisoformat(p["reply_by"])
            kept = parse(p["kept_at"])
            if kept is not None:
                state = "kept" if kept <= reply_by else "missed"
            else:
                state = "missed" if now > reply_by else "pending"
            promises.append({"reply_by": p["reply_by"], "kept_at": p["kept_at"], "state": state})
        overdue = [
            {"kind": k, "due": d.astimezone(UTC).isoformat()}
            for k, d in self.deadlines(case)
            if d < now
        ]
        return {
            "hours_to_acknowledge": _hours(ack_secs),
            "acknowledged_within_target": None if ack_secs is None else ack_secs <= target,
            "hours_to_resolve": _hours(res_secs),
            "resolved_within_target": None
            if res_secs is None
            else res_secs <= self.settings.resolve_hours * 3600.0,
            "promises": promises,
            "paused_hours": _hours(
                sum(self.calendar.elapsed(a, b or now) for a, b in pauses) if pauses else 0.0
            ),
            "basis": self.calendar.basis,
            "overdue": overdue,
        }
