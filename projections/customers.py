"""The customers read model: every case of a customer, and whether they complain again."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime, timedelta
from typing import Any

import orjson

from events.lifecycle import OPEN
from projections.case import Case, public
from projections.reading import ReadModel
from projections.tables import person_key


class CustomerNotFound(LookupError):
    """No case of a customer matching the query."""


def people(cases: list[Case]) -> list[list[Case]]:
    """Cases grouped by person: the same contact or the same account is the same person
    (transitively: a plate given once links the calls made with and without it)."""
    parent = list(range(len(cases)))

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    seen: dict[str, int] = {}
    for i, c in enumerate(cases):
        for key in (f"contact:{person_key(c['contact'])}", f"account:{person_key(c['account'])}"):
            if key.endswith(":None"):
                continue
            if key in seen:
                parent[root(i)] = root(seen[key])
            else:
                seen[key] = i
    groups: dict[int, list[Case]] = defaultdict(list)
    for i, c in enumerate(cases):
        groups[root(i)].append(c)
    return list(groups.values())


class Customers(ReadModel):
    """A customer's cases, matched by name, contact or account."""

    def customer(self, query: str) -> dict[str, Any]:
        """Every case of the customers matching by name, contact or account (exit 3 if none).

        The cases found bring the other cases of the same person with them: those
        with the same contact or the same account number.
        """
        q = query.strip()
        db = self.projector.open()
        exact = (
            "SELECT doc FROM cases WHERE customer = ? COLLATE NOCASE OR contact = ? COLLATE NOCASE"
            " OR contact_key = ? OR account_key = ?"
        )
        key = person_key(q)
        rows = db.execute(exact + " ORDER BY received", (q, q, key, key)).fetchall()
        if not rows:
            like = f"%{q}%"
            rows = db.execute(
                "SELECT doc FROM cases WHERE customer LIKE ? OR contact LIKE ?"
                " OR account_key LIKE ? ORDER BY received LIMIT 1000",
                (like, like, f"%{key}%"),
            ).fetchall()
        if not rows:
            raise CustomerNotFound(q)
        found = [orjson.loads(r[0]) for r in rows]
        cases = self._same_people(db, found)
        rules = self.policy.major
        customers = []
        for group in people(cases):
            times = sorted(datetime.fromisoformat(c["received_at"]) for c in group)
            window = timedelta(days=rules.repeat_days)
            most = max(sum(1 for t in times if start <= t < start + window) for start in times)
            accounts = sorted({c["account"] for c in group if c.get("account")})
            customers.append(
                {
                    "key": person_key(accounts[0] if accounts else group[0]["contact"]),
                    "names": sorted({c["customer"] for c in group}),
                    "contact": group[0]["contact"],
                    "contacts": sorted({c["contact"] for c in group}),
                    "accounts": accounts,
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

    def _same_people(self, db: Any, found: list[Case], rounds: int = 3) -> list[Case]:
        """``found`` and the cases sharing a contact or an account with them, oldest first."""
        by_ref = {c["ref"]: c for c in found}
        frontier = found
        for _ in range(rounds):
            contacts = {person_key(c["contact"]) for c in frontier} - {None}
            accounts = {person_key(c["account"]) for c in frontier} - {None}
            new: list[Case] = []
            for column, values in (("contact_key", contacts), ("account_key", accounts)):
                for value in values:
                    for (doc,) in db.execute(
                        f"SELECT doc FROM cases WHERE {column} = ? LIMIT 1000", (value,)
                    ):
                        c = orjson.loads(doc)
                        if c["ref"] not in by_ref:
                            by_ref[c["ref"]] = c
                            new.append(c)
            if not new:
                break
            frontier = new
        return sorted(by_ref.values(), key=lambda c: (c["received_at"], c["ref"]))
