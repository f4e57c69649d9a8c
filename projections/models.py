"""The read models behind the reading commands, as plain dicts and lists.

:class:`ReadModels` opens the cache (catching it up first) and answers the
questions of CLI.md: a case now or as of a time, lists with filters, a
customer's cases, overdue cases and follow-ups due, statistics, the daily
report, the shift handover, group summaries and the raw log. Nothing here
knows click: the commands in ``complaintctl.readcmds`` parse, call one
method, and render.
"""

from __future__ import annotations

import gc
import resource
import statistics
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import orjson
from eventsourcing.application import Application

from events.complaint import case_id
from events.errors import CaseNotFound, GroupNotFound
from events.personal import FORGOTTEN
from events.policy import Policy
from projections.cache import Projector
from projections.fold import CASE_TOPICS, OPEN, Case, apply, public, val
from projections.settings import ReadSettings, fingerprint
from projections.sla import Clock
from projections.source import Checkpoint, source_for

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
AGE_BUCKETS = ((24, "< 1 day"), (72, "1-3 days"), (168, "3-7 days"), (720, "7-30 days"))


class CustomerNotFound(LookupError):
    """No case of a customer matching the query."""


@dataclass(frozen=True)
class Filters:
    """The filters of ``list``; each is optional, all must hold."""

    status: tuple[str, ...] = ()
    owner: str | None = None
    category: str | None = None
    severity: str | None = None
    overdue: bool = False
    since: datetime | None = None
    until: datetime | None = None
    customer: str | None = None
    group: str | None = None

    def sql(self, now: datetime) -> tuple[str, list[Any]]:
        where: list[str] = []
        params: list[Any] = []
        if self.status:
            where.append(f"status IN ({','.join('?' * len(self.status))})")
            params.extend(self.status)
        for column, value in (
            ("owner", self.owner),
            ("category", self.category),
            ("severity", self.severity),
        ):
            if value is not None:
                where.append(f"{column} = ?")
                params.append(value)
        if self.overdue:
            where.append("due < ?")
            params.append(now.timestamp())
        if self.since is not None:
            where.append("received >= ?")
            params.append(self.since.timestamp())
        if self.until is not None:
            where.append("received < ?")
            params.append(self.until.timestamp())
        if self.customer is not None:
            where.append("(customer = ? COLLATE NOCASE OR contact = ? COLLATE NOCASE)")
            params += [self.customer, self.customer]
        if self.group is not None:
            where.append("groups LIKE ?")
            params.append(f"%|{self.group.strip().casefold()}|%")
        return (" WHERE " + " AND ".join(where)) if where else "", params

    def match(self, case: Case, clock: Clock, now: datetime) -> bool:
        """The same test on a folded state (for ``list --as-of``)."""
        if self.status and case["status"] not in self.status:
            return False
        for key in ("owner", "category", "severity"):
            want = getattr(self, key)
            if want is not None and case[key] != want:
                return False
        if self.overdue:
            due = clock.next_due(case)
            if due is None or due >= now:
                return False
        received = datetime.fromisoformat(case["received_at"])
        if self.since is not None and received < self.since:
            return False
        if self.until is not None and received >= self.until:
            return False
        if self.customer is not None:
            q = self.customer.casefold()
            if q not in (case["customer"].casefold(), case["contact"].casefold()):
                return False
        if self.group is not None:
            g = self.group.strip().casefold()
            if g not in {x.strip().casefold() for x in case["groups"]}:
                return False
        return True


@contextmanager
def _no_gc() -> Iterator[None]:
    """The cyclic collector off while many acyclic documents are alive (it would rescan them)."""
    was_on = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_on:
            gc.enable()


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


class ReadModels:
    """The read side of one store: caught up on first use."""

    def __init__(
        self,
        app: Application[Any],
        store: Path,
        policy: Policy,
        settings: ReadSettings | None = None,
        clock: Callable[[], datetime] | None = None,
    ) -> None:
        self.app = app
        self.policy = policy
        self.settings = settings or ReadSettings()
        self.sla = Clock.of(policy, self.settings)
        self.source = source_for(app)
        self.projector = Projector(store, self.source, self.sla, fingerprint(policy, self.settings))
        self.now = clock or (lambda: datetime.now(UTC))

    def close(self) -> None:
        self.projector.close()

    # -- building ------------------------------------------------------------

    def rebuild(self, progress: Callable[[int, int], None] | None = None) -> dict[str, Any]:
        n = self.projector.rebuild(progress)
        db = self.projector.open()
        cases = db.execute("SELECT count(*) FROM cases").fetchone()[0]
        own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        return {
            "events": n,
            "cases": cases,
            "position": self.projector.position(),
            # This process and its helpers together (each one's own peak, summed).
            "peak_memory_mb": round((own + self.projector.helpers_peak_kb) / 1024),
        }

    def catch_up(self) -> None:
        self.projector.open()

    # -- one case ------------------------------------------------------------

    def case(self, ref: str) -> Case:
        """The current state of a case (with the SLA figures), from the cache."""
        db = self.projector.open()
        row = db.execute("SELECT doc FROM cases WHERE ref = ?", (ref.strip().upper(),)).fetchone()
        if row is None:
            raise CaseNotFound(ref.strip().upper())
        state: Case = orjson.loads(row[0])
        return state

    def case_events(self, ref: str) -> Iterator[tuple[str, int, dict[str, Any]]]:
        """(topic, version, payload) of one case, read through the store's index."""
        oid = case_id(ref)
        recorder = self.app.recorder
        mapper = self.app.mapper
        plain = mapper.cipher is None and mapper.compressor is None
        for se in recorder.select_events(oid):
            if plain:
                data = orjson.loads(se.state)
            else:
                from events.application import event_data

                ev = mapper.to_domain_event(se)
                data = event_data(ev)
                data["timestamp"] = getattr(ev, "timestamp").isoformat()  # noqa: B009
            yield se.topic, se.originator_version, data

    def case_as_of(self, ref: str, at: datetime) -> Case:
        """The case as it was at ``at``: its events up to then, folded (exit 3 if not yet)."""
        state: Case | None = None
        oid = str(case_id(ref))
        for topic, version, data in self.case_events(ref):
            if topic not in CASE_TOPICS:
                continue
            if datetime.fromisoformat(val(data["timestamp"])) > at:
                break
            state = apply(state, topic, data, {"id": oid, "version": version})
        if state is None:
            raise CaseNotFound(f"{ref.strip().upper()} (not received by {at.isoformat()})")
        return state

    def clock_of(self, ref: str, as_of: datetime | None = None) -> dict[str, Any]:
        """One case's SLA clock now (or as of a time): measures and open deadlines."""
        case = self.case(ref) if as_of is None else self.case_as_of(ref, as_of)
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
        followup = self.sla.followup_due(case)
        out["followup_due"] = followup.astimezone(UTC).isoformat() if followup else None
        return out

    # -- lists ---------------------------------------------------------------

    def find(
        self, filters: Filters, limit: int | None = None, as_of: datetime | None = None
    ) -> list[Case]:
        """Cases matching the filters, oldest received first (newest first with a limit)."""
        if as_of is not None:
            found = self._find_as_of(filters, as_of)
            found.sort(key=lambda c: (c["received_at"], c["ref"]), reverse=limit is not None)
            return found[:limit] if limit is not None else found
        where, params = filters.sql(self.now())
        order = (
            " ORDER BY received DESC, ref DESC" if limit is not None else " ORDER BY received, ref"
        )
        tail = f" LIMIT {int(limit)}" if limit is not None else ""
        return list(self.projector.cases(where + order + tail, tuple(params)))

    def _find_as_of(self, filters: Filters, at: datetime, refold_limit: int = 2000) -> list[Case]:
        """The cases matching at ``at`` (see :meth:`all_as_of`), filtering in SQL where it can.

        A case unchanged since ``at`` had then its current columns and
        deadlines, so the SQL filter (with ``at`` as now) picks those exactly.
        """
        db = self.projector.open()
        t = at.timestamp()
        changed = [r for (r,) in db.execute("SELECT ref FROM cases WHERE updated > ?", (t,))]
        if len(changed) > refold_limit:
            states = self.fold_log_as_of(at)
            return [c for c in states.values() if filters.match(c, self.sla, at)]
        where, params = filters.sql(at)
        where = (where + " AND" if where else " WHERE") + " updated <= ?"
        found = list(self.projector.cases(where, (*params, t)))
        for ref in changed:
            try:
                case = self.case_as_of(ref, at)
            except CaseNotFound:
                continue  # received after ``at``
            if filters.match(case, self.sla, at):
                found.append(case)
        return found

    def all_as_of(self, at: datetime, refold_limit: int = 2000) -> dict[str, Case]:
        """Every case as it was at ``at``.

        A case whose last event is not after ``at`` is then as it is now: its
        state comes from the cache. Only the cases changed since are folded
        again from their own events (through the store's index), up to ``at``.
        When more than ``refold_limit`` cases changed since (a time long ago),
        one pass over the whole log is cheaper: :meth:`fold_log_as_of`.
        """
        db = self.projector.open()
        t = at.timestamp()
        changed = db.execute("SELECT count(*) FROM cases WHERE updated > ?", (t,)).fetchone()[0]
        if changed > refold_limit:
            return self.fold_log_as_of(at)
        states: dict[str, Case] = {}
        for (doc,) in db.execute("SELECT doc FROM cases WHERE updated <= ?", (t,)):
            case: Case = orjson.loads(doc)
            states[case["_"]["id"]] = case
        for (ref,) in db.execute("SELECT ref FROM cases WHERE updated > ?", (t,)).fetchall():
            try:
                case = self.case_as_of(ref, at)
            except CaseNotFound:
                continue  # received after ``at``
            states[case["_"]["id"]] = case
        return states

    def fold_log_as_of(self, at: datetime) -> dict[str, Case]:
        """Every case as it was at ``at``: the whole log folded, events after ``at`` skipped."""
        with _no_gc():
            return self._fold_log_as_of(at)

    def _fold_log_as_of(self, at: datetime) -> dict[str, Case]:
        states: dict[str, Case] = {}
        for batch, _cp in self.source.read(Checkpoint(), topics=CASE_TOPICS):
            for ev in batch:
                if ev["topic"] not in CASE_TOPICS:
                    continue
                data = ev["data"]
                if datetime.fromisoformat(val(data["timestamp"])) > at:
                    continue
                oid = ev["originator_id"]
                s = apply(states.get(oid), ev["topic"], data, {"id": oid, "version": ev["version"]})
                if s is not None:
                    states[oid] = s
        return states

    def customer(self, query: str) -> dict[str, Any]:
        """Every case of the customers matching by name, contact or account (exit 3 if none)."""
        q = query.strip()
        db = self.projector.open()
        rows = db.execute(
            "SELECT doc FROM cases WHERE customer = ? COLLATE NOCASE OR contact = ? COLLATE NOCASE"
            " ORDER BY received",
            (q, q),
        ).fetchall()
        if not rows:
            like = f"%{q}%"
            rows = db.execute(
                "SELECT doc FROM cases WHERE customer LIKE ? OR contact LIKE ? ORDER BY received"
                " LIMIT 1000",
                (like, like),
            ).fetchall()
        if not rows:
            raise CustomerNotFound(q)
        cases = [orjson.loads(r[0]) for r in rows]
        by_contact: dict[str, list[Case]] = defaultdict(list)
        for c in cases:
            key = "".join((c.get("account") or c["contact"]).split()).casefold()
            by_contact[key].append(c)
        rules = self.policy.major
        customers = []
        for key, group in by_contact.items():
            times = sorted(datetime.fromisoformat(c["received_at"]) for c in group)
            window = timedelta(days=rules.repeat_days)
            most = max(sum(1 for t in times if start <= t < start + window) for start in times)
            customers.append(
                {
                    "key": key,
                    "names": sorted({c["customer"] for c in group}),
                    "contact": group[0]["contact"],
                    "cases": len(group),
                    "repeat": len(group) >= 2,
                    "repeat_within_rule": bool(rules.repeat_count)
                    and most >= (rules.repeat_count or 0),
                    "open": sum(1 for c in group if c["status"] in OPEN),
                }
            )
        return {
            "query": q,
            "repeat_complainant": any(c["repeat"] for c in customers),
            "customers": customers,
            "cases": [public(c) for c in cases],
        }

    # -- deadlines -----------------------------------------------------------

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
                }
            )
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
        for case in self.find(Filters(status=("closed", "archived"))):
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

    def followups(self, within_hours: int = 0) -> list[dict[str, Any]]:
        """Resolved or closed cases whose follow-up call is due (by now + ``within_hours``)."""
        now = self.now()
        horizon = now + timedelta(hours=within_hours)
        out = []
        for c in self.projector.cases(
            "WHERE followup_due IS NOT NULL AND followup_due <= ? ORDER BY followup_due",
            (horizon.timestamp(),),
        ):
            due = self.sla.followup_due(c)
            if due is None:
                continue
            out.append(
                {
                    "ref": c["ref"],
                    "status": c["status"],
                    "owner": c["owner"],
                    "customer": c["customer"],
                    "contact": c["contact"],
                    "resolved_at": c["resolved_at"],
                    "due": due.astimezone(UTC).isoformat(),
                    "late": due < now,
                }
            )
        return out

    # -- statistics ----------------------------------------------------------

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

    def stats(
        self, since: datetime | None, until: datetime | None, by: str | None
    ) -> dict[str, Any]:
        """Statistics of the cases received in [since, until), overall and per ``by`` key."""
        with _no_gc():  # tens of thousands of case documents: no cycles, nothing to collect
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

    def _at_fault(self, cases: list[Case]) -> list[dict[str, Any]]:
        """Valid complaints caused by each staff member, and by each department."""
        staff: Counter[str] = Counter()
        depts: Counter[str] = Counter()
        known = set(self.policy.departments)
        for c in cases:
            if not c["valid"]:
                continue
            names = c.get("at_fault_staff") or [n for n in c["at_fault"] if n not in known]
            faulty = set(c.get("at_fault_departments") or [n for n in c["at_fault"] if n in known])
            for name in names:
                staff[name] += 1
                member = self.policy.staff.get(name)
                if member and member.department:
                    faulty.add(member.department)  # a staff member's error is their department's
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

    # -- groups --------------------------------------------------------------

    def group(self, name: str) -> dict[str, Any]:
        """A group complaint: members, their statuses, and the remedies granted."""
        key = name.strip().casefold()
        db = self.projector.open()
        row = db.execute(
            "SELECT name, opened_by, opened_at, members FROM groups WHERE lower(name) = ?"
            " OR name = ?",
            (key, name.strip()),
        ).fetchone()
        cases = self.find(Filters(group=name))
        if row is None and not cases:
            raise GroupNotFound(name)
        statuses = Counter(c["status"] for c in cases)
        remedies: dict[str, Decimal] = defaultdict(Decimal)
        granted = 0
        for c in cases:
            for r in c["_"]["remedies"]:
                granted += 1
                if r["amount"] is not None:
                    remedies[r["currency"] or self.policy.currency] += Decimal(r["amount"])
        return {
            "name": row[0] if row else name,
            "opened_by": row[1] if row else None,
            "opened_at": row[2] if row else None,
            "members": [
                {
                    "ref": c["ref"],
                    "customer": c["customer"],
                    "status": c["status"],
                    "owner": c["owner"],
                    "remedies": [
                        f"{r['kind']} {r['amount'] or ''} {r['currency'] or ''}".strip()
                        for r in c["_"]["remedies"]
                    ],
                }
                for c in cases
            ],
            "statuses": dict(sorted(statuses.items())),
            "open": sum(v for k, v in statuses.items() if k in OPEN),
            "remedies_granted": {
                "count": granted,
                "total": {k: str(v) for k, v in sorted(remedies.items())},
            },
        }

    # -- daily report ----------------------------------------------------------

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

    # -- shift handover ----------------------------------------------------------

    def shift_window(self, shift: str) -> tuple[datetime, datetime]:
        """The shift's current occurrence if it is running, else its next one."""
        if shift not in self.settings.shifts:
            raise KeyError(shift)
        begin, finish = self.settings.shifts[shift]
        zone = self.policy.zone
        now = self.now().astimezone(zone)
        for offset in (-1, 0, 1):
            day = now.date() + timedelta(days=offset)
            start = datetime.combine(day, begin, zone)
            end = datetime.combine(day, finish, zone)
            if end <= start:
                end += timedelta(days=1)
            if now < end:
                return start, end
        raise AssertionError("unreachable: a shift occurs every day")

    def handover(self, shift: str) -> dict[str, Any]:
        """Open cases by owner, call-backs and follow-ups due in the shift, overdue items."""
        start, end = self.shift_window(shift)
        now = self.now()
        open_cases = list(
            self.projector.cases(
                f"WHERE status IN ({','.join('?' * len(OPEN))}) ORDER BY owner, received",
                OPEN,
            )
        )
        by_owner: dict[str, list[dict[str, Any]]] = defaultdict(list)
        callbacks = []
        overdue = []
        for c in open_cases:
            by_owner[c["owner"]].append(
                {"ref": c["ref"], "status": c["status"], "customer": c["customer"]}
            )
            promises = c["_"]["promises"]
            if promises and promises[-1]["kept_at"] is None:
                reply_by = datetime.fromisoformat(promises[-1]["reply_by"])
                if reply_by < end:
                    callbacks.append(
                        {
                            "ref": c["ref"],
                            "owner": c["owner"],
                            "customer": c["customer"],
                            "contact": c["contact"],
                            "reply_by": promises[-1]["reply_by"],
                            "late": reply_by < now,
                        }
                    )
            due = self.sla.next_due(c)
            if due is not None and due < now:
                kinds = [k for k, d in self.sla.deadlines(c) if d < now]
                overdue.append({"ref": c["ref"], "owner": c["owner"], "kinds": kinds})
        callbacks.sort(key=lambda x: x["reply_by"])
        saved = self.followups()
        horizon = (end - now).total_seconds() / 3600
        due_followups = self.followups(within_hours=max(0, int(horizon) + 1))
        db = self.projector.open()
        recent = [
            orjson.loads(r[0])
            for r in db.execute(
                "SELECT doc FROM handovers WHERE shift = ? ORDER BY recorded_at DESC LIMIT 5",
                (shift,),
            )
        ]
        return {
            "shift": shift,
            "start": start.isoformat(),
            "end": end.isoformat(),
            "open_by_owner": [{"owner": k, "cases": v} for k, v in sorted(by_owner.items())],
            "callbacks": callbacks,
            "followups_due": due_followups,
            "followups_late": len(saved),
            "overdue": overdue,
            "handovers": recent,
        }

    def pending_handover(self, shift: str) -> str | None:
        """The id of the latest handover of a shift not yet accepted."""
        db = self.projector.open()
        row = db.execute(
            "SELECT id FROM handovers WHERE shift = ? AND accepted_by IS NULL"
            " ORDER BY recorded_at DESC LIMIT 1",
            (shift,),
        ).fetchone()
        return str(row[0]) if row else None

    # -- the raw log -------------------------------------------------------------

    def log(
        self, since: datetime | None = None, until: datetime | None = None
    ) -> Iterator[dict[str, Any]]:
        """Every event, oldest first, with position, case reference and hash."""
        db = self.projector.open()
        refs = dict(db.execute("SELECT id, ref FROM cases").fetchall())
        lo = since.astimezone(UTC).isoformat() if since else None
        hi = until.astimezone(UTC).isoformat() if until else None
        for batch, _cp in self.source.read(Checkpoint()):
            for ev in batch:
                recorded = ev["recorded_at"] or ""
                if lo is not None and _utc(recorded) < lo:
                    continue
                if hi is not None and _utc(recorded) >= hi:
                    continue
                raw = ev["data"]
                data = {
                    k: val(v) for k, v in raw.items() if k not in ("timestamp", "originator_topic")
                }
                oid = ev["originator_id"]
                ref = refs.get(oid)
                if ref is None and ev["topic"] == "complaints:Received":
                    ref = raw.get("ref")
                    refs[oid] = ref
                yield {
                    "position": ev["position"],
                    "ref": ref,
                    "type": ev["topic"].split(":", 1)[-1],
                    "topic": ev["topic"],
                    "originator_id": oid,
                    "version": ev["version"],
                    "recorded_at": ev["recorded_at"],
                    "timestamp": val(raw.get("timestamp")),
                    "actor": raw.get("actor"),
                    "data": data,
                    "hash": ev["hash"],
                }


def _utc(iso: str) -> str:
    """An ISO time as a sortable UTC string (recorded times already are)."""
    if iso.endswith("+00:00"):
        return iso
    return datetime.fromisoformat(iso).astimezone(UTC).isoformat()


def handover_items(h: dict[str, Any]) -> list[dict[str, Any]]:
    """What a recorded handover hands over: an item per open case, call-back, follow-up, overdue."""
    return [
        *(
            {"kind": "open", "ref": c["ref"], "owner": o["owner"]}
            for o in h["open_by_owner"]
            for c in o["cases"]
        ),
        *({"kind": "callback", "ref": c["ref"], "due": c["reply_by"]} for c in h["callbacks"]),
        *({"kind": "followup", "ref": f["ref"], "due": f["due"]} for f in h["followups_due"]),
        *({"kind": "overdue", "ref": o["ref"]} for o in h["overdue"]),
    ]
