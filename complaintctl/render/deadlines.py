"""What is due, as a person on duty reads it: the SLA clock of one case, the shift
handover, and the alerts a cron job mails.

Each takes the read model's dict (the same one ``--json`` prints). What was promised
by which deadline is named here once (:data:`PROMISE_LABELS`, :func:`promised`), for
these and for the daily report's overdue cases.
"""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo

from complaintctl.i18n import N_, _, label, pgettext
from complaintctl.render import Attention, local_time, safe, table

#: What was promised, by the deadline that passed first.
PROMISE_LABELS = {
    "acknowledge": N_("answer by"),
    "reply": N_("call back by"),
    "resolve": N_("resolve by"),
    "decision": N_("decision by"),
}


def promised(deadline: str, due: str | None, z: ZoneInfo) -> str:
    """A deadline and its time as a person reads it: "call back by 2026-03-02 10:00 CST"."""
    promise = PROMISE_LABELS.get(deadline)
    return f"{_(promise) if promise else deadline} {local_time(due, z)}"


# -- the SLA clock of one case --------------------------------------------------------


def sla_rows(c: dict[str, Any], z: ZoneInfo) -> list[list[Any]]:
    """The SLA clock of one case as label/value lines."""

    def hours(value: float | None, within: bool | None) -> str:
        if value is None:
            return "-"
        if within is None:
            return f"{value} h"
        if within:
            return f"{value} h " + _("(in target)")
        return Attention(f"{value} h " + _("(LATE)"))  # coloured on a terminal

    status = f"{label('status', c['status'])}, {label('severity', c['severity'])}"
    clock = _("{basis} hours; paused {paused} h").format(
        basis=pgettext("basis", c["basis"]), paused=c["paused_hours"]
    )
    rows = [
        [_("case"), f"{c['ref']} ({status})"],
        [_("clock"), clock],
        [_("to acknowledge"), hours(c["hours_to_acknowledge"], c["acknowledged_within_target"])],
        [_("to resolve"), hours(c["hours_to_resolve"], c["resolved_within_target"])],
    ]
    for p in c["promises"]:
        state = label("promise", p["state"])
        shown = f"{local_time(p['reply_by'], z)}: {state}"
        rows.append([_("reply promised by"), Attention(shown) if p["state"] == "missed" else shown])
    for d in c["deadlines"]:
        late = " " + _("OVERDUE") if d["overdue"] else ""
        due = _("{deadline} due").format(deadline=label("deadline", d["kind"]))
        when = local_time(d["due"], z) + late
        rows.append([due, Attention(when) if d["overdue"] else when])
    if c["followup_due"]:
        rows.append([_("follow-up due"), local_time(c["followup_due"], z)])
    if c.get("remedy_state"):
        # Between accepted and resolved the remedy is being carried out: since when.
        since = c["remedy_accepted_at"]
        days = c["remedy_days_in_progress"]
        state = label("remedy_state", c["remedy_state"])
        if days is not None:
            state += " " + _("for {days} days").format(days=days)
        if since:
            state += " " + _("(accepted {when})").format(when=local_time(since, z))
        rows.append([_("remedy"), state])
    return rows


def sla_text(c: dict[str, Any], z: ZoneInfo) -> str:
    return table(sla_rows(c, z))


# -- the shift handover -----------------------------------------------------------------


def _section(title: str, rows: list[list[Any]], headers: list[str]) -> str:
    return f"\n{title}\n" + (table(rows, headers) if rows else _("(none)"))


def handover_text(h: dict[str, Any], z: ZoneInfo) -> str:
    """What the outgoing shift hands over: open cases, call-backs, follow-ups, overdue."""

    def refs(cases: list[dict[str, Any]]) -> str:
        return ", ".join(c["ref"] for c in cases[:12]) + (" ..." if len(cases) > 12 else "")

    head = safe(
        _("Handover to shift {shift}: {start} - {end}").format(
            shift=label("shift", h["shift"]),
            start=local_time(h["start"], z),
            end=local_time(h["end"], z),
        )
    )
    return "\n".join(
        [
            head,
            _section(
                _("Open cases by owner"),
                [[o["owner"], len(o["cases"]), refs(o["cases"])] for o in h["open_by_owner"]],
                ["owner", "open", "cases"],
            ),
            _section(
                _("Promised call-backs due in the shift"),
                [
                    [
                        c["ref"],
                        local_time(c["reply_by"], z),
                        c["owner"],
                        c["customer"],
                        c["contact"],
                        Attention(_("LATE")) if c["late"] else "",
                    ]
                    for c in h["callbacks"]
                ],
                ["ref", "reply by", "owner", "customer", "contact", ""],
            ),
            _section(
                _("Follow-ups due in the shift"),
                [
                    [f["ref"], local_time(f["due"], z), f["owner"], f["customer"], f["contact"]]
                    for f in h["followups_due"]
                ],
                ["ref", "due", "owner", "customer", "contact"],
            ),
            _section(
                _("Overdue"),
                [
                    [o["ref"], o["owner"], ", ".join(str(label("deadline", k)) for k in o["kinds"])]
                    for o in h["overdue"]
                ],
                ["ref", "owner", "deadlines passed"],
            ),
        ]
    )


# -- alerts -----------------------------------------------------------------------------

ALERT_LABELS = {
    "major": N_("new major case"),
    "outside": N_("new consumer-association, regulator or media case"),
    "due-soon": N_("due soon"),
    "overdue": N_("gone overdue"),
}


def alerts_text(result: dict[str, Any], z: ZoneInfo) -> str:
    """The items of ``alerts`` a person reads in a mail: one line each."""
    items = result["items"]
    if not items:
        return _("Nothing needs attention.")
    lines = [_("{count} item(s) need attention:").format(count=len(items))]
    for i in items:
        what = _(ALERT_LABELS[i["kind"]]) if i["kind"] in ALERT_LABELS else i["kind"]
        due = f": {promised(i['deadline'], i['due'], z)}" if i.get("due") else ""
        lines.append(safe(f"- {i['ref']} {what}{due} ({i['customer']}, {i['owner']})"))
    return "\n".join(lines)
