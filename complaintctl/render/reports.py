"""The shapes of the reports a person reads: the daily report, statistics, the SLA clock
of one case, a group complaint, the shift handover, the store's checks.

Each takes the read model's dict (the same one ``--json`` prints) and returns text.
"""

from __future__ import annotations

import html
from collections.abc import Callable, Iterable
from typing import Any
from zoneinfo import ZoneInfo

from complaintctl.i18n import N_, _, heading, label, language, pgettext
from complaintctl.render import Attention, local_time, safe, table
from complaintctl.render.rows import delimited, markdown_table, spreadsheet_time

# -- the daily report -----------------------------------------------------------------

KINDS = ("received", "acknowledged", "resolved", "closed", "overdue", "escalated", "reopened")
TREND = ("received", "acknowledged", "resolved", "closed", "escalated")

#: What was promised, by the deadline that passed first.
PROMISE_LABELS = {
    "acknowledge": N_("answer by"),
    "reply": N_("call back by"),
    "resolve": N_("resolve by"),
    "decision": N_("decision by"),
}

Section = tuple[str, list[str], list[list[Any]]]


def _h(columns: list[str]) -> list[str]:
    return [heading(c) for c in columns]


def overdue_message(count: int) -> str:
    return _("{count} case(s) overdue").format(count=count)


def _promised(o: dict[str, Any], z: ZoneInfo) -> str:
    promise = PROMISE_LABELS.get(o["deadline"])
    return f"{_(promise) if promise else o['deadline']} {local_time(o['due'], z)}"


When = Callable[[Any, ZoneInfo], Any]


def _case_sections(r: dict[str, Any], z: ZoneInfo, when: When = local_time) -> list[Section]:
    """The sections naming the cases behind the figures (the manager acts on these);
    ``when`` shows a time (text, or a spreadsheet's date)."""
    remedies = r["remedies"]
    return [
        (
            _("Overdue cases ({count})").format(count=r["overdue"]),
            _h(["ref", "customer", "owner", "promised", "late"]),
            [
                [o["ref"], o["customer"], o["owner"], _promised(o, z), f"{o['hours_late']} h"]
                for o in r["overdue_cases"]
            ],
        ),
        (
            _("Call-backs promised for tomorrow"),
            _h(["ref", "customer", "contact", "owner", "reply by"]),
            [
                [c["ref"], c["customer"], c["contact"], c["owner"], when(c["reply_by"], z)]
                for c in r["callbacks_due_tomorrow"]
            ],
        ),
        (
            _("Follow-ups due ({count})").format(count=r["followups_due"]),
            _h(["ref", "customer", "contact", "owner", "due"]),
            [
                [f["ref"], f["customer"], f["contact"], f["owner"], when(f["due"], z)]
                for f in r["followups"]
            ],
        ),
        (
            _("Major cases"),
            _h(["ref", "customer", "owner", "status", "category", "received"]),
            [
                [
                    m["ref"],
                    m["customer"],
                    m["owner"],
                    label("status", m["status"]),
                    label("category", m["category"]),
                    when(m["received_at"], z),
                ]
                for m in r["major_cases"]
            ],
        ),
        (
            _("Consumer association, regulator and media cases"),
            _h(["ref", "channel", "customer", "owner", "status"]),
            [
                [
                    m["ref"],
                    label("channel", m["channel"]),
                    m["customer"],
                    m["owner"],
                    label("status", m["status"]),
                ]
                for m in r["outside_cases"]
            ],
        ),
        (
            _("Active group complaints"),
            _h(["group", "ref", "customer", "status", "owner"]),
            [
                [g["name"], m["ref"], m["customer"], label("status", m["status"]), m["owner"]]
                for g in r["groups"]
                for m in g["members"]
            ],
        ),
        (
            _("Escalations"),
            _h(["ref", "owner", "from tier", "to tier", "at"]),
            [
                [e["ref"], e["owner"], e["from_tier"], e["to_tier"], when(e["at"], z)]
                for e in r["escalations"]
            ],
        ),
        (
            _("Remedies granted"),
            _h(["currency", "cases", "amount"]),
            [[b["currency"], b["cases"], b["amount"]] for b in remedies["by_currency"]],
        ),
        (
            _("Remedies granted, by case"),
            _h(["ref", "customer", "remedy", "amount", "currency"]),
            [
                [
                    g["ref"],
                    g["customer"],
                    label("kind", g["kind"]),
                    g["amount"] or "",
                    g["currency"] or "",
                ]
                for g in remedies["granted"]
            ],
        ),
    ]


def _report_tables(r: dict[str, Any], z: ZoneInfo, when: When = local_time) -> list[Section]:
    """The report as titled tables, shared by table, markdown, html and xlsx."""
    kinds = [heading(k) for k in KINDS]
    return [
        (_("Totals"), kinds, [[r["totals"][k] for k in KINDS]]),
        *_case_sections(r, z, when),
        (
            _("By category"),
            [heading("category"), *kinds],
            [[label("category", g["key"]), *(g[k] for k in KINDS)] for g in r["by_category"]],
        ),
        (
            _("By channel"),
            [heading("channel"), *kinds],
            [[label("channel", g["key"]), *(g[k] for k in KINDS)] for g in r["by_channel"]],
        ),
        (
            _("Open backlog by age ({open} open)").format(open=r["backlog"]["open"]),
            [heading("age"), heading("cases")],
            [[label("age", b["age"]), b["cases"]] for b in r["backlog"]["by_age"]],
        ),
        (
            _("Overdue by owner ({overdue} overdue)").format(overdue=r["overdue"]),
            [heading("owner"), heading("cases")],
            [[o["owner"], o["cases"]] for o in r["overdue_by_owner"]],
        ),
        (
            _("The last seven days"),
            [heading("day"), *(heading(k) for k in TREND)],
            [[t["date"], *(t[k] for k in TREND)] for t in r["trend"]],
        ),
    ]


def _title(r: dict[str, Any]) -> str:
    shop = f", {r['shop']}" if r.get("shop") else ""
    title = _("Daily complaints report {date} ({timezone})")
    return title.format(date=r["date"], timezone=r["timezone"]) + shop


def _subtitle(r: dict[str, Any], z: ZoneInfo) -> list[str]:
    complete = _("Figures as at the end of the day ({when}).")
    return [report_state(r, z, complete), log_head_line(r["head"])]


def report_state(r: dict[str, Any], z: ZoneInfo, complete: str) -> str:
    """Whether a report's figures are final (``complete``, a message with ``{when}``)."""
    when = local_time(r["as_of"], z)
    state = complete if r["complete"] else _("Figures so far, as of {when}.")
    return state.format(when=when)


def log_head_line(head: dict[str, Any]) -> str:
    """The log's head as a report prints it: the anchor an auditor checks later."""
    if not head["hash"]:
        return _("Log head: the log is empty")
    return _("Log head: position {position}, hash {hash}").format(
        position=head["position"], hash=head["hash"]
    )


def report_text(r: dict[str, Any], fmt: str, z: ZoneInfo) -> str:
    """The daily report as aligned tables (``table``) or markdown."""
    return sections_text(_title(r), _subtitle(r, z), _report_tables(r, z), fmt)


def sections_text(
    heading: str,
    subtitle: list[str],
    sections: Iterable[tuple[str, list[str], list[list[Any]]]],
    fmt: str,
) -> str:
    """A report of named sections as aligned tables (``table``) or markdown."""
    md = fmt == "markdown"
    parts = [f"# {safe(heading)}" if md else safe(heading)]
    parts += [("\n" if md else "") + safe(line) for line in subtitle]
    for name, headers, rows in sections:
        parts.append(f"\n## {name}" if md else f"\n{name}")
        if md:
            parts.append(markdown_table(rows, headers) if rows else _("(none)"))
        else:
            parts.append(table(rows, headers) if rows else _("(none)"))
    return "\n".join(parts)


def report_rows(r: dict[str, Any], fmt: str, z: ZoneInfo) -> str:
    """The daily report as one long CSV/TSV table: date, section, key, metric, value."""
    d = r["date"]
    rows: list[list[Any]] = []
    for k, v in r["totals"].items():
        rows.append([d, "totals", "", k, v])
    for section in ("by_category", "by_channel"):
        for g in r[section]:
            for k in KINDS:
                rows.append([d, section, g["key"], k, g[k]])
    for b in r["backlog"]["by_age"]:
        rows.append([d, "backlog", b["age"], "open", b["cases"]])
    for o in r["overdue_by_owner"]:
        rows.append([d, "overdue_by_owner", o["owner"], "overdue", o["cases"]])
    rows.append([d, "followups", "", "due", r["followups_due"]])
    for o in r["overdue_cases"]:
        rows.append([d, "overdue_cases", o["ref"], "hours_late", o["hours_late"]])
    for c in r["callbacks_due_tomorrow"]:
        reply_by = spreadsheet_time(c["reply_by"], z)
        rows.append([d, "callbacks_due_tomorrow", c["ref"], "reply_by", reply_by])
    for f in r["followups"]:
        rows.append([d, "followups_due", f["ref"], "due", spreadsheet_time(f["due"], z)])
    for e in r["escalations"]:
        rows.append([d, "escalations", e["ref"], "to_tier", e["to_tier"]])
    for b in r["remedies"]["by_currency"]:
        rows.append([d, "remedies", b["currency"], "amount", b["amount"]])
    for t in r["trend"]:
        for k in TREND:
            rows.append([t["date"], "trend", "", k, t[k]])
    rows.append([d, "head", "", "position", r["head"]["position"]])
    rows.append([d, "head", "", "hash", r["head"]["hash"] or ""])
    return delimited(rows, ["date", "section", "key", "metric", "value"], fmt)


# Inline styles only: mail clients drop style sheets, scripts and SVG.
_PAGE = (
    "font-family:Arial,'Microsoft YaHei','PingFang SC',sans-serif;color:#222;"
    "margin:0 auto;padding:8px;max-width:720px;font-size:14px;line-height:1.4"
)
_TABLE = "border-collapse:collapse;width:100%;margin:0 0 4px 0;font-size:13px"
_CELL = "border:1px solid #ccc;padding:3px 5px;text-align:left;vertical-align:top"
_HEAD = _CELL + ";background:#f0f0f0;font-weight:bold;word-break:break-word"
_ALERT = "color:#a00000;font-weight:bold"


def _esc(value: Any) -> str:
    return html.escape(safe(value))


def _html_table(rows: list[list[Any]], headers: list[str]) -> str:
    """A table that shrinks to a phone: the first column (a reference, a key) stays whole,
    the other cells wrap, long headers break."""
    first = _CELL + ";white-space:nowrap"
    rest = _CELL + ";overflow-wrap:break-word"
    out = [f'<table style="{_TABLE}">', "<tr>"]
    out += [f'<th style="{_HEAD}">{_esc(h)}</th>' for h in headers]
    out.append("</tr>")
    for row in rows:
        cells = [
            f'<td style="{first if i == 0 else rest}">{_esc(c)}</td>' for i, c in enumerate(row)
        ]
        out.append("<tr>" + "".join(cells) + "</tr>")
    out.append("</table>")
    return "".join(out)


def _html_bars(items: list[tuple[str, int]], title: str) -> str:
    """A bar chart as table cells (no SVG, no image): a coloured cell as wide as the value."""
    biggest = max((v for _k, v in items), default=0) or 1
    out = [f'<h2 style="font-size:16px;margin:14px 0 4px 0">{_esc(title)}</h2>']
    out.append(f'<table style="{_TABLE}" role="presentation">')
    for name, value in items:
        pct = max(1, round(70 * value / biggest)) if value else 0
        bar = (
            f'<td style="width:{pct}%;background:#3b6ea5;padding:0;font-size:1px">&nbsp;</td>'
            if pct
            else ""
        )
        out.append(
            f'<tr><td style="width:30%;padding:2px 4px;white-space:nowrap">{_esc(name)}</td>'
            f'<td style="padding:2px 0"><table style="border-collapse:collapse;width:100%"'
            f' role="presentation"><tr>{bar}'
            f'<td style="padding:0 4px;font-size:12px">{value}</td></tr></table></td></tr>'
        )
    out.append("</table>")
    return "".join(out)


def report_html(r: dict[str, Any], z: ZoneInfo) -> str:
    """A page a mail client shows and a printer prints on A4: inline styles, no SVG, no
    script, nothing fetched; readable on a 400-pixel-wide phone; user text escaped."""
    parts = [
        "<!DOCTYPE html>",
        f'<html lang="{language()}"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{_esc(_title(r))}</title></head>",
        f'<body style="margin:0"><div style="{_PAGE}">',
        f'<h1 style="font-size:19px;margin:4px 0">{_esc(_title(r))}</h1>',
    ]
    sub = _subtitle(r, z)
    parts.append(f'<p style="margin:2px 0;color:#555">{_esc(sub[0])}</p>')
    parts.append(
        f'<p style="margin:2px 0;color:#555;font-size:12px;overflow-wrap:anywhere">'
        f"{_esc(sub[1])}</p>"
    )
    if r["overdue"]:
        parts.append(f'<p style="{_ALERT}">{_esc(overdue_message(r["overdue"]))}</p>')
    parts.append(_html_bars([(heading(k), r["totals"][k]) for k in KINDS], _("The day")))
    parts.append(
        _html_bars([(t["date"][5:], t["received"]) for t in r["trend"]], _("Received, last 7 days"))
    )
    for name, headers, rows in _report_tables(r, z):
        parts.append(f'<h2 style="font-size:16px;margin:14px 0 4px 0">{_esc(name)}</h2>')
        parts.append(
            _html_table(rows, headers) if rows else f'<p style="margin:0">{_esc(_("(none)"))}</p>'
        )
    parts.append("</div></body></html>")
    return "\n".join(parts)


def report_sheets(r: dict[str, Any], z: ZoneInfo) -> list[tuple[str, list[str], list[list[Any]]]]:
    """The daily report as a workbook's sheets: the report's head, then one per section."""
    from complaintctl.render.xlsx import local_datetime

    about = [
        [_("shop"), r.get("shop") or ""],
        [_("day"), r["date"]],
        [_("time zone"), r["timezone"]],
        [_("as of"), local_datetime(r["as_of"], z)],
        [_("complete"), r["complete"]],
        [_("log head position"), r["head"]["position"]],
        [_("log head hash"), r["head"]["hash"] or ""],
    ]
    sheets = [(_("Report"), [heading("field"), heading("value")], about)]
    for name, headers, rows in _report_tables(r, z, local_datetime):
        sheets.append((name.split(" (")[0], headers, rows))
    return sheets


def daily_report(r: dict[str, Any], fmt: str, z: ZoneInfo) -> str:
    """The daily report in a format other than JSON (newline-terminated)."""
    if fmt in ("csv", "tsv"):
        return report_rows(r, fmt, z)
    if fmt == "html":
        return report_html(r, z) + "\n"
    return report_text(r, fmt, z) + "\n"


# -- statistics -------------------------------------------------------------------------

STAT_COLUMNS = (
    ("key", "key"),
    ("received", "received"),
    ("valid %", "valid_share"),
    ("ack in target %", "acknowledged_within_target_pct"),
    ("promises kept %", "promises_kept_pct"),
    ("ack h median/p90", "hours_to_acknowledge"),
    ("resolve h median/p90", "hours_to_resolve"),
    ("within SLA %", "within_sla_pct"),
    ("escalations", "escalations"),
    ("reopen %", "reopen_rate_pct"),
    ("satisfaction", "satisfaction"),
    ("repeat", "repeat_complainants"),
    ("remedies", "remedies_granted"),
)


def stat_cell(value: Any) -> str:
    """A figure of ``stats`` in one cell: median/p90, mean (n), counts with totals."""
    if value is None:
        return "-"
    if isinstance(value, dict) and "median" in value:
        return f"{stat_cell(value['median'])}/{stat_cell(value['p90'])}"
    if isinstance(value, dict) and "mean" in value:
        return f"{stat_cell(value['mean'])} (n={value['count']})"
    if isinstance(value, dict) and "count" in value and "total" in value:
        totals = ", ".join(f"{v} {k}" for k, v in value["total"].items())
        return f"{value['count']}" + (f" ({totals})" if totals else "")
    if isinstance(value, dict):
        return ", ".join(f"{k}: {v}" for k, v in value.items()) or "-"
    return str(value)


def stats_rows(result: dict[str, Any]) -> list[dict[str, Any]]:
    """The (all) line and one line per group, keyed by the column headings."""
    groups = [{"key": "(all)", **result["total"]}, *result.get("groups", [])]
    return [{h: stat_cell(g.get(k)) for h, k in STAT_COLUMNS} for g in groups]


def _flat(key: str, value: Any) -> list[tuple[str, Any]]:
    """One figure of ``stats`` as plain cells: no ``3.6 (n=5)`` or ``12/30`` in one cell."""
    if isinstance(value, dict) and "median" in value:
        return [(f"{key}_median", value["median"]), (f"{key}_p90", value["p90"])]
    if isinstance(value, dict) and "mean" in value:
        return [(f"{key}_mean", value["mean"]), (f"{key}_n", value["count"])]
    if isinstance(value, dict) and "count" in value and "total" in value:
        totals = [(f"{key}_{cur}", v) for cur, v in value["total"].items()]
        return [(f"{key}_count", value["count"]), *totals]
    if isinstance(value, dict):
        return [(f"{key}_{k}", v) for k, v in value.items()]
    if isinstance(value, list):
        return []  # lists (top root causes) have their own table
    return [(key, value)]


def stats_flat(result: dict[str, Any]) -> tuple[list[dict[str, Any]], list[str]]:
    """The lines of ``stats`` for CSV and spreadsheets: one figure a column."""
    groups = [{"key": "(all)", **result["total"]}, *result.get("groups", [])]
    rows: list[dict[str, Any]] = []
    columns: list[str] = []
    for g in groups:
        row: dict[str, Any] = {}
        for _h, k in STAT_COLUMNS:
            for col, v in _flat(k, g.get(k)):
                row[col] = v
                if col not in columns:
                    columns.append(col)
        rows.append(row)
    return rows, columns


def root_causes_text(result: dict[str, Any]) -> str | None:
    causes = result["total"]["top_root_causes"]
    if not causes:
        return None
    return f"\n{_('Top root causes')}\n" + table([[c["root_cause"], c["cases"]] for c in causes])


def group_text(g: dict[str, Any]) -> str:
    statuses = ", ".join(f"{label('status', k)} {v}" for k, v in g["statuses"].items())
    return safe(
        _("group {name}: {cases} case(s), {open} open; {statuses}; remedies {remedies}").format(
            name=g["name"],
            cases=len(g["members"]),
            open=g["open"],
            statuses=statuses,
            remedies=stat_cell(g["remedies_granted"]),
        )
    )


def customers_text(result: dict[str, Any]) -> str:
    return "\n".join(
        safe(
            _("{names} <{contact}>").format(
                names="/".join(c["names"]), contact=", ".join(c["contacts"])
            )
            + (f" [{', '.join(c['accounts'])}]" if c["accounts"] else "")
            + _(": {cases} case(s), {open} open").format(cases=c["cases"], open=c["open"])
            + (" " + _("REPEAT COMPLAINANT") if c["repeat"] else "")
        )
        for c in result["customers"]
    )


# -- the SLA clock of one case ----------------------------------------------------------


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


# -- the store's checks -----------------------------------------------------------------


def verify_text(result: dict[str, Any]) -> str:
    """verify's report for a person; the problems the JSON keeps in English, translated."""
    from complaintctl.refusals import detail

    rows = [
        [
            r["file"],
            _("ok") if r["ok"] else _("BAD"),
            r["events"],
            r["line"] or "",
            detail(r["problem"]) if r["problem"] else "",
        ]
        for r in result["logs"]
    ]
    rows += [
        [
            f"{a['ref']} {a['name']}",
            _("ok") if a["ok"] else _("BAD"),
            "",
            "",
            detail(a["problem"]) if a["problem"] else "",
        ]
        for a in result["attachments"]
    ]
    stale = [_("stale"), "", "", _("left by an interrupted attach")]
    rows += [[name, *stale] for name in result["stale"]]
    from complaintctl.integrity import problem_text

    rows += [
        [
            _("cache") if p["problem"] == "cache-differs" else _("log"),
            _("BAD"),
            "",
            "",
            detail(problem_text(p)),
        ]
        for p in result.get("problems", [])
    ]
    out = [table(rows, ["what", "state", "events", "line", "problem"])]
    expected = result.get("expected")
    if expected is not None:
        where = f"{expected['position']}:{expected['hash']}"
        if expected["ok"]:
            out.append(_("expected head {head}: still in the log").format(head=where))
        else:
            found = expected["found"] or _("no such position")
            line = _("expected head {head}: NOT in the log (found {found})")
            out.append(line.format(head=where, found=found))
    head = result.get("head")
    if head is not None:
        out.append(_("head {position}:{hash}").format(**head))
    return "\n".join(out)


def migrate_text(result: dict[str, Any]) -> str:
    rows = [
        [name, s["events"], s["aggregates"], s["digest"]]
        for name, s in ((_("source"), result["source"]), (_("target"), result["target"]))
    ]
    return table(rows, ["store", "events", "aggregates", "sha256 digest"])


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
        due = ""
        if i.get("due"):
            promise = PROMISE_LABELS.get(i["deadline"])
            due = f": {_(promise) if promise else i['deadline']} {local_time(i['due'], z)}"
        lines.append(safe(f"- {i['ref']} {what}{due} ({i['customer']}, {i['owner']})"))
    return "\n".join(lines)
