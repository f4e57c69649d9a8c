"""The daily report read model: one day's happenings, the backlog, what is overdue.

The day's counts come from the cache's ``activity`` table (one row per dated
happening, indexed by time), so a report reads one day, not the history.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from events.lifecycle import OPEN
from projections.reading import ReadModel

AGE_BUCKETS = ((24, "< 1 day"), (72, "1-3 days"), (168, "3-7 days"), (720, "7-30 days"))


class Reports(ReadModel):
    """``report daily``."""

    def day_bounds(self, day: date) -> tuple[datetime, datetime]:
        zone = self.policy.zone
        return (
            datetime.combine(day, time(0), zone),
            datetime.combine(day + timedelta(days=1), time(0), zone),
        )

    def report_daily(self, day: date) -> dict[str, Any]:
        """The day's counts by category and channel, the backlog, overdue by owner, follow-ups.

        Counts of the day's happenings are exact for any day (received counts
        by the business time of receipt). ``overdue`` counts the open cases
        past a deadline; they, the backlog and the follow-ups due are the
        cases as they stand now, measured at the end of the day or now if
        the day is today (``list --as-of`` gives the full state of an
        earlier day).
        """
        db = self.projector.open()
        start, end = self.day_bounds(day)
        now = self.now()
        at = min(now, end)
        kinds = ("received", "acknowledged", "resolved", "closed", "escalated", "reopened")
        by_cat: dict[str, Counter[str]] = defaultdict(Counter)
        by_chan: dict[str, Counter[str]] = defaultdict(Counter)
        totals: Counter[str] = Counter()
        rows = db.execute(
            # Cases, not events: a case escalated twice in a day is one escalated case.
            "SELECT DISTINCT a.kind, a.case_id, c.category, c.channel"
            " FROM activity a JOIN cases c ON c.id = a.case_id WHERE a.ts >= ? AND a.ts < ?",
            (start.timestamp(), end.timestamp()),
        ).fetchall()
        for kind, _case, category, channel in rows:
            if kind not in kinds:
                continue
            totals[kind] += 1
            by_cat[category][kind] += 1
            by_chan[channel][kind] += 1
        # Open and past a deadline at the end of the day (or now).
        late = db.execute(
            "SELECT category, channel FROM cases WHERE due < ?", (at.timestamp(),)
        ).fetchall()
        for category, channel in late:
            totals["overdue"] += 1
            by_cat[category]["overdue"] += 1
            by_chan[channel]["overdue"] += 1
        open_rows = db.execute(
            f"SELECT received, owner, due FROM cases WHERE status IN ({','.join('?' * len(OPEN))})"
            " AND received < ?",
            (*OPEN, at.timestamp()),
        ).fetchall()
        buckets: Counter[str] = Counter()
        overdue_by_owner: Counter[str] = Counter()
        for received, owner, due in open_rows:
            age = (at.timestamp() - received) / 3600
            label = next((lbl for h, lbl in AGE_BUCKETS if age < h), "> 30 days")
            buckets[label] += 1
            if due is not None and due < at.timestamp():
                overdue_by_owner[owner or "-"] += 1
        followups = db.execute(
            "SELECT count(*) FROM cases WHERE followup_due IS NOT NULL AND followup_due < ?",
            (end.timestamp(),),
        ).fetchone()[0]
        cols = (*kinds, "overdue")

        def table(groups: dict[str, Counter[str]]) -> list[dict[str, Any]]:
            return [
                {"key": k, **{c: v[c] for c in cols}}
                for k, v in sorted(groups.items(), key=lambda kv: (-sum(kv[1].values()), kv[0]))
            ]

        order = [lbl for _h, lbl in AGE_BUCKETS] + ["> 30 days"]
        return {
            "date": day.isoformat(),
            "timezone": self.policy.timezone,
            "as_of": at.astimezone(UTC).isoformat(),
            "totals": {c: totals[c] for c in cols},
            "by_category": table(by_cat),
            "by_channel": table(by_chan),
            "backlog": {
                "open": len(open_rows),
                "by_age": [{"age": lbl, "cases": buckets[lbl]} for lbl in order],
            },
            "overdue_by_owner": [
                {"owner": k, "cases": v} for k, v in overdue_by_owner.most_common()
            ],
            "overdue": sum(overdue_by_owner.values()),
            "followups_due": followups,
        }
