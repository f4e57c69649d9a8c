"""The statistics read model: ``stats`` over the cases received in a period, by a key."""

from __future__ import annotations

import statistics
from collections import Counter, defaultdict
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
        cases = self._received_between(since, until)
        out: dict[str, Any] = {
            "since": since.isoformat() if since else None,
            "until": until.isoformat() if until else None,
            "basis": self.sla.calendar.basis,
            "by": by,
            "total": self._figures(cases),
        }
        if by == "at-fault":
            out["groups"] = self._at_fault(cases)
        elif by == "followups":
            out["groups"] = self._followup_quota(since, until)
        elif by is not None:
            grouped: dict[str, list[Case]] = defaultdict(list)
            for c in cases:
                for k in self._keys(c, by.replace("-", "_") if by != "root-cause" else by):
                    grouped[k].append(c)
            out["groups"] = [
                {"key": k, **self._figures(v)}
                for k, v in sorted(grouped.items(), key=lambda kv: (-len(kv[1]), kv[0]))
            ]
        return out

    def _received_between(self, since: datetime | None, until: datetime | None) -> list[Case]:
        where, params = Filters(since=since, until=until).sql(self.now())
        return list(self.projector.cases(where + " ORDER BY received", tuple(params)))

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

    def _figures(self, cases: list[Case]) -> dict[str, Any]:
        """The statistics of one set of cases."""
        now = self.now()
        n = len(cases)
        measures = [self.sla.measures(c, now) for c in cases]
        assessed = [c for c in cases if c["valid"] is not None]
        acked = [m for m in measures if m["hours_to_acknowledge"] is not None]
        resolved = [m for m in measures if m["hours_to_resolve"] is not None]
        ack_hours = [m["hours_to_acknowledge"] for m in acked]
        res_hours = [m["hours_to_resolve"] for m in resolved]
        tiers: Counter[str] = Counter()
        for c in cases:
            for step in c["_"]["escalated"]:
                tiers[f"tier {step['to']}"] += 1
        sats = [
            f["satisfaction"]
            for c in cases
            for f in c["followups"]
            if f["outcome"] == "reached" and f.get("satisfaction") is not None
        ]
        contacts = Counter("".join(c["contact"].split()).casefold() for c in cases)
        remedies: dict[str, Decimal] = defaultdict(Decimal)
        granted = 0
        for c in cases:
            for r in c["_"]["remedies"]:
                granted += 1
                if r["amount"] is not None:
                    remedies[r["currency"] or self.policy.currency] += Decimal(r["amount"])
        causes: Counter[str] = Counter()
        for c in cases:
            if c["root_cause"]:
                causes[c["root_cause"]] += 1
        promises = [p for m in measures for p in m["promises"] if p["state"] != "pending"]
        return {
            "received": n,
            "valid_share": _pct(sum(1 for c in assessed if c["valid"]), len(assessed)),
            "acknowledged_within_target_pct": _pct(
                sum(1 for m in acked if m["acknowledged_within_target"]), len(acked)
            ),
            "promises_kept_pct": _pct(
                sum(1 for p in promises if p["state"] == "kept"), len(promises)
            ),
            "hours_to_acknowledge": {
                "median": _median(ack_hours),
                "p90": _quantile(ack_hours, 0.9),
            },
            "hours_to_resolve": {"median": _median(res_hours), "p90": _quantile(res_hours, 0.9)},
            "within_sla_pct": _pct(
                sum(1 for m in resolved if m["resolved_within_target"]), len(resolved)
            ),
            "escalations": dict(sorted(tiers.items())),
            "reopen_rate_pct": _pct(sum(1 for c in cases if c["reopen_count"]), n),
            "satisfaction": {
                "mean": round(statistics.fmean(sats), 2) if sats else None,
                "count": len(sats),
                "distribution": {str(k): sats.count(k) for k in range(1, 6)},
            },
            "repeat_complainants": sum(1 for v in contacts.values() if v >= 2),
            "remedies_granted": {
                "count": granted,
                "total": {k: str(v) for k, v in sorted(remedies.items())},
            },
            "top_root_causes": [{"root_cause": k, "cases": v} for k, v in causes.most_common(5)],
        }

    def _at_fault(self, cases: list[Case]) -> list[dict[str, Any]]:
        """Valid complaints caused by each staff member, and by each department."""
        staff: Counter[str] = Counter()
        depts: Counter[str] = Counter()
        for c in cases:
            if not c["valid"]:
                continue
            names, faulty = at_fault_of(c, self.policy)
            for name in names:
                staff[name] += 1
            for dept in faulty:
                depts[dept] += 1
        rows = [{"kind": "staff", "key": k, "valid_complaints": v} for k, v in staff.most_common()]
        rows += [
            {"kind": "department", "key": k, "valid_complaints": v} for k, v in depts.most_common()
        ]
        return rows

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
