"""The handovers read model: what a shift hands over, and the handovers recorded."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime, timedelta
from typing import Any

import orjson

from events.lifecycle import OPEN
from projections.case import priority
from projections.cases import Cases
from projections.deadlines import FLAG_MARK, FOLLOWUP_SQL, Deadlines
from projections.reading import ReadModel


class Handovers(ReadModel):
    """Shift handovers (交接班)."""

    def shift_window(self, shift: str, at: datetime | None = None) -> tuple[datetime, datetime]:
        """The shift's occurrence running at ``at`` (default: now), else its next one."""
        if shift not in self.settings.shifts:
            raise KeyError(shift)
        begin, finish = self.settings.shifts[shift]
        zone = self.policy.zone
        now = (at or self.now()).astimezone(zone)
        for offset in (-1, 0, 1):
            day = now.date() + timedelta(days=offset)
            start = datetime.combine(day, begin, zone)
            end = datetime.combine(day, finish, zone)
            if end <= start:
                end += timedelta(days=1)
            if now < end:
                return start, end
        raise AssertionError("unreachable: a shift occurs every day")

    def handover(self, shift: str, at: datetime | None = None) -> dict[str, Any]:
        """Open cases by owner, call-backs and follow-ups due in the shift, overdue items.

        With ``at`` (``handover --record --at``): as they stood then, ``at``
        taken for now, the cases folded as of then (:meth:`Cases.as_of`), and the
        earlier handovers those recorded by then, an acceptance after then not given.
        """
        start, end = self.shift_window(shift, at)
        now = at or self.now()
        opened = ",".join("?" * len(OPEN))
        if at is None:
            open_cases = list(
                self.projector.cases(
                    f"WHERE status IN ({opened}) ORDER BY owner, priority, received", OPEN
                )
            )
            states = None
        else:  # read once, for the open cases and the follow-ups
            where = f"status IN ({opened}) OR {FOLLOWUP_SQL}"
            states = Cases(self.r).as_of(at, where, (*OPEN, FLAG_MARK))
            open_cases = sorted(
                (c for c in states if c["status"] in OPEN),
                key=lambda c: (
                    c["owner"] or "",
                    priority(c),
                    datetime.fromisoformat(c["received_at"]),
                ),
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
                            "priority": priority(c),
                        }
                    )
            due = self.sla.next_due(c)
            if due is not None and due < now:
                kinds = [k for k, d in self.sla.deadlines(c) if d < now]
                overdue.append(
                    {"ref": c["ref"], "owner": c["owner"], "kinds": kinds, "priority": priority(c)}
                )
        # Consumer-association and regulator cases first, then major ones (DOMAIN.md).
        callbacks.sort(key=lambda x: (x["priority"], x["reply_by"]))
        overdue.sort(key=lambda x: x["priority"])
        deadlines = Deadlines(self.r)
        saved = [f for f in deadlines.followups(at=at, states=states) if f["flag"] is None]
        hours = max(0, int((end - now).total_seconds() / 3600) + 1)
        due_followups = deadlines.followups(within_hours=hours, at=at, states=states)
        db = self.projector.open()
        # The earlier handovers as of ``at`` too: recorded by then, accepted by then or not.
        cut, params = (
            ("", (shift,)) if at is None else (" AND recorded_at <= ?", (shift, now.timestamp()))
        )
        recent = [
            _as_of(orjson.loads(r[0]), at)
            for r in db.execute(
                f"SELECT doc FROM handovers WHERE shift = ?{cut} ORDER BY recorded_at DESC LIMIT 5",
                params,
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


def _as_of(h: dict[str, Any], at: datetime | None) -> dict[str, Any]:
    """A recorded handover as it stood at ``at``: an acceptance after then not yet given."""
    accepted = h.get("accepted_at")
    if at is not None and accepted is not None and datetime.fromisoformat(accepted) > at:
        return {**h, "accepted_by": None, "accepted_at": None}
    return h


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
