"""The human forms of one case (``show``) and of its events (``history``)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from complaintctl.i18n import _, heading, label, language
from complaintctl.render import TIME_KEYS, Attention, local_time, table
from complaintctl.render.fields import FIELDS, LIST_FIELDS, PERSON_FIELDS
from events.lifecycle import PARTIES


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
    for key in LIST_FIELDS:
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
            [
                o["party"],
                f"{o['reference']}"
                + (" " + _("(replied: {replies})").format(replies=replies) if replies else ""),
            ]
        )
    route = case.get("external_route")
    if route:
        where = f"{route['route']} {route.get('reference') or ''}".strip()
        end = (
            "; " + _("concluded: {outcome}").format(outcome=route["outcome"])
            if route.get("concluded_at")
            else "; " + _("open")
        )
        rows.append(["external_route", where + end])
    return rows


def _person(key: str, value: Any, case: dict[str, Any]) -> Any:
    """A field's value in the display language: built-in values, yes/no, major reasons."""
    if language() == "en":
        return value
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    if key == "major_reasons":
        from complaintctl.refusals import major_reason

        return "; ".join(major_reason(r) for r in case["major_reasons"])
    return label(key, value)


def _val(value: Any) -> Any:
    """A payload value as stored (a transcoded time wrapped) as the fold reads it."""
    return value["_data_"] if isinstance(value, dict) and "_data_" in value else value


def _attention(key: str, value: Any, case: dict[str, Any]) -> Any:
    """A field marked for colour where it needs attention (major, a regulator...)."""
    if (key == "severity" and value == case["severity"] == "major") or (
        key == "channel" and case["channel"] in PARTIES
    ):
        return Attention(str(value))
    return value


def _when(iso: Any, zone: ZoneInfo, by: Any = None) -> str:
    when = local_time(iso, zone) if iso else ""
    return f"{when} ({by})" if by and when else when


def person_fields(
    case: dict[str, Any], zone: ZoneInfo, events: list[tuple[str, dict[str, Any]]]
) -> list[list[Any]]:
    """The key/value lines of ``show`` for a person: every field set, the times of the
    case's life, the promise and what the customer was told, VIP and signature."""
    rows: list[list[Any]] = []
    for key in PERSON_FIELDS:
        value = case.get(key)
        if value is None or value == "":
            continue
        if isinstance(value, bool):
            value = _("yes") if value else _("no")  # a person reads words, in English too
        rows.append([heading(key), _attention(key, _person(key, value, case), case)])
    if case.get("vip"):
        rows.append([_("VIP"), Attention(_("yes"))])
    if case.get("signed_by_customer"):  # as VIP: said when it is so
        rows.append([_("signed by the customer"), _("yes")])
    if case.get("demand_amount"):
        rows.append(
            [heading("demand_amount"), f"{case['demand_amount']} {case.get('demand_currency')}"]
        )
    if case.get("loss"):
        rows.append([heading("loss"), f"{case['loss']['amount']} {case['loss']['currency']}"])
    acks = [d for t, d in events if t == "complaints:Acknowledged"]
    times = [
        ("occurred_at", case.get("occurred_at"), None),
        ("received_at", case.get("received_at"), case.get("received_by")),
        ("acknowledged_at", case.get("acknowledged_at"), acks[0].get("actor") if acks else None),
        ("reply_by", case.get("reply_by"), None),
        ("decision_due", case.get("decision_due"), None),
        ("remedy_accepted_at", case.get("remedy_accepted_at"), None),
        ("resolved_at", case.get("resolved_at"), None),
        ("closed_at", case.get("closed_at"), None),
        ("archived_at", case.get("archived_at"), None),
    ]
    for key, iso, by in times:
        if iso:
            rows.append([heading(key), _when(iso, zone, by)])
        if key == "reply_by" and acks and acks[-1].get("message"):
            rows.append([_("told the customer"), acks[-1]["message"]])
    for key in LIST_FIELDS:
        if key != "major_reasons" and case.get(key):  # told in full by major_rows
            rows.append([heading(key), "\n".join(str(v) for v in case[key])])
    for d in case.get("departments", []):
        rows.append([heading(d["mode"]), f"{d['department']} {d.get('reason') or ''}".strip()])
    flag = case.get("supervisor_flag")
    if flag:
        when = local_time(flag["at"], zone)
        rows.append(
            [_("supervisor"), Attention(f"{flag['reason']} ({when}, {flag.get('by') or '-'})")]
        )
    return rows


def major_rows(case: dict[str, Any], zone: ZoneInfo) -> list[list[Any]]:
    """Every reason the case is major: the rules' and each person's, with who and when."""
    if not case.get("major_reasons") and not case.get("major_triggers"):
        return []
    from complaintctl.refusals import major_reason

    rows: list[list[Any]] = []
    told = set()
    for t in case.get("major_triggers") or []:
        rows.append(
            [Attention(major_reason(t["reason"])), t.get("by") or "", local_time(t["at"], zone)]
        )
        told.add(t["reason"])
    for reason in case.get("major_reasons") or []:
        if reason not in told:
            rows.append([Attention(major_reason(str(reason))), "", ""])
    return rows


def event_rows(
    events: list[tuple[str, dict[str, Any]]], zone: ZoneInfo, topics: dict[str, str]
) -> list[list[Any]]:
    """The events of the topics named (topic -> what a person calls it), oldest first."""
    rows: list[list[Any]] = []
    for topic, d in events:
        what = topics.get(topic)
        if what is None:
            continue
        if "to_tier" in d:
            what = f"{what} {d['from_tier']} → {d['to_tier']}"
        text = d.get("reason") or d.get("summary") or ""
        rows.append([local_time(_val(d["timestamp"]), zone), d.get("actor") or "", what, text])
    return rows


def outside_rows(case: dict[str, Any], zone: ZoneInfo) -> list[list[Any]]:
    """Each consumer association or regulator that took the case up, with our replies."""
    rows: list[list[Any]] = []
    for o in case.get("outside_parties") or []:
        replies = "\n".join(
            f"{local_time(r['at'], zone)} {r.get('by') or ''}: {r['text']}" for r in o["replies"]
        )
        party = label("channel", o["party"])  # the shop's name: the channel of the same name
        rows.append([Attention(party), o["reference"], local_time(o["at"], zone), replies])
    route = case.get("external_route")
    if route:
        end = (
            _("concluded: {outcome}").format(outcome=route["outcome"])
            if route.get("concluded_at")
            else _("open")
        )
        detail = "\n".join(x for x in (route.get("detail"), end) if x)
        rows.append(
            [route["route"], route.get("reference") or "", local_time(route["at"], zone), detail]
        )
    return rows


def case_text(
    case: dict[str, Any], zone: ZoneInfo, events: list[tuple[str, dict[str, Any]]] | None = None
) -> str:
    """The human form of ``show``: the case in full for a person.

    ``events`` (the case's, as folded) give what the case document keeps only
    the last of: every escalation with its reason, every resolution and reopening.
    """
    seen = events or []
    parts = [table(person_fields(case, zone, seen))]

    def _section(title: str, rows: list[list[Any]], columns: list[str]) -> None:
        if rows:
            parts.append("\n" + title)
            parts.append(table(rows, columns))

    _section(_("Major"), major_rows(case, zone), ["reason", "by", "at"])
    _section(
        _("Escalations"),
        event_rows(
            seen,
            zone,
            {"complaints:Escalated": _("escalated"), "complaints:Deescalated": _("moved down")},
        ),
        ["at", "by", "tier", "reason"],
    )
    _section(
        _("Resolutions"),
        event_rows(
            seen, zone, {"complaints:Resolved": _("resolved"), "complaints:Reopened": _("reopened")}
        ),
        ["at", "by", "", "what was done"],
    )
    _section(
        _("Outside parties"), outside_rows(case, zone), ["party", "reference", "since", "replies"]
    )
    if case.get("proposals"):
        parts.append("\n" + _("Proposals"))
        parts.append(table(*proposal_rows(case["proposals"])))
    _section(
        _("Attachments"),
        [
            [
                a["name"],
                label("attachment", a["kind"]),
                a["size"],
                a["media_type"],
                a["sha256"][:16],
            ]
            for a in case.get("attachments") or []
        ],
        ["name", "kind", "bytes", "type", "sha256"],
    )
    _section(
        _("Follow-ups"),
        [
            [
                local_time(f["at"], zone),
                label("outcome", f["outcome"]),
                f.get("satisfaction") or "",
                f.get("leftover") or "",
            ]
            for f in case.get("followups") or []
        ],
        ["at", "outcome", "satisfaction", "leftover"],
    )
    _section(
        _("Contacts"),
        [
            [
                local_time(c["at"], zone),
                label("outcome", c["outcome"]),
                c.get("channel"),
                c.get("summary"),
            ]
            for c in case.get("contacts") or []
        ],
        ["at", "outcome", "channel", "what was said"],
    )
    _section(
        _("Reviews"),
        [
            [r["by"], r["root_cause"], r["lesson"], r.get("action"), r.get("action_owner")]
            for r in case.get("reviews") or []
        ],
        ["by", "root cause", "lesson", "action", "action owner"],
    )
    _section(
        _("Review actions"),
        [
            [
                a["number"],
                a["action"],
                a.get("owner") or "",
                local_time(a.get("due"), zone),
                _("done")
                + (f" {_when(a['done_at'], zone, a.get('done_by'))}" if a.get("done_at") else "")
                if a["done"]
                else _("open"),
                a.get("note") or "",
            ]
            for a in case.get("review_actions") or []
        ],
        ["#", "action", "owner", "due", "state", "note"],
    )
    _section(
        _("Notes"),
        [[local_time(n["at"], zone), n["by"], n["text"]] for n in case.get("notes") or []],
        ["at", "by", "text"],
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
                        label("kind", part["kind"]),
                        money,
                        _money(o.get("total") or {}) if i == len(o["parts"]) - 1 else "",
                        label("state", p["state"]) if head else "",
                        (_("yes") if p["needs_approval"] else _("no")) if head else "",
                        (p.get("approved_by") or "") if head else "",
                        part.get("detail") or "",
                    ]
                )
        for ov in p.get("overrides") or []:
            rows.append(
                [
                    "",
                    "",
                    _("override {rule}").format(rule=ov["rule"]),
                    "",
                    "",
                    "",
                    "",
                    ov["by"],
                    ov["reason"],
                ]
            )
    columns = [
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
    return rows, columns


def change_summary(data: dict[str, Any], zone: ZoneInfo, *, person: bool = False) -> str:
    """What an event changed, in one line: its payload less the actor, times in the shop's zone.

    ``person``: keys and built-in values in the display language (a table, not CSV).
    """
    bits = []
    for key, value in data.items():
        if key == "actor" or value is None or value == [] or value == "":
            continue
        if key in TIME_KEYS and isinstance(value, str):
            value = local_time(value, zone)
        elif isinstance(value, list) and person and key == "major_reasons":
            from complaintctl.refusals import major_reason

            value = ", ".join(major_reason(str(v)) for v in value)
        elif isinstance(value, list):
            value = ", ".join(str(label(key, v) if person else v) for v in value)
        elif person and isinstance(value, bool) and language() != "en":
            value = _("yes") if value else _("no")
        elif person:
            value = label(key, value)
        bits.append(f"{heading(key) if person else key}={value}")
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
