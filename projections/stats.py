"""The statistics read model: ``stats`` over the cases received in a period, by a key."""

from __future__ import annotations

import statistics
from collections import Counter, defaultdict
from collections.abc import Iterator
from datetime import datetime, timedelta, tzinfo
from decimal import Decimal
from typing import Any

from events.policy import Policy
from projections.case import Case
from projections.cases import Filters
from projections.reading import ReadModel, no_gc

BY_KEYS = (
    "category",
    "channel",
    "owner",
    "severity",
    "root-cause",
    "department",
    "at-fault",
    "followups",
)


def _pct(part: int, whole: int) -> float | None:
    return round(100.0 * part / whole, 1) if whole else None


def _quantile(values: list[float], q: float) -> float | None:
    """The q-quantile by the nearest-rank method (a value that occurred, no interpolation)."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, -(-len(ordered) * q // 1))  # ceil(n*q), at least 1
    return round(ordered[int(rank) - 1], 2)


def _median(values: list[float]) -> float | None:
    return round(statistics.median(values), 2) if values else None


def _weeks(since: datetime | None, until: datetime | None, now: datetime, zone: tzinfo) -> set[str]:
    """The ISO weeks (``YYYY-Www``) of [since, until); open ends are the follow-ups' own.

    With neither end, the current week (a shop with no follow-ups yet still
    sees who owes them). At most a year of weeks.
    """
    if since is None and until is None:
        since, until = now, now + timedelta(seconds=1)
    if since is None or until is None:
        return set()
    out: set[str] = set()
    day = since.astimezone(zone).date()
    last = (until - timedelta(microseconds=1)).astimezone(zone).date()
    while day <= last and len(out) < 54:
        y, w, _d = day.isocalendar()
        out.add(f"{y}-W{w:02d}")
        day += timedelta(days=7 - day.weekday())  # the next Monday
    y, w, _d = last.isocalendar()
    if len(out) < 54:
        out.add(f"{y}-W{w:02d}")
    return out


def at_fault_of(c: Case, policy: Policy) -> tuple[list[str], set[str]]:
    """The staff and the departments an assessment found at fault (a staff member's error
    is their department's too)."""
    known = set(policy.departments)
    names = c.get("at_fault_staff") or [n for n in c["at_fault"] if n not in known]
    faulty = set(c.get("at_fault_departments") or [n for n in c["at_fault"] if n in known])
    for name in names:
        member = policy.staff.get(name)
        if member and member.department:
            faulty.add(member.department)
    return list(names), faulty


class Stats(ReadModel):
    """Figures of a set of cases: shares, times to acknowledge and resolve, satisfaction."""

    def stats(
        self, since: datetime | None, until: datetime | None, by: str | None
    ) -> dict[str, Any]:
        """Statistics of the cases received in [since, until), overall and per ``by`` key."""
        with no_gc():  # tens of thousands of case documents: no cycles, nothing to collect
            return self._stats(since, until, by)

    def _stats(
        self, since: datetime | None, until: datetime | None, by: str | None
    ) -> dict[str, Any]:
        # One pass over the cases as they come from the cache, each added to the
        # figures it counts in and then let go: a million events' cases never sit
        # in memory together (issue 14).
        now = self.now()
        total = _Figures(self, now)
        grouped: dict[str, _Figures] = {}
        fault = _AtFault(self) if by == "at-fault" else None
        key = None if by in (None, "at-fault", "followups") else by
        key = key.replace("-", "_") if key not in (None, "root-cause") else key
        for c in self._received_between(since, until):
            total.add(c)
            if fault is not None:
                fault.add(c)
            elif key is not None:
                for k in self._keys(c, key):
                    if k not in grouped:
                        grouped[k] = _Figures(self, now)
                    grouped[k].add(c)
        out: dict[str, Any] = {
            "since": since.isoformat() if since else None,
            "until": until.isoformat() if until else None,
            "basis": self.sla.calendar.basis,
            "by": by,
            "total": total.result(),
        }
        if fault is not None:
            out["groups"] = fault.result()
        elif by == "followups":
            out["groups"] = self._followup_quota(since, until)
        elif by is not None:
            out["groups"] = [
                {"key": k, **v.result()}
                for k, v in sorted(grouped.items(), key=lambda kv: (-kv[1].n, kv[0]))
            ]
        return out

    def _received_between(self, since: datetime | None, until: datetime | None) -> Iterator[Case]:
        where, params = Filters(since=since, until=until).sql(self.now())
        return self.projector.cases(where + " ORDER BY received", tuple(params))

    def _keys(self, c: Case, by: str) -> list[str]:
        if by == "root-cause":
            causes = [c["root_cause"]] if c["root_cause"] else []
            causes += [r["root_cause"] for r in c["reviews"] if r["root_cause"] not in causes]
            return causes or ["-"]
        if by == "department":
            depts = list(dict.fromkeys(d["department"] for d in c["departments"]))
            return depts or ["-"]
        value = c[by]
        return [str(value) if value not in (None, "") else "-"]

    def _followup_quota(
        self, since: datetime | None, until: datetime | None
    ) -> list[dict[str, Any]]:
        """Follow-ups done per staff member per ISO week, against the config's weekly quota."""
        db = self.projector.open()
        sql = "SELECT ts, actor FROM activity WHERE kind = 'followed_up'"
        params: list[Any] = []
        if since is not None:
            sql += " AND ts >= ?"
            params.append(since.timestamp())
        if until is not None:
            sql += " AND ts < ?"
            params.append(until.timestamp())
        zone = self.policy.zone
        done: Counter[tuple[str, str]] = Counter()
        for ts, actor in db.execute(sql, params):
            y, w, _d = datetime.fromtimestamp(ts, zone).isocalendar()
            done[(f"{y}-W{w:02d}", actor or "-")] += 1
        # Who did none at all missed the quota most: every writing member of the
        # config's staff has a row in every week of the period.
        staff = [m.name for m in self.policy.staff.values() if not m.is_auditor]
        weeks = {w for w, _a in done} | _weeks(since, until, self.now(), zone)
        for week in weeks:
            for name in staff:
                done.setdefault((week, name), 0)
        quota = self.settings.followup_quota
        return [
            {
                "week": week,
                "key": actor,
                "followups": n,
                "quota": quota,
                "met": n >= quota,
            }
            for (week, actor), n in sorted(done.items())
        ]


class _Figures:
    """The statistics of one set of cases, added one case at a time."""

    def __init__(self, model: Stats, now: datetime) -> None:
        self.model = model
        self.now = now
        self.n = 0
        self.assessed = 0
        self.valid = 0
        self.acked = 0
        self.acked_within = 0
        self.resolved = 0
        self.resolved_within = 0
        self.ack_hours: list[float] = []
        self.res_hours: list[float] = []
        self.tiers: Counter[str] = Counter()
        self.sats: list[int] = []
        self.contacts: Counter[str] = Counter()
        self.remedies: dict[str, Decimal] = defaultdict(Decimal)
        self.granted = 0
        self.causes: Counter[str] = Counter()
        self.promises = 0
        self.kept = 0
        self.reopened = 0

    def add(self, c: Case) -> None:
        m = self.model.sla.measures(c, self.now)
        self.n += 1
        if c["valid"] is not None:
            self.assessed += 1
            self.valid += 1 if c["valid"] else 0
        if m["hours_to_acknowledge"] is not None:
            self.acked += 1
            self.acked_within += 1 if m["acknowledged_within_target"] else 0
            self.ack_hours.append(m["hours_to_acknowledge"])
        if m["hours_to_resolve"] is not None:
            self.resolved += 1
            self.resolved_within += 1 if m["resolved_within_target"] else 0
            self.res_hours.append(m["hours_to_resolve"])
        for step in c["_"]["escalated"]:
            self.tiers[f"tier {step['to']}"] += 1
        self.sats += [
            f["satisfaction"]
            for f in c["followups"]
            if f["outcome"] == "reached" and f.get("satisfaction") is not None
        ]
        self.contacts["".join(c["contact"].split()).casefold()] += 1
        for r in c["_"]["remedies"]:
            self.granted += 1
            if r["amount"] is not None:
                self.remedies[r["currency"] or self.model.policy.currency] += Decimal(r["amount"])
        if c["root_cause"]:
            self.causes[c["root_cause"]] += 1
        for p in m["promises"]:
            if p["state"] != "pending":
                self.promises += 1
                self.kept += 1 if p["state"] == "kept" else 0
        self.reopened += 1 if c["reopen_count"] else 0

    def result(self) -> dict[str, Any]:
        sats = self.sats
        return {
            "received": self.n,
            "valid_share": _pct(self.valid, self.assessed),
            "acknowledged_within_target_pct": _pct(self.acked_within, self.acked),
            "promises_kept_pct": _pct(self.kept, self.promises),
            "hours_to_acknowledge": {
                "median": _median(self.ack_hours),
                "p90": _quantile(self.ack_hours, 0.9),
            },
            "hours_to_resolve": {
                "median": _median(self.res_hours),
                "p90": _quantile(self.res_hours, 0.9),
            },
            "within_sla_pct": _pct(self.resolved_within, self.resolved),
            "escalations": dict(sorted(self.tiers.items())),
            "reopen_rate_pct": _pct(self.reopened, self.n),
            "satisfaction": {
                "mean": round(statistics.fmean(sats), 2) if sats else None,
                "count": len(sats),
                "distribution": {str(k): sats.count(k) for k in range(1, 6)},
            },
            "repeat_complainants": sum(1 for v in self.contacts.values() if v >= 2),
            "remedies_granted": {
                "count": self.granted,
                "total": {k: str(v) for k, v in sorted(self.remedies.items())},
            },
            "top_root_causes": [
                {"root_cause": k, "cases": v} for k, v in self.causes.most_common(5)
            ],
        }


class _AtFault:
    """Valid complaints caused by each staff member, and by each department."""

    def __init__(self, model: Stats) -> None:
        self.policy = model.policy
        self.staff: Counter[str] = Counter()
        self.depts: Counter[str] = Counter()

    def add(self, c: Case) -> None:
        if not c["valid"]:
            return
        names, faulty = at_fault_of(c, self.policy)
        self.staff.update(names)
        self.depts.update(faulty)

    def result(self) -> list[dict[str, Any]]:
        rows = [
            {"kind": "staff", "key": k, "valid_complaints": v} for k, v in self.staff.most_common()
        ]
        rows += [
            {"kind": "department", "key": k, "valid_complaints": v}
            for k, v in self.depts.most_common()
        ]
        return rows
