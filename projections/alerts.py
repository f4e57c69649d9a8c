"""The alerts read model: what needs attention now, each item with a key to tell it once.

``alerts`` (for cron) keeps the keys it has told in a small state file at the
edge (``complaintctl.alertstate``) and prints only the new ones:

- ``major``: an open major case (told once per case);
- ``outside``: an open case brought by a consumer association, a regulator or
  the media (once per case);
- ``due-soon``: an open case whose next deadline (a promised call-back, the
  answer, the resolution, the decision) falls within the next hours (once per
  case and deadline);
- ``overdue``: an open case past a deadline (once per case and deadline).
"""

from __future__ import annotations

from datetime import UTC, timedelta
from typing import Any

from events.lifecycle import OPEN
from projections.reading import ReadModel
from projections.reports import OUTSIDE_CHANNELS


class Alerts(ReadModel):
    """``alerts``."""

    def attention(self, within_hours: int | None = None) -> dict[str, Any]:
        """Every item that needs attention now, oldest first; ``key`` identifies it."""
        now = self.now()
        hours = self.settings.due_soon_hours if within_hours is None else within_hours
        horizon = now + timedelta(hours=hours)
        marks = ",".join("?" * len(OPEN))
        outside = ",".join("?" * len(OUTSIDE_CHANNELS))
        items: list[dict[str, Any]] = []
        for c in self.projector.cases(
            f"WHERE status IN ({marks}) AND (severity = 'major' OR channel IN ({outside})"
            " OR (due IS NOT NULL AND due < ?)) ORDER BY received, ref",
            (*OPEN, *OUTSIDE_CHANNELS, horizon.timestamp()),
        ):
            base = {
                "ref": c["ref"],
                "customer": c["customer"],
                "owner": c["owner"],
                "status": c["status"],
                "category": c["category"],
                "channel": c["channel"],
            }
            if c["severity"] == "major":
                items.append({**base, "kind": "major", "key": f"major:{c['ref']}", "due": None})
            if c["channel"] in OUTSIDE_CHANNELS:
                key = f"outside:{c['ref']}"
                items.append({**base, "kind": "outside", "key": key, "due": None})
            for deadline, due in self.sla.deadlines(c):
                if due >= horizon:
                    continue
                kind = "overdue" if due < now else "due-soon"
                when = due.astimezone(UTC).isoformat()
                items.append(
                    {
                        **base,
                        "kind": kind,
                        "key": f"{kind}:{c['ref']}:{deadline}:{when}",
                        "deadline": deadline,
                        "due": when,
                    }
                )
        return {"now": now.isoformat(), "within_hours": hours, "items": items}
