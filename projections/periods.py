"""The weekly and monthly report read model: a period as it stood at its end.

``report weekly`` (an ISO week) and ``report monthly`` (a calendar month)
in the shop's zone. Like ``report daily`` a past period is the fold as of
its end (or now, for the current one), by the events' own time, so it gives
the same answer however often it is run later.

Three sets are read, each through an indexed query so that the cost grows
with the period's cases, not the store's:

- the trend and the period's counts: the cache's ``activity`` rows in the
  period (cases, not events: a case escalated twice is one escalated case);
- the cases *received* in the period, as they stood at its end: hot
  categories, recurring root causes, times to answer and resolve, promises,
  the reopen rate, and the valid complaints and media exposures each
  person caused (``assess --at-fault``), as ``stats --since/--until``;
- the follow-ups *done* in the period: satisfaction, and each person's
  follow-ups against the weekly quota (``shop.followup_quota``; a month
  counts four weeks, as the seeds' house rule does: 每月按四周计算).
"""

from __future__ import annotations

import re
import statistics
from collections import Counter, defaultdict
from collections.abc import Iterable
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from events.lifecycle import MEDIA_REASON, OPEN
from projections.case import Case
from projections.cases import Cases
from projections.reading import ReadModel, no_gc
from projections.reports import Reports
from projections.stats import _median, _pct, _quantile, at_fault_of

#: The period's counted happenings (from the activity table).
KINDS = ("received", "acknowledged", "resolved", "closed", "escalated", "reopened", "followed_up")
#: A month's follow-up quota in weeks (the seeds: 每周有效回访20位, 每月按四周计算共80条).
WEEKS_PER_MONTH = 4
#: Root causes found in at least this many cases of the period recur.
RECURRING = 2

_WEEK = re.compile(r"^(\d{4})-?W(\d{2})$", re.IGNORECASE)
_MONTH = re.compile(r"^(\d{4})-(\d{2})$")


def parse_week(text: str, today: date) -> date:
    """The Monday of ``YYYY-Www`` (``this``, ``last`` also read)."""
    word = text.strip().casefold()
    monday = today - timedelta(days=today.weekday())
    if word in ("this", "本周"):
        return monday
    if word in ("last", "上周"):
        return monday - timedelta(days=7)
    m = _WEEK.match(text.strip())
    if not m:
        raise ValueError(f"not an ISO week (YYYY-Www, this, last): {text!r}")
    try:
        return date.fromisocalendar(int(m[1]), int(m[2]), 1)
    except ValueError:
        raise ValueError(f"no such week: {text!r}") from None


def parse_month(text: str, today: date) -> date:
    """The first day of ``YYYY-MM`` (``this``, ``last`` also read)."""
    word = text.strip().casefold()
    first = today.replace(day=1)
    if word in ("this", "本月"):
        return first
    if word in ("last", "上月"):
        return (first - timedelta(days=1)).replace(day=1)
    m = _MONTH.match(text.strip())
    if not m or not 1 <= int(m[2]) <= 12:
        raise ValueError(f"not a month (YYYY-MM, this, last): {text!r}")
    return date(int(m[1]), int(m[2]), 1)


def week_label(d: date) -> str:
    y, w, _d = d.isocalendar()
    return f"{y}-W{w:02d}"


def period_days(kind: str, first: date) -> tuple[str, date, list[tuple[str, date, date]]]:
    """The period's label, its end (exclusive) and its trend buckets (key, first, end)."""
    if kind == "week":
        end = first + timedelta(days=7)
        days = [first + timedelta(days=i) for i in range(7)]
        return week_label(first), end, [(d.isoformat(), d, d + timedelta(days=1)) for d in days]
    end = (first + timedelta(days=32)).replace(day=1)
    buckets = []
    d = first
    while d < end:
        nxt = min(end, d + timedelta(days=7 - d.weekday()))
        buckets.append((week_label(d), d, nxt))
        d = nxt
    return first.strftime("%Y-%m"), end, buckets


def _times(values: list[float]) -> dict[str, Any]:
    return {"median": _median(values), "p90": _quantile(values, 0.9), "count": len(values)}


def _satisfaction(scores: list[int]) -> dict[str, Any]:
    return {
        "mean": round(statistics.fmean(scores), 2) if scores else None,
        "count": len(scores),
        "distribution": {str(k): scores.count(k) for k in range(1, 6)},
    }


def media_exposed(c: Case) -> bool:
    """Brought by the media, or with a threat of media exposure (at receipt or later)."""
    return c["channel"] == "media" or any(r.startswith(MEDIA_REASON) for r in c["major_reasons"])


class Periods(ReadModel):
    """``report weekly`` and ``report monthly``."""

    def bounds(self, first: date, end: date) -> tuple[datetime, datetime]:
        zone = self.policy.zone
        return datetime.combine(first, time(0), zone), datetime.combine(end, time(0), zone)

    def _as_of(self, docs: Iterable[Case], at: datetime) -> list[Case]:
        """The cases as they were at ``at`` (those changed since: :meth:`Cases.refold_as_of`)."""
        t = at.timestamp()
        out: list[Case] = []
        changed: list[str] = []
        for c in docs:
            if datetime.fromisoformat(c["updated_at"]).timestamp() > t:
                changed.append(c["ref"])
            else:
                out.append(c)
        return out + Cases(self.r).refold_as_of(changed, at)

    def _activity(self, start: datetime, end: datetime) -> list[tuple[str, str, str | None, float]]:
        db = self.projector.open()
        rows: list[tuple[str, str, str | None, float]] = db.execute(
            "SELECT kind, case_id, actor, ts FROM activity WHERE ts >= ? AND ts < ?",
            (start.timestamp(), end.timestamp()),
        ).fetchall()
        return rows

    def report_period(self, kind: str, first: date) -> dict[str, Any]:
        """The report of the week or month starting ``first`` (see the module's text)."""
        with no_gc():
            return self._report(kind, first)

    def _report(self, kind: str, first: date) -> dict[str, Any]:
        label, last, buckets = period_days(kind, first)
        start, end = self.bounds(first, last)
        now = self.now()
        at = min(now, end)
        zone = self.policy.zone
        activity = self._activity(start, end)
        # -- the trend and the counts: cases, not events -------------------------------
        bucket_of = {d.isoformat(): key for key, b0, b1 in buckets for d in _days(b0, b1)}
        seen: dict[str, set[tuple[str, str]]] = defaultdict(set)
        totals: set[tuple[str, str]] = set()
        followed: set[str] = set()
        for k, case_id, _actor, ts in activity:
            day = datetime.fromtimestamp(ts, zone).date().isoformat()
            seen[bucket_of[day]].add((k, case_id))
            totals.add((k, case_id))
            if k == "followed_up":
                followed.add(case_id)
        trend = []
        for key, b0, b1 in buckets:
            counts = Counter(k for k, _c in seen[key])
            trend.append(
                {
                    "key": key,
                    "first_day": b0.isoformat(),
                    "last_day": (b1 - timedelta(days=1)).isoformat(),
                    **{k: counts[k] for k in KINDS},
                }
            )
        total_counts = Counter(k for k, _c in totals)
        # -- the cases received in the period, as they stood at its end ----------------
        received = self._as_of(
            self.projector.cases(
                "WHERE received >= ? AND received < ? ORDER BY received",
                (start.timestamp(), end.timestamp()),
            ),
            at,
        )
        received = [c for c in received if start <= datetime.fromisoformat(c["received_at"]) < end]
        received.sort(key=lambda c: (c["received_at"], c["ref"]))
        ids = {c["_"]["id"] for c in received}
        more = sorted(followed - ids)
        followed_cases = [c for c in received if c["_"]["id"] in followed]
        for i in range(0, len(more), 500):  # under SQLite's limit of parameters
            chunk = tuple(more[i : i + 500])
            marks = ",".join("?" * len(chunk))
            followed_cases += self._as_of(self.projector.cases(f"WHERE id IN ({marks})", chunk), at)
        measures = [self.sla.measures(c, at) for c in received]
        ack = [m["hours_to_acknowledge"] for m in measures if m["hours_to_acknowledge"] is not None]
        res = [m["hours_to_resolve"] for m in measures if m["hours_to_resolve"] is not None]
        acked = [m for m in measures if m["acknowledged_within_target"] is not None]
        promises = Counter(p["state"] for m in measures for p in m["promises"])
        settled = promises["kept"] + promises["missed"]
        reopened = sum(1 for c in received if c["reopen_count"])
        # -- follow-ups done in the period -------------------------------------------
        done = [
            (c, f)
            for c in followed_cases
            for f in c["followups"]
            if start <= datetime.fromisoformat(f["at"]) < end
        ]
        scores = [
            f["satisfaction"]
            for _c, f in done
            if f["outcome"] == "reached" and f.get("satisfaction") is not None
        ]
        return {
            "period": kind,
            "label": label,
            "first_day": first.isoformat(),
            "last_day": (last - timedelta(days=1)).isoformat(),
            "timezone": self.policy.timezone,
            "as_of": at.astimezone(UTC).isoformat(),
            "complete": end <= now,
            "head": Reports(self.r).head(at),
            "basis": self.sla.calendar.basis,
            "totals": {k: total_counts[k] for k in KINDS},
            "trend": trend,
            "categories": self._categories(received),
            "root_causes": self._root_causes(received),
            "hours_to_acknowledge": _times(ack),
            "hours_to_resolve": _times(res),
            "answered_within_target": {
                "cases": len(acked),
                "within": sum(1 for m in acked if m["acknowledged_within_target"]),
                "pct": _pct(sum(1 for m in acked if m["acknowledged_within_target"]), len(acked)),
            },
            "promises": {
                "kept": promises["kept"],
                "missed": promises["missed"],
                "pending": promises["pending"],
                "kept_pct": _pct(promises["kept"], settled),
            },
            "reopen": {
                "cases": len(received),
                "reopened": reopened,
                "pct": _pct(reopened, len(received)),
            },
            "satisfaction": _satisfaction(scores),
            "staff": self._staff(kind, received, done, activity),
        }

    def _categories(self, cases: list[Case]) -> list[dict[str, Any]]:
        """Hot categories: the period's cases by category, the most first."""
        by: dict[str, list[Case]] = defaultdict(list)
        for c in cases:
            by[c["category"] or "-"].append(c)
        return [
            {
                "category": k,
                "received": len(v),
                "share_pct": _pct(len(v), len(cases)),
                "valid": sum(1 for c in v if c["valid"]),
                "major": sum(1 for c in v if c["severity"] == "major"),
                "open": sum(1 for c in v if c["status"] in OPEN),
            }
            for k, v in sorted(by.items(), key=lambda kv: (-len(kv[1]), kv[0]))
        ]

    def _root_causes(self, cases: list[Case]) -> list[dict[str, Any]]:
        """Root causes (assessed or reviewed) found in more than one case of the period."""
        refs: dict[str, list[str]] = defaultdict(list)
        for c in cases:
            causes = [c["root_cause"]] if c["root_cause"] else []
            causes += [r["root_cause"] for r in c["reviews"] if r["root_cause"] not in causes]
            for cause in causes:
                refs[cause.strip()].append(c["ref"])
        return [
            {"root_cause": k, "cases": len(v), "refs": v}
            for k, v in sorted(refs.items(), key=lambda kv: (-len(kv[1]), kv[0]))
            if len(v) >= RECURRING
        ]

    def _staff(
        self,
        kind: str,
        received: list[Case],
        done: list[tuple[Case, dict[str, Any]]],
        activity: list[tuple[str, str, str | None, float]],
    ) -> list[dict[str, Any]]:
        """考核: per person, valid complaints caused, media exposures, follow-ups against
        the quota, satisfaction of their cases; every writing member of the staff listed."""
        quota = self.settings.followup_quota * (1 if kind == "week" else WEEKS_PER_MONTH)
        valid: Counter[str] = Counter()
        media: Counter[str] = Counter()
        refs: dict[str, list[str]] = defaultdict(list)
        for c in received:
            if not c["valid"]:
                continue
            names, _depts = at_fault_of(c, self.policy)
            for name in names:
                valid[name] += 1
                refs[name].append(c["ref"])
                if media_exposed(c):
                    media[name] += 1
        followups: Counter[str] = Counter(
            actor or "-" for k, _c, actor, _ts in activity if k == "followed_up"
        )
        scores: dict[str, list[int]] = defaultdict(list)
        for c, f in done:
            if f["outcome"] == "reached" and f.get("satisfaction") is not None:
                scores[c["owner"] or "-"].append(f["satisfaction"])
        owned = Counter(c["owner"] or "-" for c in received)
        staff = {m.name: m for m in self.policy.staff.values() if not m.is_auditor}
        names = list(staff)
        for name in sorted({*valid, *followups, *scores, *owned} - set(names) - {"-"}):
            names.append(name)
        out = []
        for name in names:
            member = staff.get(name)
            s = scores.get(name, [])
            out.append(
                {
                    "name": name,
                    "department": member.department if member else None,
                    "cases_owned": owned[name],
                    "valid_complaints": valid[name],
                    "valid_refs": refs.get(name, []),
                    "media_exposures": media[name],
                    "followups": followups[name],
                    "followup_quota": quota,
                    "quota_met": followups[name] >= quota,
                    "satisfaction": _satisfaction(s)["mean"],
                    "satisfaction_count": len(s),
                }
            )
        return out


def _days(first: date, end: date) -> list[date]:
    return [first + timedelta(days=i) for i in range((end - first).days)]
