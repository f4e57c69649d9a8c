"""The shapes of the reports a person reads: the daily report, statistics, the SLA clock
of one case, a group complaint, the shift handover, the store's checks.

Each takes the read model's dict (the same one ``--json`` prints) and returns text.
"""

from __future__ import annotations

import html
from typing import Any
from zoneinfo import ZoneInfo

from complaintctl.render import local_time, safe, table
from complaintctl.render.rows import delimited, html_table, markdown_table

# -- the daily report -----------------------------------------------------------------

KINDS = ("received", "acknowledged", "resolved", "closed", "overdue", "escalated", "reopened")


def _report_tables(r: dict[str, Any]) -> list[tuple[str, list[str], list[list[Any]]]]:
    """The report as titled tables, shared by table, markdown and html."""
    kinds = list(KINDS)
    return [
        ("Totals", kinds, [[r["totals"][k] for k in kinds]]),
        (
            "By category",
            ["category", *kinds],
            [[g["key"], *(g[k] for k in kinds)] for g in r["by_category"]],
        ),
        (
            "By channel",
            ["channel", *kinds],
            [[g["key"], *(g[k] for k in kinds)] for g in r["by_channel"]],
        ),
        (
            f"Open backlog by age ({r['backlog']['open']} open)",
            ["age", "cases"],
            [[b["age"], b["cases"]] for b in r["backlog"]["by_age"]],
        ),
        (
            f"Overdue by owner ({r['overdue']} overdue)",
            ["owner", "cases"],
            [[o["owner"], o["cases"]] for o in r["overdue_by_owner"]],
        ),
        ("Follow-ups due", ["cases"], [[r["followups_due"]]]),
    ]


def _title(r: dict[str, Any]) -> str:
    return f"Daily complaints report {r['date']} ({r['timezone']})"


def report_text(r: dict[str, Any], fmt: str) -> str:
    """The daily report as aligned tables (``table``) or markdown."""
    md = fmt == "markdown"
    parts = [f"# {_title(r)}" if md else _title(r)]
    for name, headers, rows in _report_tables(r):
        parts.append(f"\n## {name}" if md else f"\n{name}")
        if md:
            parts.append(markdown_table(rows, headers))
        else:
            parts.append(table(rows, headers) if rows else "(none)")
    return "\n".join(parts)


def report_rows(r: dict[str, Any], fmt: str) -> str:
    """The daily report as one long CSV/TSV table: date, section, key, metric, value."""
    rows: list[list[Any]] = []
    for k, v in r["totals"].items():
        rows.append([r["date"], "totals", "", k, v])
    for section in ("by_category", "by_channel"):
        for g in r[section]:
            for k in KINDS:
                rows.append([r["date"], section, g["key"], k, g[k]])
    for b in r["backlog"]["by_age"]:
        rows.append([r["date"], "backlog", b["age"], "open", b["cases"]])
    for o in r["overdue_by_owner"]:
        rows.append([r["date"], "overdue_by_owner", o["owner"], "overdue", o["cases"]])
    rows.append([r["date"], "followups", "", "due", r["followups_due"]])
    return delimited(rows, ["date", "section", "key", "metric", "value"], fmt)


def _svg_bars(items: list[tuple[str, int]], title: str) -> str:
    """A horizontal bar chart as inline SVG: no script, nothing fetched."""
    width, bar_h, gap, label_w = 520, 18, 6, 150
    top = 24
    height = top + len(items) * (bar_h + gap) + 4
    biggest = max((v for _k, v in items), default=0) or 1
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}"'
        f' role="img" aria-label="{html.escape(title)}">',
        f'<text x="0" y="15" font-size="13" font-weight="bold">{html.escape(title)}</text>',
    ]
    for i, (label, value) in enumerate(items):
        y = top + i * (bar_h + gap)
        w = int((width - label_w - 50) * value / biggest)
        out.append(
            f'<text x="0" y="{y + 13}" font-size="12">{html.escape(safe(label))}</text>'
            f'<rect x="{label_w}" y="{y}" width="{w}" height="{bar_h}" fill="#3b6ea5"/>'
            f'<text x="{label_w + w + 4}" y="{y + 13}" font-size="12">{value}</text>'
        )
    out.append("</svg>")
    return "".join(out)


def report_html(r: dict[str, Any]) -> str:
    """A mail-friendly page: inline styles, inline SVG charts, user text escaped."""

    def esc(value: Any) -> str:
        return html.escape(safe(value))

    parts = [
        "<!DOCTYPE html>",
        '<html lang="zh"><head><meta charset="utf-8">',
        f"<title>{esc(_title(r))}</title></head>",
        "<body style=\"font-family:Arial,'Microsoft YaHei',sans-serif;color:#222\">",
        f'<h1 style="font-size:20px">{esc(_title(r))}</h1>',
        _svg_bars([(k, r["totals"][k]) for k in KINDS], "The day"),
        _svg_bars([(b["age"], b["cases"]) for b in r["backlog"]["by_age"]], "Open backlog by age"),
    ]
    for name, headers, rows in _report_tables(r):
        parts.append(f'<h2 style="font-size:16px">{esc(name)}</h2>')
        parts.append(html_table(rows, headers) if rows else "<p>(none)</p>")
    parts.append("</body></html>")
    return "\n".join(parts)


def daily_report(r: dict[str, Any], fmt: str) -> str:
    """The daily report in a format other than JSON (newline-terminated)."""
    if fmt in ("csv", "tsv"):
        return report_rows(r, fmt)
    if fmt == "html":
        return report_html(r) + "\n"
    return report_text(r, fmt) + "\n"


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


def root_causes_text(result: dict[str, Any]) -> str | None:
    causes = result["total"]["top_root_causes"]
    if not causes:
        return None
    return "\nTop root causes\n" + table([[c["root_cause"], c["cases"]] for c in causes])


def group_text(g: dict[str, Any]) -> str:
    statuses = ", ".join(f"{k} {v}" for k, v in g["statuses"].items())
    return safe(
        f"group {g['name']}: {len(g['members'])} case(s), {g['open']} open;"
        f" {statuses}; remedies {stat_cell(g['remedies_granted'])}"
    )


def customers_text(result: dict[str, Any]) -> str:
    return "\n".join(
        safe(
            f"{'/'.join(c['names'])} <{c['contact']}>: {c['cases']} case(s),"
            f" {c['open']} open{' REPEAT COMPLAINANT' if c['repeat'] else ''}"
        )
        for c in result["customers"]
    )


# -- the SLA clock of one case ----------------------------------------------------------


def sla_rows(c: dict[str, Any], z: ZoneInfo) -> list[list[Any]]:
    """The SLA clock of one case as label/value lines."""

    def hours(value: float | None, within: bool | None) -> str:
        if value is None:
            return "-"
        return f"{value} h" + ("" if within is None else (" (in target)" if within else " (LATE)"))

    rows = [
        ["case", f"{c['ref']} ({c['status']}, {c['severity']})"],
        ["clock", f"{c['basis']} hours; paused {c['paused_hours']} h"],
        ["to acknowledge", hours(c["hours_to_acknowledge"], c["acknowledged_within_target"])],
        ["to resolve", hours(c["hours_to_resolve"], c["resolved_within_target"])],
    ]
    for p in c["promises"]:
        rows.append(["reply promised by", f"{local_time(p['reply_by'], z)}: {p['state']}"])
    for d in c["deadlines"]:
        late = " OVERDUE" if d["overdue"] else ""
        rows.append([f"{d['kind']} due", local_time(d["due"], z) + late])
    if c["followup_due"]:
        rows.append(["follow-up due", local_time(c["followup_due"], z)])
    return rows


def sla_text(c: dict[str, Any], z: ZoneInfo) -> str:
    return table(sla_rows(c, z))


# -- the shift handover -----------------------------------------------------------------


def _section(title: str, rows: list[list[Any]], headers: list[str]) -> str:
    return f"\n{title}\n" + (table(rows, headers) if rows else "(none)")


def handover_text(h: dict[str, Any], z: ZoneInfo) -> str:
    """What the outgoing shift hands over: open cases, call-backs, follow-ups, overdue."""

    def refs(cases: list[dict[str, Any]]) -> str:
        return ", ".join(c["ref"] for c in cases[:12]) + (" ..." if len(cases) > 12 else "")

    head = safe(
        f"Handover to shift {h['shift']}: {local_time(h['start'], z)} - {local_time(h['end'], z)}"
    )
    return "\n".join(
        [
            head,
            _section(
                "Open cases by owner",
                [[o["owner"], len(o["cases"]), refs(o["cases"])] for o in h["open_by_owner"]],
                ["owner", "open", "cases"],
            ),
            _section(
                "Promised call-backs due in the shift",
                [
                    [
                        c["ref"],
                        local_time(c["reply_by"], z),
                        c["owner"],
                        c["customer"],
                        c["contact"],
                        "LATE" if c["late"] else "",
                    ]
                    for c in h["callbacks"]
                ],
                ["ref", "reply by", "owner", "customer", "contact", ""],
            ),
            _section(
                "Follow-ups due in the shift",
                [
                    [f["ref"], local_time(f["due"], z), f["owner"], f["customer"], f["contact"]]
                    for f in h["followups_due"]
                ],
                ["ref", "due", "owner", "customer", "contact"],
            ),
            _section(
                "Overdue",
                [[o["ref"], o["owner"], ", ".join(o["kinds"])] for o in h["overdue"]],
                ["ref", "owner", "deadlines passed"],
            ),
        ]
    )


# -- the store's checks -----------------------------------------------------------------


def verify_text(result: dict[str, Any]) -> str:
    rows = [
        [r["file"], "ok" if r["ok"] else "BAD", r["events"], r["line"] or "", r["problem"] or ""]
        for r in result["logs"]
    ]
    rows += [
        [f"{a['ref']} {a['name']}", "ok" if a["ok"] else "BAD", "", "", a["problem"] or ""]
        for a in result["attachments"]
    ]
    rows += [[name, "stale", "", "", "left by an interrupted attach"] for name in result["stale"]]
    from complaintctl.integrity import problem_text

    rows += [
        ["cache" if p["problem"] == "cache-differs" else "log", "BAD", "", "", problem_text(p)]
        for p in result.get("problems", [])
    ]
    out = [table(rows, ["what", "state", "events", "line", "problem"])]
    expected = result.get("expected")
    if expected is not None:
        where = f"{expected['position']}:{expected['hash']}"
        if expected["ok"]:
            out.append(f"expected head {where}: still in the log")
        else:
            found = expected["found"] or "no such position"
            out.append(f"expected head {where}: NOT in the log (found {found})")
    head = result.get("head")
    if head is not None:
        out.append(f"head {head['position']}:{head['hash']}")
    return "\n".join(out)


def migrate_text(result: dict[str, Any]) -> str:
    rows = [
        [name, s["events"], s["aggregates"], s["digest"]]
        for name, s in (("source", result["source"]), ("target", result["target"]))
    ]
    return table(rows, ["store", "events", "aggregates", "sha256 digest"])
