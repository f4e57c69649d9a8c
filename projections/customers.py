"""The customers read model: every case of a customer, and whether they complain again."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime, timedelta
from typing import Any

import orjson

from events.lifecycle import OPEN
from projections.case import Case, public
from projections.reading import ReadModel


class CustomerNotFound(LookupError):
    """No case of a customer matching the query."""


class Customers(ReadModel):
    """A customer's cases, matched by name, contact or account."""

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
