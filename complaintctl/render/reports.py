"""The daily report as a person reads or files it: aligned tables, markdown, one long
CSV/TSV table, a mail page and a workbook of one sheet per section.

Each takes the read model's dict (the same one ``--json`` prints). How a report of
sections is printed is :mod:`.sections`'; the other reports have modules of their own
(:mod:`.periods`, :mod:`.stats`, :mod:`.deadlines`, :mod:`.store`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from zoneinfo import ZoneInfo

from complaintctl.i18n import _, heading, label
from complaintctl.render import local_time
from complaintctl.render.deadlines import promised
from complaintctl.render.rows import delimited, spreadsheet_time
from complaintctl.render.sections import (
    Section,
    html_alert,
    html_bars,
    report_subtitle,
    sections_html,
    sections_text,
)
from complaintctl.render.sections import headings as _h

# -- the daily report -----------------------------------------------------------------

KINDS = ("received", "acknowledged", "resolved", "closed", "overdue", "escalated", "reopened")
TREND = ("received", "acknowledged", "resolved", "closed", "escalated")


def overdue_message(count: int) -> str:
    return _("{count} case(s) overdue").format(count=count)


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
                [
                    o["ref"],
                    o["customer"],
                    o["owner"],
                    promised(o["deadline"], o["due"], z),
                    f"{o['hours_late']} h",
                ]
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
    return report_subtitle(r, z, complete)


def report_text(r: dict[str, Any], fmt: str, z: ZoneInfo) -> str:
    """The daily report as aligned tables (``table``) or markdown."""
    return sections_text(_title(r), _subtitle(r, z), _report_tables(r, z), fmt)


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


def report_html(r: dict[str, Any], z: ZoneInfo) -> str:
    """The daily report as a mail page (:func:`.sections.sections_html`): the day's
    figures and the last seven days as bars above the sections."""
    top = [html_alert(overdue_message(r["overdue"]))] if r["overdue"] else []
    top.append(html_bars([(heading(k), r["totals"][k]) for k in KINDS], _("The day")))
    top.append(
        html_bars([(t["date"][5:], t["received"]) for t in r["trend"]], _("Received, last 7 days"))
    )
    return sections_html(_title(r), _subtitle(r, z), top, _report_tables(r, z))


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
