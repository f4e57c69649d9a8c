"""The human forms of one case (``show``) and of its events (``history``)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from complaintctl.render import TIME_KEYS, local_time, table

FIELDS = (
    "ref",
    "status",
    "customer",
    "contact",
    "account",
    "channel",
    "category",
    "severity",
    "severity_by",
    "owner",
    "first_ask_owner",
    "tier",
    "summary",
    "demand",
    "mood",
    "received_at",
    "occurred_at",
    "reply_by",
    "decision_due",
    "valid",
    "root_cause",
    "remedy_state",
    "remedy_accepted_at",
    "resolution",
    "closed_at",
    "archived_at",
    "withdrawn_reason",
    "version",
)


def case_fields(case: dict[str, Any], zone: ZoneInfo) -> list[list[Any]]:
    """The case's fields as key/value lines, times in the shop's zone, empty ones left out."""
    rows: list[list[Any]] = []
    for key in FIELDS:
        value = case.get(key)
        if value is None or value == "":
            continue
        if key in TIME_KEYS:
            value = local_time(value, zone)
        rows.append([key, value])
    if case.get("demand_amount"):
        rows.append(["demand_amount", f"{case['demand_amount']} {case.get('demand_currency')}"])
    if case.get("loss"):
        rows.append(["loss", f"{case['loss']['amount']} {case['loss']['currency']}"])
    for key in ("major_reasons", "at_fault", "links", "groups", "findings"):
        if case.get(key):
            rows.append([key, "; ".join(str(v) for v in case[key])])
    for d in case.get("departments", []):
        rows.append([d["mode"], f"{d['department']} {d.get('reason') or ''}".strip()])
    flag = case.get("supervisor_flag")
    if flag:
        when = local_time(flag["at"], zone)
        rows.append(["supervisor", f"{flag['reason']} ({when}, {flag.get('by') or '-'})"])
    for o in case.get("outside_parties") or []:
        replies = "; ".join(r["text"] for r in o["replies"])
        rows.append(
            [o["party"], f"{o['reference']}" + (f" (replied: {replies})" if replies else "")]
        )
    route = case.get("external_route")
    if route:
        where = f"{route['route']} {route.get('reference') or ''}".strip()
        end = f"; concluded: {route['outcome']}" if route.get("concluded_at") else "; open"
        rows.append(["external_route", where + end])
    return rows


def case_text(case: dict[str, Any], zone: ZoneInfo) -> str:
    """The human form of ``show``: the fields, then proposals, attachments and notes."""
    parts = [table(case_fields(case, zone))]
    if case.get("proposals"):
        parts.append("\nProposals")
        parts.append(table(*proposal_rows(case["proposals"])))
    if case.get("attachments"):
        parts.append("\nAttachments")
        parts.append(
            table(
                [
                    [a["name"], a["kind"], a["size"], a["media_type"], a["sha256"][:16]]
                    for a in case["attachments"]
                ],
                ["name", "kind", "bytes", "type", "sha256"],
            )
        )
    if case.get("followups"):
        parts.append("\nFollow-ups")
        parts.append(
            table(
                [
                    [
                        local_time(f["at"], zone),
                        f["outcome"],
                        f.get("satisfaction") or "",
                        f.get("leftover") or "",
                    ]
                    for f in case["followups"]
                ],
                ["at", "outcome", "satisfaction", "leftover"],
            )
        )
    if case.get("contacts"):
        parts.append("\nContacts")
        parts.append(
            table(
                [
                    [local_time(c["at"], zone), c["outcome"], c.get("channel"), c.get("summary")]
                    for c in case["contacts"]
                ],
                ["at", "outcome", "channel", "what was said"],
            )
        )
    if case.get("reviews"):
        parts.append("\nReviews")
        parts.append(
            table(
                [
                    [r["by"], r["root_cause"], r["lesson"], r.get("action"), r.get("action_owner")]
                    for r in case["reviews"]
                ],
                ["by", "root cause", "lesson", "action", "action owner"],
            )
        )
    if case.get("review_actions"):
        parts.append("\nReview actions")
        parts.append(
            table(
                [
                    [
                        a["number"],
                        a["action"],
                        a.get("owner") or "",
                        local_time(a.get("due"), zone),
                        "done" if a["done"] else "open",
                    ]
                    for a in case["review_actions"]
                ],
                ["#", "action", "owner", "due", "state"],
            )
        )
    if case.get("notes"):
        parts.append("\nNotes")
        parts.append(
            table(
                [[local_time(n["at"], zone), n["by"], n["text"]] for n in case["notes"]],
                ["at", "by", "text"],
            )
        )
    return "\n".join(parts)


def _money(total: dict[str, str]) -> str:
    return " + ".join(f"{v} {k}" for k, v in total.items())


def proposal_rows(proposals: list[dict[str, Any]]) -> tuple[list[list[Any]], list[str]]:
    """A row per part of every option of every proposal; the proposal's state on its first."""
    rows: list[list[Any]] = []
    for p in proposals:
        options = p.get("options") or [{"option": 1, "parts": [p], "total": {}}]
        for o in options:
            taken = p.get("accepted_option") == o["option"]
            for i, part in enumerate(o["parts"]):
                head = i == 0 and o["option"] == 1
                money = f"{part['amount']} {part['currency']}" if part.get("amount") else ""
                rows.append(
                    [
                        p["number"] if head else "",
                        (f"{o['option']}{'*' if taken else ''}" if i == 0 else ""),
                        part["kind"],
                        money,
                        _money(o.get("total") or {}) if i == len(o["parts"]) - 1 else "",
                        p["state"] if head else "",
                        ("yes" if p["needs_approval"] else "no") if head else "",
                        (p.get("approved_by") or "") if head else "",
                        part.get("detail") or "",
                    ]
                )
        for ov in p.get("overrides") or []:
            rows.append(["", "", f"override {ov['rule']}", "", "", "", "", ov["by"], ov["reason"]])
    headers = [
        "#",
        "option",
        "remedy",
        "amount",
        "option total",
        "state",
        "needs approval",
        "approved by",
        "detail",
    ]
    return rows, headers


def change_summary(data: dict[str, Any], zone: ZoneInfo) -> str:
    """What an event changed, in one line: its payload less the actor, times in the shop's zone."""
    bits = []
    for key, value in data.items():
        if key == "actor" or value is None or value == [] or value == "":
            continue
        if key in TIME_KEYS and isinstance(value, str):
            value = local_time(value, zone)
        elif isinstance(value, list):
            value = ", ".join(str(v) for v in value)
        bits.append(f"{key}={value}")
    return "; ".join(bits)


#: Recorded this long after (or before) it happened, an event shows both times.
RECORDED_APART = timedelta(minutes=1)


def recorded_apart(e: dict[str, Any]) -> bool:
    """Whether the event was recorded at another time than it happened (``--at``)."""
    occurred, recorded = e.get("occurred_at"), e.get("recorded_at")
    if not occurred or not recorded:
        return False
    gap = datetime.fromisoformat(recorded) - datetime.fromisoformat(occurred)
    return abs(gap) > RECORDED_APART


def history_rows(events: list[dict[str, Any]], zone: ZoneInfo) -> list[dict[str, Any]]:
    """Events as rows of lists: what changed summed up in one cell."""
    return [
        {
            "position": e["position"],
            "version": e["version"],
            "occurred_at": e["occurred_at"],
            "recorded_at": e["recorded_at"],
            "actor": e["actor"],
            "type": e["type"],
            "changed": change_summary(e["data"], zone),
        }
        for e in events
    ]


def history_text(events: list[dict[str, Any]], zone: ZoneInfo) -> str:
    """Each event at its business time; the recorded time too where it differs (``--at``)."""
    apart = any(recorded_apart(e) for e in events)
    rows = []
    for e in events:
        row = [e["version"], local_time(e["occurred_at"] or e["recorded_at"], zone)]
        if apart:
            row.append(local_time(e["recorded_at"], zone) if recorded_apart(e) else "")
        rows.append([*row, e["actor"], e["type"], change_summary(e["data"], zone)])
    headers = ["#", "at", *(["recorded"] if apart else []), "actor", "event", "what changed"]
    return table(rows, headers)
