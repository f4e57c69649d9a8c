"""The weekly and monthly reports as a person reads or files them: tables, markdown,
CSV (one long table with a ``section`` column, as the daily report), mail-safe HTML
and a workbook of one sheet per section.

Each takes the read model's dict (the one ``--json`` prints).
"""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo

from complaintctl.i18n import _, heading, label
from complaintctl.render.rows import delimited
from complaintctl.render.sections import (
    Section,
    html_alert,
    html_bars,
    report_subtitle,
    sections_html,
    sections_text,
)
from complaintctl.render.sections import headings as _h

#: The counted happenings, in the order shown.
KINDS = ("received", "acknowledged", "resolved", "closed", "escalated", "reopened", "followed_up")
#: The staff assessment's figures (JSON keys), in the order shown.
STAFF_COLUMNS = (
    "name",
    "department",
    "cases_owned",
    "valid_complaints",
    "media_exposures",
    "followups",
    "followup_quota",
    "quota_met",
    "satisfaction",
    "satisfaction_count",
)


def _num(v: Any) -> Any:
    return "-" if v is None else v


#: How many refs a cell names (the JSON has them all).
REFS_SHOWN = 8


def _refs(refs: list[str]) -> str:
    shown = ", ".join(refs[:REFS_SHOWN])
    more = len(refs) - REFS_SHOWN
    return shown + (" " + _("and {count} more").format(count=more) if more > 0 else "")


def _yes(v: bool) -> str:
    return _("yes") if v else _("no")


def title(r: dict[str, Any]) -> str:
    shop = f", {r['shop']}" if r.get("shop") else ""
    if r["period"] == "week":
        t = _("Weekly complaints report {label} ({first} - {last}, {timezone})")
    else:
        t = _("Monthly complaints report {label} ({first} - {last}, {timezone})")
    return (
        t.format(label=r["label"], first=r["first_day"], last=r["last_day"], timezone=r["timezone"])
        + shop
    )


def subtitle(r: dict[str, Any], z: ZoneInfo) -> list[str]:
    complete = _("Figures as at the end of the period ({when}).")
    return report_subtitle(r, z, complete)


def sections(r: dict[str, Any]) -> list[Section]:
    """The report as titled tables, shared by table, markdown, html and xlsx."""
    kinds = _h(
        ["received", "acknowledged", "resolved", "closed", "escalated", "reopened", "followed up"]
    )
    ack, res = r["hours_to_acknowledge"], r["hours_to_resolve"]
    answered, promises, reopen = r["answered_within_target"], r["promises"], r["reopen"]
    sat = r["satisfaction"]
    by = _("Trend by day") if r["period"] == "week" else _("Trend by week")
    return [
        (_("Totals"), kinds, [[r["totals"][k] for k in KINDS]]),
        (
            by,
            [heading("day" if r["period"] == "week" else "week"), *kinds],
            [[t["key"], *(t[k] for k in KINDS)] for t in r["trend"]],
        ),
        (
            _("Hot categories"),
            _h(["category", "received", "share %", "valid", "major", "open"]),
            [
                [
                    label("category", c["category"]),
                    c["received"],
                    _num(c["share_pct"]),
                    c["valid"],
                    c["major"],
                    c["open"],
                ]
                for c in r["categories"]
            ],
        ),
        (
            _("Recurring root causes"),
            _h(["root cause", "cases", "refs"]),
            [[c["root_cause"], c["cases"], _refs(c["refs"])] for c in r["root_causes"]],
        ),
        (
            _("Time to answer and to resolve (hours)"),
            _h(["measure", "median", "p90", "cases"]),
            [
                [_("to answer"), _num(ack["median"]), _num(ack["p90"]), ack["count"]],
                [_("to resolve"), _num(res["median"]), _num(res["p90"]), res["count"]],
            ],
        ),
        (
            _("Promises and reopened cases"),
            _h(["measure", "%", "of", "cases"]),
            [
                [
                    _("answered within the promised time"),
                    _num(answered["pct"]),
                    answered["within"],
                    answered["cases"],
                ],
                [
                    _("call-back promises kept"),
                    _num(promises["kept_pct"]),
                    promises["kept"],
                    promises["kept"] + promises["missed"],
                ],
                [_("reopened"), _num(reopen["pct"]), reopen["reopened"], reopen["cases"]],
            ],
        ),
        (
            _("Satisfaction at follow-up"),
            _h(["mean", "answers", "1", "2", "3", "4", "5"]),
            [
                [
                    _num(sat["mean"]),
                    sat["count"],
                    *(sat["distribution"][str(k)] for k in range(1, 6)),
                ]
            ],
        ),
        (
            _("Staff assessment"),
            _h(
                [
                    "name",
                    "department",
                    "cases owned",
                    "valid complaints",
                    "media exposures",
                    "follow-ups",
                    "quota",
                    "quota met",
                    "satisfaction",
                    "answers",
                ]
            ),
            [
                [
                    s["name"],
                    label("department", s["department"]) or "",
                    s["cases_owned"],
                    s["valid_complaints"],
                    s["media_exposures"],
                    s["followups"],
                    s["followup_quota"],
                    _yes(s["quota_met"]),
                    _num(s["satisfaction"]),
                    s["satisfaction_count"],
                ]
                for s in r["staff"]
            ],
        ),
    ]


def period_text(r: dict[str, Any], fmt: str, z: ZoneInfo) -> str:
    """The report as aligned tables (``table``) or markdown."""
    return sections_text(title(r), subtitle(r, z), sections(r), fmt)


def period_rows(r: dict[str, Any], fmt: str) -> str:
    """One long CSV/TSV table: period, section, key, metric, value (one figure a cell)."""
    p = r["label"]
    rows: list[list[Any]] = [[p, "totals", "", k, v] for k, v in r["totals"].items()]
    for t in r["trend"]:
        rows += [[p, "trend", t["key"], k, t[k]] for k in KINDS]
    for c in r["categories"]:
        for k in ("received", "share_pct", "valid", "major", "open"):
            rows.append([p, "categories", c["category"], k, c[k]])
    for c in r["root_causes"]:
        rows.append([p, "root_causes", c["root_cause"], "cases", c["cases"]])
    for name in ("hours_to_acknowledge", "hours_to_resolve"):
        for k in ("median", "p90", "count"):
            rows.append([p, name, "", k, r[name][k]])
    for name, keys in (
        ("answered_within_target", ("cases", "within", "pct")),
        ("promises", ("kept", "missed", "pending", "kept_pct")),
        ("reopen", ("cases", "reopened", "pct")),
    ):
        rows += [[p, name, "", k, r[name][k]] for k in keys]
    sat = r["satisfaction"]
    rows += [
        [p, "satisfaction", "", "mean", sat["mean"]],
        [p, "satisfaction", "", "count", sat["count"]],
    ]
    rows += [[p, "satisfaction", k, "answers", v] for k, v in sat["distribution"].items()]
    for s in r["staff"]:
        for k in STAFF_COLUMNS[2:]:
            rows.append([p, "staff", s["name"], k, s[k]])
    rows.append([p, "head", "", "position", r["head"]["position"]])
    rows.append([p, "head", "", "hash", r["head"]["hash"] or ""])
    cells = [["" if v is None else v for v in row] for row in rows]
    return delimited(cells, ["period", "section", "key", "metric", "value"], fmt)


def period_html(r: dict[str, Any], z: ZoneInfo) -> str:
    """The report as a mail page (:func:`.sections.sections_html`): whose follow-up quota
    is not met, and what was received, above the sections."""
    missed = [s["name"] for s in r["staff"] if not s["quota_met"]]
    top: list[str] = []
    if missed:
        top.append(
            html_alert(_("Follow-up quota not met: {names}").format(names=", ".join(missed)))
        )
    top.append(html_bars([(t["key"][5:], t["received"]) for t in r["trend"]], _("Received")))
    return sections_html(title(r), subtitle(r, z), top, sections(r)) + "\n"


def period_sheets(r: dict[str, Any], z: ZoneInfo) -> list[tuple[str, list[str], list[list[Any]]]]:
    """A workbook: the report's head (real dates), then one sheet per section."""
    from datetime import date

    from complaintctl.render.xlsx import local_datetime

    about = [
        [_("shop"), r.get("shop") or ""],
        [_("period"), r["label"]],
        [_("first day"), date.fromisoformat(r["first_day"])],
        [_("last day"), date.fromisoformat(r["last_day"])],
        [_("time zone"), r["timezone"]],
        [_("as of"), local_datetime(r["as_of"], z)],
        [_("complete"), _yes(r["complete"])],
        [_("log head position"), r["head"]["position"]],
        [_("log head hash"), r["head"]["hash"] or ""],
    ]
    sheets = [(_("Report"), _h(["field", "value"]), about)]
    for name, headers, rows in sections(r):
        if name in (_("Trend by day"),):
            rows = [[date.fromisoformat(row[0]), *row[1:]] for row in rows]
        sheets.append((name.split(" (")[0], headers, rows))
    return sheets
