"""The reading commands: each parses, asks one read model, and renders.

The read models live in :mod:`projections.models`; every command catches the
cache up from its checkpoint first (cost proportional to the new events).
Lists take ``--format table|csv|jsonl|markdown`` (and ``--json``: one JSON
document); times are shown in the shop's time zone and given in JSON as
stored (ISO 8601, UTC for the store's own times).
"""

from __future__ import annotations

import csv
import html
import io
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date, datetime
from typing import Any

import click
import orjson
from tabulate import tabulate

from complaintctl import render
from complaintctl.cli import Ctx, json_option, pass_ctx
from complaintctl.errors import NotFound, UsageProblem
from complaintctl.keyring import refresh_after_forgets
from events.complaint import STATUSES
from events.handovers import HandoverNotFound, accept_handover, record_handover
from projections.case import OPEN, public
from projections.models import BY_KEYS, CustomerNotFound, Filters, ReadModels, handover_items

LIST_FORMATS = ("table", "csv", "jsonl", "markdown")
#: The columns of a case in lists (``--format csv`` and tables).
CASE_COLUMNS = (
    "ref",
    "status",
    "received_at",
    "customer",
    "contact",
    "channel",
    "category",
    "severity",
    "owner",
    "tier",
)


def models(obj: Ctx) -> ReadModels:
    """The read models of the store (opened once per command, closed with it)."""
    app = obj.app()
    cfg = obj.config()
    rm = ReadModels(app, obj.store, cfg.policy, cfg.read, clock=app.clock)
    click.get_current_context().call_on_close(rm.close)
    refresh_after_forgets(app.keyring, obj.store, rm.rebuild)  # forgotten on another desk
    return rm


def format_option(f: Callable[..., Any]) -> Callable[..., Any]:
    return click.option(
        "--format",
        "fmt",
        type=click.Choice(LIST_FORMATS),
        default="table",
        show_default=True,
        help="Output form of the list (--json: one JSON document).",
    )(f)


def _cell(value: Any, key: str, obj: Ctx) -> Any:
    if key.endswith("_at") or key in ("due", "reply_by"):
        return render.local_time(value, obj.zone) if value else ""
    if isinstance(value, list):
        return "; ".join(str(v) for v in value)
    return "" if value is None else value


def emit_rows(
    obj: Ctx, rows: list[dict[str, Any]], columns: tuple[str, ...] | list[str], fmt: str
) -> None:
    """One list in the form asked for; JSON gives the whole objects, the rest the columns."""
    if obj.json:
        render.emit_json(rows)
    elif fmt == "jsonl":
        out = sys.stdout
        for r in rows:
            click.echo(render.json_safe(orjson.dumps(r).decode()), file=out)
    elif fmt == "csv":
        buf = io.StringIO()
        w = csv.writer(buf, lineterminator="\n")
        w.writerow(columns)
        for r in rows:
            w.writerow([_csv_cell(r.get(c)) for c in columns])
        click.echo(buf.getvalue(), nl=False)
    elif fmt == "markdown":
        cells = [[render.safe(_cell(r.get(c), c, obj)) for c in columns] for r in rows]
        click.echo(tabulate(cells, headers=list(columns), tablefmt="github", disable_numparse=True))
    else:
        if not rows:
            click.echo("(none)")
            return
        click.echo(
            render.table([[_cell(r.get(c), c, obj) for c in columns] for r in rows], list(columns))
        )


def _csv_cell(value: Any) -> Any:
    """A spreadsheet-safe cell: lists joined, and no formula injection from user text."""
    if isinstance(value, list):
        value = "; ".join(str(v) for v in value)
    if value is None:
        return ""
    if isinstance(value, str):
        value = render.safe(value, multiline=True)  # no raw terminal escapes in the file
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@") and not _is_number(value):
        return "'" + value
    return value


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


# -- show --as-of (called from the show command of complaintctl.cli) -------------------


def show_as_of(obj: Ctx, ref: str, as_of: str) -> None:
    """``show REF --as-of TIME``: the case folded from its events up to TIME."""
    at = obj.time(as_of, "--as-of")
    assert at is not None
    case = public(models(obj).case_as_of(ref, at))
    case["as_of"] = at.isoformat()
    if obj.json:
        render.emit_json(case)
    else:
        click.echo(render.safe(f"as of {render.local_time(at.isoformat(), obj.zone)}"))
        click.echo(render.case_text(case, obj.zone))


# -- the SLA clock of one case -----------------------------------------------------------


@click.command("sla")
@click.argument("ref")
@click.option("--as-of", "as_of", help="The clock as it stood at TIME.")
@json_option
@pass_ctx
def sla_cmd(obj: Ctx, ref: str, as_of: str | None) -> None:
    """The SLA clock of one case: time to acknowledge and to resolve, each promised reply
    kept or missed, the deadlines still open, and the time paused waiting on the customer.

    Hours count on the config's reply.basis clock (calendar or working days,
    with holidays), paused in reply.pause_statuses.

    \b
    Example:
        complaintctl sla C-2026-00001
        complaintctl sla C-2026-00001 --as-of 2026-11-20T18:00 --json
    """
    c = models(obj).clock_of(ref, obj.time(as_of, "--as-of"))
    if obj.json:
        render.emit_json(c)
        return
    z = obj.zone

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
        rows.append(["reply promised by", f"{render.local_time(p['reply_by'], z)}: {p['state']}"])
    for d in c["deadlines"]:
        late = " OVERDUE" if d["overdue"] else ""
        rows.append([f"{d['kind']} due", render.local_time(d["due"], z) + late])
    if c["followup_due"]:
        rows.append(["follow-up due", render.local_time(c["followup_due"], z)])
    click.echo(render.table(rows))


# -- list -----------------------------------------------------------------------------


# Bounds that keep numbers inside what SQLite (64-bit LIMIT) and datetime can take.
MAX_LIMIT = 1_000_000_000
MAX_HOURS = 24 * 366 * 100  # a century


@click.command("list")
@click.option(
    "--status",
    multiple=True,
    type=click.Choice((*STATUSES, "open")),
    help="Only cases in this status (repeatable; 'open' = not yet resolved).",
)
@click.option("--owner", help="Only cases of this owner.")
@click.option("--category", help="Only this category.")
@click.option("--severity", type=click.Choice(["general", "major"]), help="Only this severity.")
@click.option("--overdue", is_flag=True, help="Only open cases past a deadline.")
@click.option("--since", help="Received at or after TIME.")
@click.option("--until", help="Received before TIME.")
@click.option("--customer", help="Only cases of this customer (name or contact, exact).")
@click.option("--group", help="Only cases of this group complaint.")
@click.option("--limit", type=click.IntRange(1, MAX_LIMIT), help="At most N cases, newest first.")
@click.option("--as-of", "as_of", help="The cases as they were at TIME (folds the whole log).")
@format_option
@json_option
@pass_ctx
def list_cmd(
    obj: Ctx,
    status: tuple[str, ...],
    owner: str | None,
    category: str | None,
    severity: str | None,
    overdue: bool,
    since: str | None,
    until: str | None,
    customer: str | None,
    group: str | None,
    limit: int | None,
    as_of: str | None,
    fmt: str,
) -> None:
    """List cases with filters (oldest first; with --limit, the newest N).

    \b
    Examples:
        complaintctl list --status open --limit 20
        complaintctl list --owner 张伟 --overdue --format csv > overdue.csv
        complaintctl list --status open --as-of 2026-11-01 --json
    """
    if group is not None and len(group) > MAX_QUERY:  # a LIKE pattern: SQLite's limit
        raise UsageProblem(f"--group is too long (at most {MAX_QUERY} characters)")
    statuses: list[str] = []
    for s in status:
        statuses.extend(OPEN if s == "open" else (s,))
    filters = Filters(
        status=tuple(dict.fromkeys(statuses)),
        owner=owner,
        category=category,
        severity=severity,
        overdue=overdue,
        since=obj.time(since, "--since"),
        until=obj.time(until, "--until"),
        customer=customer,
        group=group,
    )
    at = obj.time(as_of, "--as-of")
    cases = [public(c) for c in models(obj).find(filters, limit, at)]
    emit_rows(obj, cases, CASE_COLUMNS, fmt)


# -- customer -----------------------------------------------------------------------


MAX_QUERY = 1000  # characters: a name, a phone number, an address


@click.command("customer")
@click.argument("query")
@format_option
@json_option
@pass_ctx
def customer_cmd(obj: Ctx, query: str, fmt: str) -> None:
    """Every case of a customer, by name or contact (exact, else a part), with a repeat flag.

    \b
    Example:
        complaintctl customer 13800000000
        complaintctl customer 王先生 --json
    """
    if len(query) > MAX_QUERY:  # SQLite refuses LIKE patterns over 50,000 bytes (exit 1)
        raise UsageProblem(f"the query is too long (at most {MAX_QUERY} characters)")
    try:
        result = models(obj).customer(query)
    except CustomerNotFound:
        raise NotFound(f"no customer matches {query!r}") from None
    if obj.json:
        render.emit_json(result)
        return
    if fmt == "table":
        for c in result["customers"]:
            flag = " REPEAT COMPLAINANT" if c["repeat"] else ""
            click.echo(
                render.safe(
                    f"{'/'.join(c['names'])} <{c['contact']}>: {c['cases']} case(s),"
                    f" {c['open']} open{flag}"
                )
            )
    emit_rows(obj, result["cases"], CASE_COLUMNS, fmt)


# -- deadlines ------------------------------------------------------------------------

_DUE_COLUMNS = ("ref", "deadline", "due", "hours", "status", "owner", "customer", "severity")


@click.command("overdue")
@click.option(
    "--within",
    type=click.IntRange(0, MAX_HOURS),
    help="Also list cases due within N hours (default: the config's shop.due_soon_hours, 24).",
)
@format_option
@json_option
@pass_ctx
def overdue_cmd(obj: Ctx, within: int | None, fmt: str) -> None:
    """Open cases past a deadline (acknowledge, promised reply, resolve, regulatory decision),
    then those due within N hours. ``hours`` is how long past due (negative: still to go).

    \b
    Example:
        complaintctl overdue --within 8
    """
    result = models(obj).overdue(within)
    if obj.json:
        render.emit_json(result)
        return
    rows = result["overdue"] + result["due_soon"]
    emit_rows(obj, rows, _DUE_COLUMNS, fmt)


@click.command("followups")
@click.option(
    "--within", type=click.IntRange(0, MAX_HOURS), default=0, help="Also those due within N hours."
)
@format_option
@json_option
@pass_ctx
def followups_cmd(obj: Ctx, within: int, fmt: str) -> None:
    """Follow-up calls due (回访): resolved or closed cases not called since resolution.

    A follow-up falls due shop.followup_days (default 3) after the resolution.

    \b
    Example:
        complaintctl followups --within 24 --format csv
    """
    rows = models(obj).followups(within)
    emit_rows(obj, rows, ("ref", "due", "status", "owner", "customer", "contact"), fmt)


# -- statistics -------------------------------------------------------------------------

_STAT_COLUMNS = (
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


def _stat_cell(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, dict) and "median" in value:
        return f"{_stat_cell(value['median'])}/{_stat_cell(value['p90'])}"
    if isinstance(value, dict) and "mean" in value:
        return f"{_stat_cell(value['mean'])} (n={value['count']})"
    if isinstance(value, dict) and "count" in value and "total" in value:
        totals = ", ".join(f"{v} {k}" for k, v in value["total"].items())
        return f"{value['count']}" + (f" ({totals})" if totals else "")
    if isinstance(value, dict):
        return ", ".join(f"{k}: {v}" for k, v in value.items()) or "-"
    return str(value)


@click.command("stats")
@click.option("--since", help="Cases received at or after TIME.")
@click.option("--until", help="Cases received before TIME.")
@click.option(
    "--by",
    type=click.Choice(BY_KEYS),
    help="Break down by a key; at-fault: valid complaints per staff member and department; "
    "followups: follow-ups per staff member per week against shop.followup_quota.",
)
@format_option
@json_option
@pass_ctx
def stats_cmd(obj: Ctx, since: str | None, until: str | None, by: str | None, fmt: str) -> None:
    """Statistics of the cases received in a period: SLA, escalations, satisfaction, remedies.

    Hours count in calendar or working time as the config's reply.basis says,
    with the clock paused in reply.pause_statuses.

    \b
    Examples:
        complaintctl stats --since 2026-11-01 --until 2026-12-01 --by category
        complaintctl stats --by at-fault --json
    """
    result = models(obj).stats(obj.time(since, "--since"), obj.time(until, "--until"), by)
    if obj.json:
        render.emit_json(result)
        return
    if by in ("at-fault", "followups"):
        rows = result["groups"]
        cols = (
            ("kind", "key", "valid_complaints")
            if by == "at-fault"
            else ("week", "key", "followups", "quota", "met")
        )
        emit_rows(obj, rows, cols, fmt)
        return
    groups = [{"key": "(all)", **result["total"]}, *result.get("groups", [])]
    rows = [{h: _stat_cell(g.get(k)) for h, k in _STAT_COLUMNS} for g in groups]
    emit_rows(obj, rows, [h for h, _k in _STAT_COLUMNS], fmt)
    if fmt == "table":
        causes = result["total"]["top_root_causes"]
        if causes:
            click.echo("\nTop root causes")
            click.echo(render.table([[c["root_cause"], c["cases"]] for c in causes]))


# -- group ------------------------------------------------------------------------------


@click.command("group")
@click.argument("name")
@format_option
@json_option
@pass_ctx
def group_cmd(obj: Ctx, name: str, fmt: str) -> None:
    """A group complaint (群体性投诉): members, their statuses, remedies granted.

    \b
    Example:
        complaintctl group "11月运输破损"
    """
    g = models(obj).group(name)
    if obj.json:
        render.emit_json(g)
        return
    if fmt == "table":
        statuses = ", ".join(f"{k} {v}" for k, v in g["statuses"].items())
        remedies = _stat_cell(g["remedies_granted"])
        click.echo(
            render.safe(
                f"group {g['name']}: {len(g['members'])} case(s), {g['open']} open;"
                f" {statuses}; remedies {remedies}"
            )
        )
    emit_rows(obj, g["members"], ("ref", "customer", "status", "owner", "remedies"), fmt)


# -- the daily report ---------------------------------------------------------------------

REPORT_FORMATS = ("text", "markdown", "json", "csv", "html")
_KINDS = ("received", "acknowledged", "resolved", "closed", "overdue", "escalated", "reopened")


def _report_tables(r: dict[str, Any]) -> list[tuple[str, list[str], list[list[Any]]]]:
    """The report as titled tables, shared by text, markdown, csv and html."""
    kinds = list(_KINDS)
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


def report_text(r: dict[str, Any], fmt: str) -> str:
    title = f"Daily complaints report {r['date']} ({r['timezone']})"
    parts = [f"# {title}" if fmt == "markdown" else title]
    for name, headers, rows in _report_tables(r):
        parts.append(f"\n## {name}" if fmt == "markdown" else f"\n{name}")
        if fmt == "markdown":
            cells = [[render.safe(c) for c in row] for row in rows]
            parts.append(tabulate(cells, headers=headers, tablefmt="github", disable_numparse=True))
        else:
            parts.append(render.table(rows, headers) if rows else "(none)")
    return "\n".join(parts)


def report_csv(r: dict[str, Any]) -> str:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(["date", "section", "key", "metric", "value"])
    for k, v in r["totals"].items():
        w.writerow([r["date"], "totals", "", k, v])
    for section in ("by_category", "by_channel"):
        for g in r[section]:
            for k in _KINDS:
                w.writerow([r["date"], section, _csv_cell(g["key"]), k, g[k]])
    for b in r["backlog"]["by_age"]:
        w.writerow([r["date"], "backlog", b["age"], "open", b["cases"]])
    for o in r["overdue_by_owner"]:
        w.writerow([r["date"], "overdue_by_owner", _csv_cell(o["owner"]), "overdue", o["cases"]])
    w.writerow([r["date"], "followups", "", "due", r["followups_due"]])
    return buf.getvalue()


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
            f'<text x="0" y="{y + 13}" font-size="12">{html.escape(label)}</text>'
            f'<rect x="{label_w}" y="{y}" width="{w}" height="{bar_h}" fill="#3b6ea5"/>'
            f'<text x="{label_w + w + 4}" y="{y + 13}" font-size="12">{value}</text>'
        )
    out.append("</svg>")
    return "".join(out)


def report_html(r: dict[str, Any]) -> str:
    """A mail-friendly page: inline styles, inline SVG charts, user text escaped."""
    esc = html.escape
    title = f"Daily complaints report {r['date']} ({r['timezone']})"
    cell = 'style="border:1px solid #ccc;padding:3px 8px"'
    parts = [
        "<!DOCTYPE html>",
        '<html lang="zh"><head><meta charset="utf-8">',
        f"<title>{esc(title)}</title></head>",
        "<body style=\"font-family:Arial,'Microsoft YaHei',sans-serif;color:#222\">",
        f'<h1 style="font-size:20px">{esc(title)}</h1>',
        _svg_bars([(k, r["totals"][k]) for k in _KINDS], "The day"),
        _svg_bars([(b["age"], b["cases"]) for b in r["backlog"]["by_age"]], "Open backlog by age"),
    ]
    for name, headers, rows in _report_tables(r):
        parts.append(f'<h2 style="font-size:16px">{esc(name)}</h2>')
        if not rows:
            parts.append("<p>(none)</p>")
            continue
        parts.append('<table style="border-collapse:collapse">')
        parts.append("<tr>" + "".join(f"<th {cell}>{esc(str(h))}</th>" for h in headers) + "</tr>")
        for row in rows:
            parts.append("<tr>" + "".join(f"<td {cell}>{esc(str(c))}</td>" for c in row) + "</tr>")
        parts.append("</table>")
    parts.append("</body></html>")
    return "\n".join(parts)


@click.group("report")
def report_group() -> None:
    """Reports for managers and cron jobs.

    \b
    Example:
        complaintctl report daily --format html > today.html
    """


@report_group.command("daily")
@click.option("--date", "day", help="The day (YYYY-MM-DD, in the shop's zone; default today).")
@click.option(
    "--format", "fmt", type=click.Choice(REPORT_FORMATS), default="text", show_default=True
)
@click.option("--fail-on-overdue", is_flag=True, help="Exit 1 when any case is overdue (cron).")
@json_option
@pass_ctx
def report_daily_cmd(obj: Ctx, day: str | None, fmt: str, fail_on_overdue: bool) -> None:
    """The daily report (日报表): received, answered, resolved, closed, overdue and
    escalated cases by category and channel; the open backlog by age; overdue
    cases by owner; follow-ups due.

    \b
    Examples:
        complaintctl report daily
        complaintctl report daily --date 2026-11-23 --format html > report.html
        complaintctl report daily --fail-on-overdue --format markdown || mail-alert
    """
    rm = models(obj)
    if day is None:
        the_day = rm.now().astimezone(obj.zone).date()
    else:
        try:
            the_day = date.fromisoformat(day)
        except ValueError:
            raise UsageProblem(f"--date: not a day: {day!r} (use YYYY-MM-DD)") from None
    r = rm.report_daily(the_day)
    if obj.json or fmt == "json":
        render.emit_json(r)
    elif fmt == "csv":
        click.echo(report_csv(r), nl=False)
    elif fmt == "html":
        click.echo(report_html(r))
    else:
        click.echo(report_text(r, fmt))
    if fail_on_overdue and r["overdue"]:
        click.echo(f"{r['overdue']} case(s) overdue", err=True)
        raise click.exceptions.Exit(1)


# -- shift handover ----------------------------------------------------------------------


@click.command("handover")
@click.option("--shift", required=True, help="The incoming shift (a name of shop.shifts).")
@click.option("--record", is_flag=True, help="Record the handover (an event) with these items.")
@click.option("--note", help="A note for the incoming shift (with --record).")
@click.option(
    "--accept",
    "accept",
    is_flag=False,
    flag_value="latest",
    default=None,
    help="Accept a handover as the incoming shift (its id; alone: the latest pending).",
)
@json_option
@pass_ctx
def handover_cmd(obj: Ctx, shift: str, record: bool, note: str | None, accept: str | None) -> None:
    """Shift handover (交接班): open cases by owner, promised call-backs and follow-ups due
    in the shift, and overdue items. --record records the handover; the incoming
    shift confirms it with --accept.

    \b
    Examples:
        complaintctl handover --shift night
        complaintctl --actor 张伟 handover --shift night --record --note "王先生今晚回电"
        complaintctl --actor 李娜 handover --shift night --accept
    """
    rm = models(obj)
    if accept is not None:
        hid = rm.pending_handover(shift) if accept == "latest" else accept
        if hid is None:
            raise NotFound(f"no handover of shift {shift!r} waits for acceptance")
        try:
            result = accept_handover(obj.app(), hid, obj.actor)
        except HandoverNotFound:
            raise NotFound(f"no handover {hid}") from None
        if obj.json:
            render.emit_json(result)
        else:
            click.echo(render.safe(f"handover {result['id']} of {shift} accepted by {obj.actor}"))
        return
    try:
        h = rm.handover(shift)
    except KeyError:
        known = ", ".join(rm.settings.shifts)
        raise UsageProblem(f"unknown shift {shift!r}; the config knows: {known}") from None
    if record:
        items = handover_items(h)
        h["recorded"] = record_handover(obj.app(), shift, obj.actor, items, note)
    if obj.json:
        render.emit_json(h)
        return
    z = obj.zone
    click.echo(
        render.safe(
            f"Handover to shift {shift}: {render.local_time(h['start'], z)}"
            f" - {render.local_time(h['end'], z)}"
        )
    )
    click.echo("\nOpen cases by owner")
    rows = [
        [
            o["owner"],
            len(o["cases"]),
            ", ".join(c["ref"] for c in o["cases"][:12]) + (" ..." if len(o["cases"]) > 12 else ""),
        ]
        for o in h["open_by_owner"]
    ]
    click.echo(render.table(rows, ["owner", "open", "cases"]) if rows else "(none)")
    click.echo("\nPromised call-backs due in the shift")
    rows = [
        [
            c["ref"],
            render.local_time(c["reply_by"], z),
            c["owner"],
            c["customer"],
            c["contact"],
            "LATE" if c["late"] else "",
        ]
        for c in h["callbacks"]
    ]
    click.echo(
        render.table(rows, ["ref", "reply by", "owner", "customer", "contact", ""])
        if rows
        else "(none)"
    )
    click.echo("\nFollow-ups due in the shift")
    rows = [
        [f["ref"], render.local_time(f["due"], z), f["owner"], f["customer"], f["contact"]]
        for f in h["followups_due"]
    ]
    click.echo(
        render.table(rows, ["ref", "due", "owner", "customer", "contact"]) if rows else "(none)"
    )
    click.echo("\nOverdue")
    rows = [[o["ref"], o["owner"], ", ".join(o["kinds"])] for o in h["overdue"]]
    click.echo(render.table(rows, ["ref", "owner", "deadlines passed"]) if rows else "(none)")
    if "recorded" in h:
        click.echo(render.safe(f"\nrecorded handover {h['recorded']['id']}"), err=True)


# -- the raw log, rebuild -------------------------------------------------------------------


@click.command("log")
@click.option("--since", help="Events recorded at or after TIME.")
@click.option("--until", help="Events recorded before TIME.")
@json_option
@pass_ctx
def log_cmd(obj: Ctx, since: str | None, until: str | None) -> None:
    """The raw event stream for auditors: JSON Lines, oldest first, each with its hash.

    On the file store ``hash`` is the line's chain hash in events.jsonl (check
    it with `complaintctl verify` or docs/storage.md); other backends give a
    SHA-256 chain computed over the notifications (docs/projections.md).

    \b
    Example:
        complaintctl log --since 2026-11-01 --until 2026-12-01 > november.jsonl
    """
    events = models(obj).log(obj.time(since, "--since"), obj.time(until, "--until"))
    if obj.json:
        render.emit_json(list(events))
        return
    out = sys.stdout
    write = out.write
    for e in events:
        write(render.json_safe(orjson.dumps(e).decode()) + "\n")
    out.flush()


@contextmanager
def _progress(label: str) -> Iterator[Callable[[int, int], None] | None]:
    """A progress bar on a terminal (stderr) only; cron and pipes get silence."""
    if not sys.stderr.isatty():
        yield None
        return
    state: dict[str, Any] = {}

    def update(position: int, total: int) -> None:
        bar = state.get("bar")
        if bar is None:
            bar = click.progressbar(length=max(total, 1), label=label, file=sys.stderr)
            bar.__enter__()
            state["bar"] = bar
        bar.update(position - state.get("at", 0))
        state["at"] = position

    try:
        yield update
    finally:
        if "bar" in state:
            state["bar"].__exit__(None, None, None)


@click.command("rebuild")
@json_option
@pass_ctx
def rebuild_cmd(obj: Ctx) -> None:
    """Rebuild every read model from the first event (the cache under <store>/cache/).

    Never needed for correctness (reading commands catch up by themselves);
    useful after a config change or to check that the cache is sound.

    \b
    Example:
        complaintctl rebuild
    """
    rm = models(obj)
    started = datetime.now()
    with _progress("rebuilding read models") as progress:
        result = rm.rebuild(progress)
    result["seconds"] = round((datetime.now() - started).total_seconds(), 2)
    if obj.json:
        render.emit_json(result)
    else:
        click.echo(
            f"rebuilt: {result['events']} events, {result['cases']} cases,"
            f" position {result['position']} ({result['seconds']} s)"
        )


def register(group: click.Group) -> None:
    """Add the reading commands to the main group (``show --as-of`` is wired in ``show``)."""
    for cmd in (
        sla_cmd,
        list_cmd,
        customer_cmd,
        overdue_cmd,
        followups_cmd,
        stats_cmd,
        group_cmd,
        report_group,
        handover_cmd,
        log_cmd,
        rebuild_cmd,
    ):
        group.add_command(cmd)
