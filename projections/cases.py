"""The cases read model: one case now or as of a time, and the lists of ``list``.

A case now comes from the cache's document; as of a time, from its own
events folded up to then (:mod:`projections.caselog`); a whole list as of a
time mixes the two (:meth:`Cases.all_as_of`). :class:`Filters` are the
options of ``list``, as SQL over the cache's columns and as a test on a
folded state, which must agree.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import orjson

from events.errors import CaseNotFound
from events.records import frozen
from events.topics import CASE_TOPICS
from projections.case import Case, apply, priority, val
from projections.caselog import read_case
from projections.reading import ReadModel, no_gc
from projections.sla import Clock
from projections.source import Checkpoint

#: Folding one case again from its own events (through the store's index) costs about
#: twice its share of one pass over the whole log (bench/periods.py): more cases changed
#: since a time than half the store's, and the one pass is cheaper (:meth:`Cases.refold_as_of`).
REFOLD_SHARE = 0.5


@frozen
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
    remedy_state: str | None = None

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
            ("remedy_state", self.remedy_state),
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
            # instr, not LIKE: a name's % or _ is no wildcard, and SQLite's limit on
            # LIKE patterns (50,000 bytes: "pattern too complex") does not apply.
            where.append("instr(groups, ?) > 0")
            params.append(f"|{self.group.strip().casefold()}|")
        return (" WHERE " + " AND ".join(where)) if where else "", params

    def match(self, case: Case, clock: Clock, now: datetime) -> bool:
        """The same test on a folded state (for ``list --as-of``)."""
        if self.status and case["status"] not in self.status:
            return False
        for key in ("owner", "category", "severity", "remedy_state"):
            want = getattr(self, key)
            if want is not None and case.get(key) != want:
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


class Cases(ReadModel):
    """One case, and lists of cases with filters, now or as of a time."""

    def case(self, ref: str) -> Case:
        """The current state of a case (with the SLA figures), from the cache."""
        db = self.projector.open()
        row = db.execute("SELECT doc FROM cases WHERE ref = ?", (ref.strip().upper(),)).fetchone()
        if row is None:
            raise CaseNotFound(ref.strip().upper())
        state: Case = orjson.loads(row[0])
        return state

    def case_as_of(
        self, ref: str, at: datetime, seen: list[tuple[str, dict[str, Any]]] | None = None
    ) -> Case:
        """The case as it was at ``at``: its events up to then, folded (exit 3 if not yet);
        ``seen`` gets those events (:func:`projections.caselog.read_case`)."""
        return read_case(self.source, ref, self.keyring, at, seen)

    def find(
        self, filters: Filters, limit: int | None = None, as_of: datetime | None = None
    ) -> list[Case]:
        """Cases matching the filters, oldest received first (newest first with a limit),
        consumer-association and regulator cases first, then major ones."""
        if as_of is not None:
            found = self._find_as_of(filters, as_of)
            found.sort(key=lambda c: (c["received_at"], c["ref"]), reverse=limit is not None)
            found.sort(key=priority)  # stable: within a priority, the order above
            return found[:limit] if limit is not None else found
        where, params = filters.sql(self.now())
        # Consumer-association and regulator cases first, then major ones (DOMAIN.md).
        order = (
            " ORDER BY priority, received DESC, ref DESC"
            if limit is not None
            else " ORDER BY priority, received, ref"
        )
        tail = f" LIMIT {int(limit)}" if limit is not None else ""
        return list(self.projector.cases(where + order + tail, tuple(params)))

    def refs_starting(self, prefix: str, limit: int = 100) -> list[tuple[str, str]]:
        """``(ref, status)`` of the cases whose reference starts with ``prefix`` (any case),
        open cases first, the newest first within each: what shell completion offers."""
        from events.lifecycle import OPEN

        like = prefix.upper().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        db = self.projector.open()
        rows = db.execute(
            "SELECT ref, status FROM cases WHERE upper(ref) LIKE ? ESCAPE '\\'"
            f" ORDER BY status IN ({','.join('?' * len(OPEN))}) DESC, received DESC, ref DESC"
            " LIMIT ?",
            (like + "%", *OPEN, int(limit)),
        )
        return [(str(ref), str(status)) for ref, status in rows]

    def stream(self, filters: Filters) -> Iterator[Case]:
        """The cases of :meth:`find` without a limit, one at a time (``export``, CSV lists)."""
        where, params = filters.sql(self.now())
        return self.projector.cases(where + " ORDER BY priority, received, ref", tuple(params))

    def any_flagged(self, filters: Filters) -> bool:
        """Whether a case of :meth:`stream` waits for a supervisor (the flag column's
        question, asked of the documents in SQL before the rows stream)."""
        where, params = filters.sql(self.now())
        where = f"{where} AND" if where else "WHERE"
        db = self.projector.open()
        sql = f"SELECT 1 FROM cases {where} instr(doc, ?) > 0 LIMIT 1"
        return db.execute(sql, (*params, b'"supervisor_flag":{')).fetchone() is not None

    def _find_as_of(
        self, filters: Filters, at: datetime, share: float = REFOLD_SHARE
    ) -> list[Case]:
        """The cases matching at ``at`` (see :meth:`all_as_of`), filtering in SQL where it can.

        A case unchanged since ``at`` had then its current columns and
        deadlines, so the SQL filter (with ``at`` as now) picks those exactly.
        """
        where, params = filters.sql(at)
        where = (where + " AND" if where else " WHERE") + " updated <= ?"
        found = list(self.projector.cases(where, (*params, at.timestamp())))
        refolded = self.refold_as_of(self.changed_since(at), at, share)
        found += [c for c in refolded if filters.match(c, self.sla, at)]
        return found

    def all_as_of(self, at: datetime, share: float = REFOLD_SHARE) -> dict[str, Case]:
        """Every case as it was at ``at``.

        A case whose last event is not after ``at`` is then as it is now: its
        state comes from the cache; those changed since: :meth:`refold_as_of`.
        """
        db = self.projector.open()
        states: dict[str, Case] = {}
        for (doc,) in db.execute("SELECT doc FROM cases WHERE updated <= ?", (at.timestamp(),)):
            case: Case = orjson.loads(doc)
            states[case["_"]["id"]] = case
        for case in self.refold_as_of(self.changed_since(at), at, share):
            states[case["_"]["id"]] = case
        return states

    def as_of(self, at: datetime, where: str = "", params: tuple[Any, ...] = ()) -> list[Case]:
        """Cases as they were at ``at``: from the cache those unchanged since that match
        ``where`` (SQL over its columns, which are their state at ``at``), and every case
        changed since, refolded (:meth:`refold_as_of`), for the caller to filter.
        """
        sql = f"WHERE updated <= ? AND ({where})" if where else "WHERE updated <= ?"
        found = list(self.projector.cases(sql, (at.timestamp(), *params)))
        return found + self.refold_as_of(self.changed_since(at), at)

    def changed_since(self, at: datetime) -> list[str]:
        """The references of the cases with an event after ``at`` (the cache's ``updated``)."""
        db = self.projector.open()
        rows = db.execute("SELECT ref FROM cases WHERE updated > ?", (at.timestamp(),))
        return [r for (r,) in rows]

    def refold_as_of(
        self, refs: list[str], at: datetime, share: float = REFOLD_SHARE
    ) -> list[Case]:
        """The cases ``refs`` (changed since ``at``) as they were at ``at``, in that order;
        those not received by then left out.

        Each is folded again from its own events through the store's index,
        unless more than ``share`` of all the store's cases are among them:
        then one pass over the whole log (:meth:`fold_log_as_of`) is cheaper.
        The limit is relative because the index's cost grows with the cases
        refolded and the pass's with the store (an absolute one, 2,000 cases,
        sent a day's report of a 200k-case store through its 3M-event log).
        """
        if not refs:
            return []
        if len(refs) > share * self.count():
            by_ref = {s["ref"]: s for s in self.fold_log_as_of(at).values()}
            return [by_ref[r] for r in refs if r in by_ref]
        out: list[Case] = []
        for ref in refs:
            try:
                out.append(self.case_as_of(ref, at))
            except CaseNotFound:
                continue  # received after ``at``
        return out

    def count(self) -> int:
        """How many cases the store holds."""
        db = self.projector.open()
        return int(db.execute("SELECT count(*) FROM cases").fetchone()[0])

    def compare_with_log(self) -> list[dict[str, Any]]:
        """Each case whose cached document differs from a fresh fold of the log (an
        edited cache would otherwise be served as truth): ``verify --deep``."""
        db = self.projector.open()
        cached: dict[str, Case] = {}
        for (doc,) in db.execute("SELECT doc FROM cases"):
            case: Case = orjson.loads(doc)
            cached[case["_"]["id"]] = case
        fresh = self.fold_log_as_of(datetime.max.replace(tzinfo=UTC))
        problems = []
        for oid in sorted(cached.keys() | fresh.keys()):
            a, b = cached.get(oid), fresh.get(oid)
            if (
                a is not None
                and b is not None
                and orjson.dumps(a, option=orjson.OPT_SORT_KEYS)
                == (orjson.dumps(b, option=orjson.OPT_SORT_KEYS))
            ):
                continue
            ref = (b or a or {}).get("ref")
            if a is None:
                why = "missing from the cache"
            elif b is None:
                why = "in the cache but not in the log"
            else:
                keys = sorted(k for k in a.keys() | b.keys() if a.get(k) != b.get(k))
                why = "the cache differs from the log in " + ", ".join(keys)
            problems.append({"problem": "cache-differs", "ref": ref, "detail": f"{ref}: {why}"})
        return problems

    def fold_log_as_of(self, at: datetime) -> dict[str, Case]:
        """Every case as it was at ``at``: the whole log folded, events after ``at`` skipped."""
        with no_gc():
            return self._fold_log_as_of(at)

    def _fold_log_as_of(self, at: datetime) -> dict[str, Case]:
        states: dict[str, Case] = {}
        keyring = self.keyring
        for batch, _cp in self.source.read(Checkpoint(), topics=CASE_TOPICS):
            for ev in batch:
                if ev["topic"] not in CASE_TOPICS:
                    continue
                data = ev["data"]
                if datetime.fromisoformat(val(data["timestamp"])) > at:
                    continue
                oid = ev["originator_id"]
                s = apply(states.get(oid), ev["topic"], data, oid, ev["version"], keyring)
                if s is not None:
                    states[oid] = s
        return states
