"""The deadlines read model: a case's SLA clock, overdue cases, follow-ups due, purge age.

The deadlines themselves are the SLA clock's (:mod:`projections.sla`); the
cache keeps the next one of every case in an indexed column, so these
lists read only the cases near or past a deadline.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from events.personal import FORGOTTEN
from projections.case import Case, priority
from projections.cases import Cases, Filters
from projections.reading import ReadModel

#: The cases a follow-up flagged for a supervisor (``FLAG_MARK`` is its parameter).
FLAGGED_SQL = "status IN ('resolved', 'closed') AND instr(doc, ?) > 0"
FLAG_MARK = b'"supervisor_flag":{'
#: The cases :meth:`Deadlines.followups` reads: a follow-up pending, or flagged.
FOLLOWUP_SQL = f"followup_due IS NOT NULL OR ({FLAGGED_SQL})"


class Deadlines(ReadModel):
    """What is due, or late: replies, decisions, follow-ups; and how long cases are closed."""

    def clock_of(self, ref: str, as_of: datetime | None = None) -> dict[str, Any]:
        """One case's SLA clock now (or as of a time): measures and open deadlines."""
        case = Cases(self.r).case(ref) if as_of is None else Cases(self.r).case_as_of(ref, as_of)
        now = as_of or self.now()
        out: dict[str, Any] = {
            "ref": case["ref"],
            "status": case["status"],
            "severity": case["severity"],
            "received_at": case["received_at"],
            "as_of": now.isoformat(),
            **self.sla.measures(case, now),
        }
        out["deadlines"] = [
            {"kind": k, "due": d.astimezone(UTC).isoformat(), "overdue": d < now}
            for k, d in self.sla.deadlines(case)
        ]
        # Between accepted and resolved the remedy is being carried out (a refund waiting
        # on the old battery): the clock says since when.
        out["remedy_state"] = case.get("remedy_state")
        out["remedy_accepted_at"] = case.get("remedy_accepted_at")
        since = case.get("remedy_accepted_at")
        out["remedy_days_in_progress"] = (
            round((now - datetime.fromisoformat(since)).total_seconds() / 86400, 1)
            if since and case.get("remedy_state") == "in_progress"
            else None
        )
        followup = self.sla.followup_due(case)
        out["followup_due"] = followup.astimezone(UTC).isoformat() if followup else None
        return out

    def overdue(self, within_hours: int | None = None) -> dict[str, Any]:
        """Open cases past a deadline, and those due within ``within_hours``."""
        now = self.now()
        hours = self.settings.due_soon_hours if within_hours is None else within_hours
        horizon = now + timedelta(hours=hours)
        rows = []
        for c in self.projector.cases(
            "WHERE due IS NOT NULL AND due < ? ORDER BY due", (horizon.timestamp(),)
        ):
            deadlines = self.sla.deadlines(c)
            due_kinds = [(k, d) for k, d in deadlines if d < horizon]
            if not due_kinds:
                continue
            kind, first = min(due_kinds, key=lambda x: x[1])
            rows.append(
                {
                    "ref": c["ref"],
                    "status": c["status"],
                    "owner": c["owner"],
                    "customer": c["customer"],
                    "category": c["category"],
                    "severity": c["severity"],
                    "tier": c["tier"],
                    "deadline": kind,
                    "due": first.astimezone(UTC).isoformat(),
                    "overdue": first < now,
                    "hours": round((now - first).total_seconds() / 3600, 1),
                    "kinds": [k for k, d in due_kinds if d < now],
                    "priority": priority(c),
                }
            )
        rows.sort(key=lambda r: r["priority"])  # stable: by due within a priority
        return {
            "now": now.isoformat(),
            "within_hours": hours,
            "overdue": [r for r in rows if r["overdue"]],
            "due_soon": [r for r in rows if not r["overdue"]],
        }

    def purge_candidates(self, days: int, now: datetime) -> list[dict[str, Any]]:
        """Closed or archived cases finished more than ``days`` before ``now``, oldest first.

        A case counts as finished when it was closed (or, withdrawn and archived
        without closing, when it was archived).
        """
        try:
            cutoff = now - timedelta(days=days)
        except OverflowError:  # further back than the calendar goes: nothing is that old
            cutoff = datetime.min.replace(tzinfo=UTC)
        rows: list[dict[str, Any]] = []
        for case in Cases(self.r).find(Filters(status=("closed", "archived"))):
            value = case.get("closed_at") or case.get("archived_at")
            if not value or datetime.fromisoformat(str(value)) >= cutoff:
                continue
            finished = datetime.fromisoformat(str(value))
            rows.append(
                {
                    "ref": case["ref"],
                    "status": case["status"],
                    "closed_at": str(value),
                    "days_closed": (now - finished).days,
                    "customer": case["customer"],
                    "contact": case["contact"],
                    "forgotten": case["customer"] == FORGOTTEN,
                }
            )
        rows.sort(key=lambda r: (r["closed_at"], r["ref"]))
        return rows

    def followups(
        self, within_hours: int = 0, at: datetime | None = None, states: list[Case] | None = None
    ) -> list[dict[str, Any]]:
        """Resolved or closed cases whose follow-up call is due (by now + ``within_hours``).

        Then the cases a follow-up flagged for a supervisor (``flag``: why).
        With ``at``: the cases as they were then, ``at`` taken for now
        (``handover --record --at``); ``states``: those cases already read
        (a superset of :data:`FOLLOWUP_SQL`'s, as of ``at``), not read again.
        """
        now = at or self.now()
        horizon = now + timedelta(hours=within_hours)
        due_cases: list[Case]
        flagged: list[Case]
        if at is None:
            due_cases = list(
                self.projector.cases(
                    "WHERE followup_due IS NOT NULL AND followup_due <= ? ORDER BY followup_due",
                    (horizon.timestamp(),),
                )
            )
            flagged = list(self.projector.cases(f"WHERE {FLAGGED_SQL}", (FLAG_MARK,)))
        else:
            if states is None:
                states = Cases(self.r).as_of(at, FOLLOWUP_SQL, (FLAG_MARK,))
            dated = [(d, c) for c in states if (d := self.sla.followup_due(c)) and d <= horizon]
            dated.sort(key=lambda x: (x[0], x[1]["ref"]))
            due_cases = [c for _d, c in dated]
            flagged = [c for c in states if c["status"] in ("resolved", "closed")]
        out = []
        for c in due_cases:
            due = self.sla.followup_due(c)
            if due is None:
                continue
            out.append(_followup_row(c, due.astimezone(UTC).isoformat(), due < now, None))
        # Followed up, and flagged for a supervisor (satisfaction 1, no leftover):
        # the call a supervisor owes, due since the follow-up.
        for c in flagged:
            flag = c.get("supervisor_flag")
            if flag:
                out.append(_followup_row(c, _utc(flag["at"]), False, flag["reason"]))
        return out


def _followup_row(c: Case, due: str, late: bool, flag: str | None) -> dict[str, Any]:
    """One row of ``followups``: a follow-up due, or a supervisor's call (``flag``)."""
    return {
        "ref": c["ref"],
        "status": c["status"],
        "owner": c["owner"],
        "customer": c["customer"],
        "contact": c["contact"],
        "resolved_at": c["resolved_at"],
        "due": due,
        "late": late,
        "flag": flag,
    }


def _utc(iso: str) -> str:
    return datetime.fromisoformat(iso).astimezone(UTC).isoformat()
