"""Reports for managers and cron jobs: ``stats``, ``report daily``, ``handover``."""

from __future__ import annotations

from datetime import datetime

import click

from complaintctl.cli.context import Ctx, pass_ctx
from complaintctl.cli.options import at_option, output_options, time_option
from complaintctl.errors import UsageProblem
from complaintctl.i18n import _
from complaintctl.render import emit_json, safe
from complaintctl.render.deadlines import handover_text
from complaintctl.render.reports import daily_report, overdue_message
from complaintctl.render.rows import emit_delimited, emit_rows, jsonl
from complaintctl.render.stats import STAT_COLUMNS, root_causes_text, stats_flat, stats_rows
from projections.models import BY_KEYS


@click.command("stats")
@time_option("--since", help="Cases received at or after TIME.")
@time_option("--until", help="Cases received before TIME.")
@click.option(
    "--by",
    type=click.Choice(BY_KEYS),
    help="Break down by a key; at-fault: valid complaints per staff member and department; "
    "followups: follow-ups per staff member per week against shop.followup_quota.",
)
@output_options()
@pass_ctx
def stats(obj: Ctx, since: datetime | None, until: datetime | None, by: str | None) -> None:
    """Statistics of the cases received in a period: SLA, escalations, satisfaction, remedies.

    Hours count in calendar or working time as the config's reply.basis says,
    with the clock paused in reply.pause_statuses.

    \b
    Examples:
        complaintctl stats --since 2026-11-01 --until 2026-12-01 --by category
        complaintctl stats --by at-fault --json
    """
    result = obj.models().stats(since, until, by)
    fmt = obj.output
    if fmt == "json":
        emit_json(result)
    elif by == "at-fault":
        emit_rows(result["groups"], ("kind", "key", "valid_complaints"), fmt, obj.zone)
    elif by == "followups":
        columns = ("week", "key", "followups", "quota", "met")
        emit_rows(result["groups"], columns, fmt, obj.zone)
    elif fmt in ("csv", "tsv"):
        flat, flat_columns = stats_flat(result)
        emit_rows(flat, flat_columns, fmt, obj.zone)
    else:
        emit_rows(stats_rows(result), [h for h, _k in STAT_COLUMNS], fmt, obj.zone)
        causes = root_causes_text(result) if fmt == "table" else None
        if causes:
            click.echo(causes)


@click.group("report")
def report() -> None:
    """Reports for managers and cron jobs.

    \b
    Example:
        complaintctl report daily --format html > today.html
    """


@report.command("daily")
@click.option(
    "--date",
    "day",
    help="The day (YYYY-MM-DD, today, yesterday; in the shop's zone; default today). "
    "A past day gives its figures as they stood at its end.",
)
@output_options(extra=("html", "xlsx"), aliases={"text": "table"})
@click.option(
    "--fail-on-overdue", is_flag=True, help="Exit 8 when any case is overdue (cron; CLI.md)."
)
@pass_ctx
def daily(obj: Ctx, day: str | None, fail_on_overdue: bool) -> None:
    """The daily report (日报表) and the cases behind it: received, answered, resolved,
    closed, overdue and escalated cases by category and channel; the overdue cases
    (who, what was promised, how late); call-backs promised for tomorrow;
    follow-ups due; major and consumer-association/regulator/media cases;
    active group complaints; escalations; remedies granted per currency; the
    open backlog by age; a seven-day trend; and the log's head (position and
    hash: an anchor `verify` can check the log against later).

    Everything is as of the end of the day (by the events' own time), or now
    for today, so a past day's report is the same however often it is run.

    \b
    Examples:
        complaintctl report daily
        complaintctl report daily --date yesterday --format html > report.html
        complaintctl report daily --fail-on-overdue --format markdown || mail-alert
    """
    from complaintctl.errors import ATTENTION
    from complaintctl.timeparse import parse_day

    rm = obj.models()
    today = rm.now().astimezone(obj.zone).date()
    try:
        the_day = today if day is None else parse_day(day, today)
    except ValueError as e:
        raise UsageProblem(f"--date: {e}") from None
    r = {"shop": obj.config().shop_name, **rm.report_daily(the_day)}
    if obj.output == "json":
        emit_json(r)
    elif obj.output == "jsonl":
        click.echo(jsonl([r]), nl=False)
    elif obj.output in ("csv", "tsv"):
        emit_delimited(daily_report(r, obj.output, obj.zone))
    elif obj.output == "xlsx":
        from complaintctl.render.reports import report_sheets
        from complaintctl.render.xlsx import emit_workbook

        emit_workbook(report_sheets(r, obj.zone))
    else:
        click.echo(daily_report(r, obj.output, obj.zone), nl=False)
    if fail_on_overdue and r["overdue"]:
        click.echo(overdue_message(r["overdue"]), err=True)
        raise click.exceptions.Exit(ATTENTION)


def _period(obj: Ctx, kind: str, text: str | None) -> None:
    """``report weekly`` / ``report monthly``: parse the period, fold, render."""
    from complaintctl.render import periods as render
    from projections.periods import parse_month, parse_week

    rm = obj.models()
    today = rm.now().astimezone(obj.zone).date()
    parse, option, default = (
        (parse_week, "--week", "this") if kind == "week" else (parse_month, "--month", "this")
    )
    try:
        first = parse(text or default, today)
    except ValueError as e:
        raise UsageProblem(f"{option}: {e}") from None
    r = {"shop": obj.config().shop_name, **rm.report_period(kind, first)}
    if obj.output == "json":
        emit_json(r)
    elif obj.output == "jsonl":
        click.echo(jsonl([r]), nl=False)
    elif obj.output in ("csv", "tsv"):
        emit_delimited(render.period_rows(r, obj.output))
    elif obj.output == "xlsx":
        from complaintctl.render.xlsx import emit_workbook

        emit_workbook(render.period_sheets(r, obj.zone))
    elif obj.output == "html":
        click.echo(render.period_html(r, obj.zone), nl=False)
    else:
        click.echo(render.period_text(r, obj.output, obj.zone))


@report.command("weekly")
@click.option(
    "--week",
    help="The ISO week (YYYY-Www, this, last; in the shop's zone; default this week). "
    "A past week gives its figures as they stood at its end.",
)
@output_options(extra=("html", "xlsx"), aliases={"text": "table"})
@pass_ctx
def weekly(obj: Ctx, week: str | None) -> None:
    """The weekly report: the trend by day, hot categories, recurring root causes, time to
    answer and to resolve (median, p90), the share answered within the promised time,
    the reopen rate, satisfaction at follow-up, and the staff assessment (考核): per
    person the valid complaints they caused, media exposures, follow-ups against the
    weekly quota (shop.followup_quota) and the satisfaction of their cases.

    Cases count in the week they were received; follow-ups in the week they were
    done. Everything is as of the end of the week (by the events' own time), or now
    for this week, so a past week's report is the same however often it is run.

    \b
    Examples:
        complaintctl report weekly
        complaintctl report weekly --week last --format html > week.html
        complaintctl report weekly --week 2026-W47 --format xlsx > week.xlsx
    """
    _period(obj, "week", week)


@report.command("monthly")
@click.option(
    "--month",
    help="The month (YYYY-MM, this, last; in the shop's zone; default this month). "
    "A past month gives its figures as they stood at its end.",
)
@output_options(extra=("html", "xlsx"), aliases={"text": "table"})
@pass_ctx
def monthly(obj: Ctx, month: str | None) -> None:
    """The monthly report: as the weekly one, with the trend by ISO week and a follow-up
    quota of four weeks (shop.followup_quota times 4).

    \b
    Examples:
        complaintctl report monthly --month last
        complaintctl report monthly --month 2026-11 --format csv --encoding utf-8-sig > nov.csv
    """
    _period(obj, "month", month)


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
@output_options()
@at_option
@pass_ctx
def handover(obj: Ctx, shift: str, record: bool, note: str | None, accept: str | None) -> None:
    """Shift handover (交接班): open cases by owner, promised call-backs and follow-ups due
    in the shift, and overdue items. --record records the handover (with --at: the
    items as they stood then); the incoming shift confirms it with --accept.

    \b
    Examples:
        complaintctl handover --shift night
        complaintctl --actor 张伟 handover --shift night --record --note "王先生今晚回电"
        complaintctl --actor 李娜 handover --shift night --accept
    """
    from complaintctl import shifts
    from events.businesstime import stated

    if stated() is not None and not record and accept is None:
        raise UsageProblem(_("--at needs --record or --accept (when that really happened)"))
    if accept is not None:
        result = shifts.accept(obj.app(), obj.models(), shift, accept, obj.actor)
        done = _("handover {id} of {shift} accepted by {actor}")
        obj.emit(result, safe(done.format(id=result["id"], shift=shift, actor=obj.actor)))
        return
    h = shifts.handover(obj.app(), obj.models(), shift, obj.actor, record=record, note=note)
    if obj.output == "json":
        emit_json(h)
        return
    if obj.output == "table":
        click.echo(handover_text(h, obj.zone))
    else:
        from projections.models import handover_items

        emit_rows(handover_items(h), ("kind", "ref", "owner", "due"), obj.output, obj.zone)
    if "recorded" in h:
        done = _("recorded handover {id}").format(id=h["recorded"]["id"])
        click.echo(safe("\n" + done), err=True)
