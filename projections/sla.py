"""SLA clocks: the deadlines and measures of a case, over the shop's working calendar.

The calendar arithmetic (which hours count on the ``reply.basis``, working
days, holidays, daylight saving, adding hours, counting time less pauses)
is :class:`events.calendar.WorkingCalendar`, the same one the write model's
``Policy.reply_deadline`` uses, so ``ack``'s promised reply time and the
clock's ``acknowledge`` deadline agree. This module adds what only the read
side knows: which deadlines bind a case, and the pauses, the stretches in a
pause status (by default ``awaiting_customer``: the company cannot be late
while the customer has the ball), during which the clock stops.

Everything here is pure (no clock reads: ``now`` is an argument).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from events.calendar import Interval, WorkingCalendar
from events.lifecycle import FINISHED, OPEN
from events.policy import Policy
from events.records import frozen
from projections.settings import ReadSettings


def parse(iso: str | None) -> datetime | None:
    """An ISO time from the model as an aware datetime (None stays None)."""
    return datetime.fromisoformat(iso) if iso else None


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


def resolve_pauses(
    case: dict[str, Any], pause_statuses: Sequence[str], pauses: list[Interval]
) -> list[Interval]:
    """The stretches the resolution clock stops: ``pauses``, and time the case sat finished.

    A case resolved and later reopened (a follow-up found a leftover) did not
    wait for a resolution while it sat resolved: that time is not hours to
    resolve. Only a reopen leaves a finished status, so a case never reopened
    has no such stretch before its (last) resolution: ``pauses`` as they are.
    """
    if not case.get("reopen_count", 1):  # unknown: look
        return pauses
    return pauses_of(case, (*pause_statuses, *FINISHED))


def _hours(seconds: float | None) -> float | None:
    return None if seconds is None else round(seconds / 3600, 2)


#: The statuses in which a follow-up can be due (every other status: none, whatever the rules).
FOLLOWUP_STATUSES = ("resolved", "closed")

#: Rules that were in force until a time (the settings change that replaced them).
Era = tuple[datetime, Policy, ReadSettings]


@frozen
class Clock:
    """A policy-bound SLA clock: the deadlines and measures of one case.

    ``eras``: the rules as they were before the changes of the shop's
    settings, oldest first, each with the time it was replaced; the clock's
    own policy and settings hold from the latest change on. A case's clock runs on
    the targets in force when it was received (its acknowledge and resolve
    targets, calendar, pause statuses) and its follow-up on those in force
    when it was resolved: a change of the rules never makes an old case late.
    """

    calendar: WorkingCalendar
    policy: Policy
    settings: ReadSettings
    eras: tuple[Era, ...] = ()

    @classmethod
    def of(cls, policy: Policy, settings: ReadSettings, eras: Sequence[Era] = ()) -> Clock:
        return cls(policy.calendar, policy, settings, tuple(eras))

    def at(self, when: datetime) -> Clock:
        """The clock under the rules in force at ``when``."""
        if not self.eras or when >= self.eras[-1][0]:
            return self
        _until, policy, settings = next(e for e in self.eras if when < e[0])
        return Clock(policy.calendar, policy, settings)

    def deadlines(self, case: dict[str, Any]) -> list[tuple[str, datetime]]:
        """The deadlines that still bind an open case (nothing for a finished one).

        ``acknowledge``: reply rule from receipt, until acknowledged;
        ``reply``: the latest promised reply time, until the customer is
        contacted; ``resolve``: the resolution target (clock paused in pause
        statuses, and while the case sat resolved before a reopen);
        ``decision``: the regulatory decision date, if any.
        """
        if case["status"] not in OPEN:
            return []
        received = datetime.fromisoformat(case["received_at"])
        if self.eras:
            return self.at(received)._deadlines(case, received)
        return self._deadlines(case, received)

    def _deadlines(self, case: dict[str, Any], received: datetime) -> list[tuple[str, datetime]]:
        pauses = pauses_of(case, self.settings.pause_statuses)
        out: list[tuple[str, datetime]] = []
        if case["acknowledged_at"] is None:
            due = self.calendar.deadline(
                received, self.policy.reply_hours_for(case["severity"]) * 3600.0, pauses
            )
            if due is not None:
                out.append(("acknowledge", due))
        promises = case["_"]["promises"]
        if promises and promises[-1]["kept_at"] is None:
            out.append(("reply", datetime.fromisoformat(promises[-1]["reply_by"])))
        settled = resolve_pauses(case, self.settings.pause_statuses, pauses)
        due = self.calendar.deadline(received, self.settings.resolve_hours * 3600.0, settled)
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
        if case["status"] not in FOLLOWUP_STATUSES:
            return None
        resolutions = case["_"]["resolutions"]
        if not resolutions:
            return None
        last = resolutions[-1]
        if any(f["at"] >= last for f in case["followups"]):
            return None
        resolved = datetime.fromisoformat(last)
        clock = self.at(resolved)
        return clock.calendar.add(resolved, clock.settings.followup_days * 86400.0)

    def measures(self, case: dict[str, Any], now: datetime) -> dict[str, Any]:
        """Per-case figures: time to acknowledge and resolve, promises kept or missed."""
        received = datetime.fromisoformat(case["received_at"])
        if self.eras:
            return self.at(received)._measures(case, now, received, self.deadlines(case))
        return self._measures(case, now, received, self.deadlines(case))

    def _measures(
        self,
        case: dict[str, Any],
        now: datetime,
        received: datetime,
        deadlines: list[tuple[str, datetime]],
    ) -> dict[str, Any]:
        pauses = pauses_of(case, self.settings.pause_statuses)
        acked = parse(case["acknowledged_at"])
        ack_secs = self.calendar.active(received, acked, pauses) if acked else None
        target = self.policy.reply_hours_for(case["severity"]) * 3600.0
        resolutions = case["_"]["resolutions"]
        resolved = (
            parse(resolutions[-1])
            if resolutions and case["status"] in ("resolved", "closed", "archived")
            else None
        )
        settled = resolve_pauses(case, self.settings.pause_statuses, pauses)
        res_secs = self.calendar.active(received, resolved, settled) if resolved else None
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
            {"kind": k, "due": d.astimezone(UTC).isoformat()} for k, d in deadlines if d < now
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
