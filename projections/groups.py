"""The groups read model: a group complaint, its members and the remedies granted."""

from __future__ import annotations

from collections import Counter, defaultdict
from decimal import Decimal
from typing import Any

from events.errors import GroupNotFound
from events.lifecycle import OPEN
from projections.cases import Cases, Filters
from projections.reading import ReadModel


class Groups(ReadModel):
    """Group complaints (群体性投诉)."""

    def names(self) -> list[str]:
        """Every group's name, as it was opened (shell completion offers them)."""
        db = self.projector.open()
        return [str(name) for (name,) in db.execute("SELECT name FROM groups ORDER BY name")]

    def group(self, name: str) -> dict[str, Any]:
        """A group complaint: members, their statuses, and the remedies granted."""
        key = name.strip().casefold()
        db = self.projector.open()
        row = db.execute(
            "SELECT name, opened_by, opened_at, members FROM groups WHERE lower(name) = ?"
            " OR name = ?",
            (key, name.strip()),
        ).fetchone()
        cases = Cases(self.r).find(Filters(group=name))
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
