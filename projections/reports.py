"""The daily report read model: one day as it stood at its end, and the cases behind it.

A report for a day is the fold as of the end of that day (or now, for
today), by the events' own time: every section (overdue, backlog, call-backs,
follow-ups, major and outside-body cases, groups, escalations, remedies) is
computed from the cases as they were then, so ``report daily --date D`` gives
the same answer however often it is run later. The day's counts come from
the cache's ``activity`` table (one row per dated happening, indexed by
time), the trend and the backlog from the counts the cache keeps
(:mod:`projections.reportcounts`); the cases come from the cache where
unchanged since the end of the day and are folded again from their own
events where changed since (:meth:`projections.cases.Cases.case_as_of`).
The report carries the log's head as it stood then (:mod:`projections.head`).
"""

from __future__ import annotations

import sqlite3
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

from events.lifecycle import OPEN
from events.policy import DEFAULT_MAJOR_CHANNELS
from projections import reportcounts
from projections.case import Case
from projections.cases import Cases
from projections.head import head_at
from projections.reading import ReadModel

AGE_BUCKETS = ((24, "< 1 day"), (72, "1-3 days"), (168, "3-7 days"), (720, "7-30 days"))
#: The channels through which an outside body brings a case (consumer association,
#: regulator, media): the channels that make a case major by default.
OUTSIDE_CHANNELS = DEFAULT_MAJOR_CHANNELS
#: The day's counted happenings; ``overdue`` is counted from the cases at the day's end.
KINDS = ("received", "acknowledged", "resolved", "closed", "escalated", "reopened")
#: The figures of the seven-day trend (each a count of cases that day).
TREND = ("received", "acknowledged", "resolved", "closed", "escalated")
TREND_DAYS = 7


def _iso(dt: datetime | None) -> str | None:
    return dt.astimezone(UTC).isoformat() if dt is not None else None


def _hours(a: datetime, b: datetime) -> float:
    return round((b - a).total_seconds() / 3600, 1)


class Reports(ReadModel):
    """``report daily``."""

    def day_bounds(self, day: date) -> tuple[datetime, datetime]:
        return reportcounts.day_bounds(day, self.policy.zone)

    def states_at(self, start: datetime, at: datetime) -> list[Case]:
        """The cases a report of [start, at] reads, as they were at ``at``.

        Those open then, touched since ``start``, with a follow-up pending or in
        a group, from the cache where unchanged since ``at``; a case changed
        after ``at`` is folded again up to then (:meth:`Cases.refold_as_of`).
        """
        marks = ",".join("?" * len(OPEN))
        found = Cases(self.r).as_of(
            at,
            f"status IN ({marks}) OR updated >= ? OR followup_due IS NOT NULL"
            " OR groups IS NOT NULL",
            (*OPEN, start.timestamp()),
        )
        found.sort(key=lambda c: (c["received_at"], c["ref"]))
        return found

    def report_states(
        self, start: datetime, end: datetime, at: datetime
    ) -> tuple[Iterator[Case], Counter[str]] | None:
        """The cases a report of [start, end) lists, and the backlog's counts by age,
        through indexed queries alone (None when the cache is not the state at ``at``).

        Every section but the backlog names a case only if it is late or due by
        tomorrow (``due``: the earliest deadline), has a follow-up due
        (``followup_due``), was touched since ``start`` (received, escalated, a
        remedy: ``updated``), is in a group, or is a major or outside-body case
        still open: each is an indexed query, so the report's cost does not grow
        with the open cases that are none of these. The backlog per age bucket is
        summed from the open cases per hour of receipt the cache keeps
        (:func:`projections.reportcounts.open_received`). Only while no case changed
        after ``at`` (a report of today) is the cache that state.
        """
        db = self.projector.open()
        t = at.timestamp()
        if db.execute("SELECT 1 FROM cases WHERE updated > ? LIMIT 1", (t,)).fetchone():
            return None
        opened = ",".join("?" * len(OPEN))
        outside = ",".join("?" * len(OUTSIDE_CHANNELS))
        tomorrow = (end + timedelta(days=1)).timestamp()
        wheres: list[tuple[str, tuple[Any, ...]]] = [
            ("due < ?", (tomorrow,)),
            ("followup_due < ?", (end.timestamp(),)),
            ("updated >= ?", (start.timestamp(),)),
            ("groups IS NOT NULL", ()),
            (f"severity = 'major' AND status IN ({opened})", OPEN),
            (f"channel IN ({outside}) AND status IN ({opened})", (*OUTSIDE_CHANNELS, *OPEN)),
        ]
        ids: set[str] = set()
        for where, params in wheres:
            ids.update(i for (i,) in db.execute(f"SELECT id FROM cases WHERE {where}", params))
        found = self._in_order(db, ids)
        buckets: Counter[str] = Counter()
        upper, upto = t, False  # an age of exactly 24 h is in "1-3 days", as the fold counts
        for hours, label in (*AGE_BUCKETS, (None, "> 30 days")):
            lower = t - hours * 3600 if hours is not None else float("-inf")
            buckets[label] = reportcounts.open_received(db, lower, upper, upto)
            upper, upto = lower, True
        return found, buckets

    def _in_order(self, db: sqlite3.Connection, ids: set[str]) -> Iterator[Case]:
        """The cases ``ids`` oldest received first, read from the cache a part at a time
        (a report naming many cases holds each document only while it reads it)."""
        keys: list[tuple[float, str, str]] = []
        wanted = list(ids)
        for i in range(0, len(wanted), 500):
            part = wanted[i : i + 500]
            marks = ",".join("?" * len(part))
            keys += db.execute(f"SELECT received, ref, id FROM cases WHERE id IN ({marks})", part)
        keys.sort()
        for i in range(0, len(keys), 500):
            part = [k[2] for k in keys[i : i + 500]]
            where = f"WHERE id IN ({','.join('?' * len(part))})"
            docs = {c["_"]["id"]: c for c in self.projector.cases(where, tuple(part))}
            for case_id in part:
                yield docs.pop(case_id)

    def _activity(self, start: datetime, end: datetime) -> list[tuple[str, str, str, str, float]]:
        """(kind, case id, category, channel, ts) of the happenings in [start, end)."""
        db = self.projector.open()
        rows: list[tuple[str, str, str, str, float]] = db.execute(
            "SELECT a.kind, a.case_id, c.category, c.channel, a.ts"
            " FROM activity a JOIN cases c ON c.id = a.case_id WHERE a.ts >= ? AND a.ts < ?",
            (start.timestamp(), end.timestamp()),
        ).fetchall()
        return rows

    def head(self, at: datetime) -> dict[str, Any]:
        """The log's head at ``at``; now: the checkpoint the cache just caught up to."""
        if at < self.now() or self.source.kind == "file":
            return head_at(self.source, at)
        db = self.projector.open()
        meta = dict(db.execute("SELECT key, value FROM meta").fetchall())
        position = int(meta.get("position", 0))
        return {"position": position, "hash": meta.get("last_hash") if position else None}

    def trend(self, day: date, indexed: bool = True) -> list[dict[str, Any]]:
        """The main figures of the seven days up to ``day``: cases received, answered, ...

        Read from the cache's counts per day (:mod:`projections.reportcounts`): seven
        days' rows, however many cases they count. ``indexed=False`` counts the
        ``activity`` rows of each day instead (a scan of the week's index entries),
        for checking. (Every activity row is a case's: the cache writes them from
        case events only.)
        """
        db = self.projector.open()
        days = [day - timedelta(days=i) for i in range(TREND_DAYS - 1, -1, -1)]
        if indexed:
            kept = reportcounts.counts(db, days[0], days[-1])
            return [
                {"date": d.isoformat(), **{k: kept.get((d.isoformat(), k), 0) for k in TREND}}
                for d in days
            ]
        kinds = ",".join("?" * len(TREND))
        out = []
        for d in days:
            start, end = self.day_bounds(d)
            counts = dict(
                db.execute(
                    "SELECT kind, COUNT(DISTINCT case_id) FROM activity"
                    f" WHERE kind IN ({kinds}) AND ts >= ? AND ts < ? GROUP BY kind",
                    (*TREND, start.timestamp(), end.timestamp()),
                ).fetchall()
            )
            out.append({"date": d.isoformat(), **{k: counts.get(k, 0) for k in TREND}})
        return out

    def report_daily(self, day: date, indexed: bool = True) -> dict[str, Any]:
        """The day's counts, the cases behind them, the trend and the log's head.

        Counts of the day's happenings are exact for any day (received counts
        by the business time of receipt). Everything about the cases' state
        (overdue, backlog, call-backs due tomorrow, follow-ups due, major and
        outside-body cases, active groups) is as of the end of the day, or
        now if the day is not over. ``indexed=False`` reads every open case instead
        of the indexed queries (:meth:`report_states`): the same report, for checking.
        """
        start, end = self.day_bounds(day)
        now = self.now()
        at = min(now, end)
        clock = self.sla
        by_cat: dict[str, Counter[str]] = defaultdict(Counter)
        by_chan: dict[str, Counter[str]] = defaultdict(Counter)
        totals: Counter[str] = Counter()
        # Cases, not events: a case escalated twice in a day is one escalated case.
        for kind, _case, category, channel in {r[:4] for r in self._activity(start, end)}:
            if kind not in KINDS:
                continue
            totals[kind] += 1
            by_cat[category][kind] += 1
            by_chan[channel][kind] += 1
        fast = self.report_states(start, end, at) if indexed else None
        states: Iterable[Case]
        states, buckets = fast if fast is not None else (self.states_at(start, at), Counter())
        overdue_by_owner: Counter[str] = Counter()
        overdue_cases: list[dict[str, Any]] = []
        callbacks: list[dict[str, Any]] = []
        followups: list[dict[str, Any]] = []
        major: list[dict[str, Any]] = []
        outside: list[dict[str, Any]] = []
        escalations: list[dict[str, Any]] = []
        granted: list[dict[str, Any]] = []
        group_members: dict[str, list[Case]] = defaultdict(list)
        tomorrow = end + timedelta(days=1)

        def today(iso: str) -> bool:
            return start <= datetime.fromisoformat(iso) < end

        def brief(c: Case) -> dict[str, Any]:
            return {
                "ref": c["ref"],
                "customer": c["customer"],
                "contact": c["contact"],
                "owner": c["owner"],
                "status": c["status"],
                "category": c["category"],
                "channel": c["channel"],
                "severity": c["severity"],
                "tier": c["tier"],
                "received_at": c["received_at"],
            }

        for c in states:
            received = datetime.fromisoformat(c["received_at"])
            is_open = c["status"] in OPEN
            received_today = start <= received < end
            for g in c["groups"]:
                group_members[g].append(c)
            if fast is None and is_open and received < at:
                age = (at - received).total_seconds() / 3600
                buckets[next((lbl for h, lbl in AGE_BUCKETS if age < h), "> 30 days")] += 1
            late = [(k, d) for k, d in clock.deadlines(c) if d < at]
            if late:
                kind, due = min(late, key=lambda kd: kd[1])
                promises = c["_"]["promises"]
                overdue_by_owner[c["owner"] or "-"] += 1
                by_cat[c["category"]]["overdue"] += 1
                by_chan[c["channel"]]["overdue"] += 1
                totals["overdue"] += 1
                overdue_cases.append(
                    {
                        **brief(c),
                        "deadline": kind,
                        "due": _iso(due),
                        "hours_late": _hours(due, at),
                        "kinds": [k for k, _d in late],
                        "promised_reply_by": promises[-1]["reply_by"] if promises else None,
                        "demand": c["demand"],
                    }
                )
            promises = c["_"]["promises"]
            if is_open and promises and promises[-1]["kept_at"] is None:
                reply_by = datetime.fromisoformat(promises[-1]["reply_by"])
                if end <= reply_by < tomorrow:
                    callbacks.append({**brief(c), "reply_by": _iso(reply_by)})
            fdue = clock.followup_due(c)
            if fdue is not None and fdue < end:
                followups.append({**brief(c), "due": _iso(fdue)})
            if c["severity"] == "major" and (is_open or received_today):
                major.append({**brief(c), "major_reasons": c["major_reasons"], "vip": c["vip"]})
            if c["channel"] in OUTSIDE_CHANNELS and (is_open or received_today):
                outside.append(brief(c))
            for e in c["_"]["escalated"]:
                if today(e["at"]):
                    escalations.append(
                        {**brief(c), "at": e["at"], "from_tier": e["from"], "to_tier": e["to"]}
                    )
            for r in c["_"]["remedies"]:
                if today(r["at"]):
                    granted.append(
                        {
                            "ref": c["ref"],
                            "customer": c["customer"],
                            "owner": c["owner"],
                            "kind": r["kind"],
                            "amount": r["amount"],
                            "currency": r["currency"],
                            "at": r["at"],
                        }
                    )
        overdue_cases.sort(key=lambda o: (-o["hours_late"], o["ref"]))
        callbacks.sort(key=lambda o: (o["reply_by"], o["ref"]))
        followups.sort(key=lambda o: (o["due"], o["ref"]))
        escalations.sort(key=lambda o: (o["at"], o["ref"]))
        per_currency: dict[str, Decimal] = defaultdict(Decimal)
        counts: Counter[str] = Counter()
        for g in granted:
            key = g["currency"] or "-"
            counts[key] += 1
            if g["amount"] is not None:
                per_currency[key] += Decimal(g["amount"])
        groups = [
            {
                "name": name,
                "open": sum(1 for m in members if m["status"] in OPEN),
                "members": [
                    {
                        "ref": m["ref"],
                        "customer": m["customer"],
                        "status": m["status"],
                        "owner": m["owner"],
                    }
                    for m in members
                ],
            }
            for name, members in sorted(group_members.items())
            if any(m["status"] in OPEN for m in members)
        ]
        cols = (*KINDS, "overdue")

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
            "complete": end <= now,
            "head": self.head(at),
            "totals": {c: totals[c] for c in cols},
            "by_category": table(by_cat),
            "by_channel": table(by_chan),
            "backlog": {
                "open": sum(buckets.values()),
                "by_age": [{"age": lbl, "cases": buckets[lbl]} for lbl in order],
            },
            "overdue_by_owner": [
                {"owner": k, "cases": v} for k, v in overdue_by_owner.most_common()
            ],
            "overdue": len(overdue_cases),
            "overdue_cases": overdue_cases,
            "callbacks_due_tomorrow": callbacks,
            "followups_due": len(followups),
            "followups": followups,
            "major_cases": major,
            "outside_cases": outside,
            "groups": groups,
            "escalations": escalations,
            "remedies": {
                "granted": granted,
                "by_currency": [
                    {"currency": k, "cases": counts[k], "amount": str(per_currency.get(k, 0))}
                    for k in sorted(counts)
                ],
            },
            "trend": self.trend(day, indexed),
        }
