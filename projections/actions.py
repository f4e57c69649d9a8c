"""The review actions read model: improvement actions with an owner, a due date, a done state.

A review (``review --action``) names an internal improvement (training, a
process change) and who does it by when; ``action-done`` ends it. The
cache keeps how many are open per case in an indexed column, so the open
ones are found without reading every case.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from projections.reading import ReadModel


class ReviewActions(ReadModel):
    """Every review action, or only the open ones, soonest due first."""

    def actions(self, open_only: bool = False, owner: str | None = None) -> list[dict[str, Any]]:
        any_action = """WHERE instr(doc, '"review_actions":[{') > 0"""  # doc is a BLOB
        sql = "WHERE open_actions IS NOT NULL" if open_only else any_action
        now = self.now()
        rows: list[dict[str, Any]] = []
        for c in self.projector.cases(sql + " ORDER BY received"):
            for a in c.get("review_actions") or []:
                if (open_only and a["done"]) or (owner is not None and a["owner"] != owner):
                    continue
                due = a["due"]
                rows.append(
                    {
                        "ref": c["ref"],
                        "number": a["number"],
                        "action": a["action"],
                        "owner": a["owner"],
                        "due": due,
                        "done": a["done"],
                        "done_at": a["done_at"],
                        "late": bool(due and not a["done"] and datetime.fromisoformat(due) < now),
                    }
                )
        rows.sort(key=lambda r: (r["done"], r["due"] is None, r["due"] or "", r["ref"]))
        return rows
