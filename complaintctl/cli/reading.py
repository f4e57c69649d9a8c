"""The reading commands: each parses, asks one read model, and renders.

The read models live in :mod:`projections.models`; every command catches the
cache up from its checkpoint first (cost proportional to the new events).
Every one takes ``--format table|json|jsonl|csv|tsv|markdown`` (``--json``
is ``--format json``); times are shown in the shop's time zone and given in
JSON as stored (ISO 8601, UTC for the store's own times).
"""

from __future__ import annotations

import sys
from datetime import datetime
from typing import Any

import click
import orjson

from complaintctl.cli.context import Ctx, pass_ctx
from complaintctl.cli.options import output_options, time_option
from complaintctl.errors import NotFound, UsageProblem
from complaintctl.i18n import _
from complaintctl.render import emit_json, json_safe, local_time, safe
from complaintctl.render.fields import CASE_COLUMNS, EVENT_COLUMNS
from complaintctl.render.rows import (
    STREAMED,
    emit_rows,
    field_rows,
    flat_data,
    jsonl,
    stream_rows,
)
from events.lifecycle import REMEDY_STATES, STATUSES


def with_flags(
    cases: list[dict[str, Any]], columns: tuple[str, ...], fmt: str
) -> tuple[list[dict[str, Any]], tuple[str, ...]]:
    """Rows of a list for people: a ``flag`` column when a case waits for a supervisor.

    JSON keeps the case objects as ``show --json`` gives them (``supervisor_flag``).
    """
    if fmt in ("json", "jsonl") or not any(c.get("supervisor_flag") for c in cases):
        return cases, columns
    return [flag_row(c) for c in cases], (*columns, "flag")


def flag_row(case: dict[str, Any]) -> dict[str, Any]:
    """A case's row with its ``flag`` cell (``supervisor: <reason>``, or None)."""
    f = case.get("supervisor_flag")
    return {**case, "flag": f"supervisor: {f['reason']}" if f else None}


# Bounds that keep numbers inside what SQLite (64-bit LIMIT) and datetime can take.
MAX_LIMIT = 1_000_000_000
MAX_HOURS = 24 * 366 * 100  # a century
MAX_QUERY = 1000  # characters: a name, a phone number, an address


@click.command("show")
@click.argument("ref")
@time_option(
    "--as-of", "as_of", help="The case as it was at TIME (business time: when things happened)."
)
@time_option(
    "--as-recorded",
    "as_recorded",
    help="The case as the store held it at TIME (recorded time; for auditors).",
)
@output_options(extra=("html",))
@pass_ctx
def show(obj: Ctx, ref: str, as_of: datetime | None, as_recorded: datetime | None) -> None:
    """Show one case: its fields, proposals, attachments, follow-ups and notes.

    --as-of folds the events that had happened by TIME (their business time,
    --at of the writing command); --as-recorded those the store had recorded
    by TIME, leaving out what was typed in later with an earlier --at.
    --format html is the case file for the archive or a regulator: the whole
    history (both times where they differ), the remedies, the outside
    parties and the attachments with their SHA-256, to mail or print on A4.

    \b
    Examples:
        complaintctl show c-2026-00001 --json
        complaintctl show C-2026-00001 --as-of 2026-11-20T18:00
        complaintctl show C-2026-00001 --as-recorded 2026-11-21T09:00
        complaintctl show C-2026-00001 --format html > C-2026-00001.html
    """
    if as_of is not None and as_recorded is not None:
        raise UsageProblem(_("--as-of and --as-recorded ask different questions: give one"))
    # The events a person reads besides the case (escalations, resolutions), cut as the case is.
    seen: list[tuple[str, dict[str, Any]]] | None = [] if obj.output == "table" else None
    if as_of is None and as_recorded is None:
        case = obj.case_of(ref, seen)
    else:
        from projections.case import public

        if as_of is not None:
            case = public(obj.models().case_as_of(ref, as_of, seen))
            case["as_of"] = as_of.isoformat()
        else:
            assert as_recorded is not None
            case = public(obj.models().case_as_recorded(ref, as_recorded, seen))
            case["as_recorded"] = as_recorded.isoformat()
    fmt = obj.output
    if fmt == "json":
        emit_json(case)
    elif fmt == "jsonl":
        click.echo(jsonl([case]), nl=False)
    elif fmt == "table":
        from complaintctl.render import page
        from complaintctl.render.case import case_text  # not loaded by show --json

        lines = []
        if as_of is not None:
            when = local_time(as_of.isoformat(), obj.zone)
            lines.append(safe(_("as of {when}").format(when=when)))
        if as_recorded is not None:
            when = local_time(as_recorded.isoformat(), obj.zone)
            lines.append(safe(_("as recorded by {when}").format(when=when)))
        page("\n".join([*lines, case_text(case, obj.zone, seen)]))
    elif fmt == "html":
        from complaintctl.render.casefile import case_html

        events = obj.models().history(case["ref"])
        if as_of is not None:
            events = [e for e in events if _before(e["occurred_at"] or e["recorded_at"], as_of)]
        if as_recorded is not None:
            events = [e for e in events if _before(e["recorded_at"], as_recorded)]
        click.echo(case_html(case, events, obj.zone, shop=obj.config().shop_name))
    else:
        from complaintctl.render.case import case_fields

        emit_rows(field_rows(case_fields(case, obj.zone)), ("field", "value"), fmt, obj.zone)


def _before(iso: str | None, at: datetime) -> bool:
    """Whether an event's time (ISO text) is at or before ``at``."""
    return bool(iso) and datetime.fromisoformat(str(iso)) <= at


@click.command("history")
@click.argument("ref")
@output_options()
@pass_ctx
def history(obj: Ctx, ref: str) -> None:
    """Every event of the case, oldest first: time, actor, what changed.

    \b
    Example:
        complaintctl history C-2026-00001
        complaintctl history C-2026-00001 --format csv > history.csv
    """
    events = obj.models().history(ref)
    fmt = obj.output
    if fmt == "table":
        from complaintctl.render import page
        from complaintctl.render.history import history_text

        page(history_text(events, obj.zone))
    elif fmt in ("json", "jsonl"):
        emit_rows(events, (), fmt, obj.zone)
    else:
        from complaintctl.render.case import history_rows

        rows = history_rows(events, obj.zone)
        emit_rows(
            rows,
            ("position", "version", "occurred_at", "recorded_at", "actor", "type", "changed"),
            fmt,
            obj.zone,
        )


@click.command("sla")
@click.argument("ref")
@time_option("--as-of", "as_of", help="The clock as it stood at TIME.")
@output_options()
@pass_ctx
def sla(obj: Ctx, ref: str, as_of: datetime | None) -> None:
    """The SLA clock of one case: time to acknowledge and to resolve, each promised reply
    kept or missed, the deadlines still open, and the time paused waiting on the customer.

    Hours count on the config's reply.basis clock (calendar or working days,
    with holidays), paused in reply.pause_statuses.

    \b
    Example:
        complaintctl sla C-2026-00001
        complaintctl sla C-2026-00001 --as-of 2026-11-20T18:00 --json
    """
    from complaintctl.render.deadlines import sla_rows, sla_text  # not loaded by show

    c = obj.models().clock_of(ref, as_of)
    fmt = obj.output
    if fmt == "json":
        emit_json(c)
    elif fmt == "jsonl":
        click.echo(jsonl([c]), nl=False)
    elif fmt == "table":
        click.echo(sla_text(c, obj.zone))
    else:
        emit_rows(field_rows(sla_rows(c, obj.zone)), ("field", "value"), fmt, obj.zone)


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
@time_option("--since", help="Received at or after TIME.")
@time_option("--until", help="Received before TIME.")
@click.option("--customer", help="Only cases of this customer (name or contact, exact).")
@click.option("--group", help="Only cases of this group complaint.")
@click.option(
    "--remedy-state",
    type=click.Choice(REMEDY_STATES),
    help="Only cases whose remedy is in this state (in_progress: accepted, not yet carried out).",
)
@click.option("--limit", type=click.IntRange(1, MAX_LIMIT), help="At most N cases, newest first.")
@time_option("--as-of", "as_of", help="The cases as they were at TIME (folds the whole log).")
@output_options(extra=("xlsx",))
@pass_ctx
def list_cases(
    obj: Ctx,
    status: tuple[str, ...],
    owner: str | None,
    category: str | None,
    severity: str | None,
    overdue: bool,
    since: datetime | None,
    until: datetime | None,
    customer: str | None,
    group: str | None,
    remedy_state: str | None,
    limit: int | None,
    as_of: datetime | None,
) -> None:
    """List cases with filters (oldest first; with --limit, the newest N).

    \b
    Examples:
        complaintctl list --status open --limit 20
        complaintctl list --owner 张伟 --overdue --format csv > overdue.csv
        complaintctl list --status open --as-of 2026-11-01 --json
        complaintctl list --remedy-state in_progress
    """
    from projections.case import OPEN, public
    from projections.models import Filters

    if group is not None and len(group) > MAX_QUERY:  # no group can have such a name
        raise UsageProblem(
            _("--group is too long (at most {limit} characters)").format(limit=MAX_QUERY)
        )
    statuses: list[str] = []
    for s in status:
        statuses.extend(OPEN if s == "open" else (s,))
    filters = Filters(
        status=tuple(dict.fromkeys(statuses)),
        owner=owner,
        category=category,
        severity=severity,
        overdue=overdue,
        since=since,
        until=until,
        customer=customer,
        group=group,
        remedy_state=remedy_state,
    )
    rm = obj.models()
    if limit is None and as_of is None and obj.output in STREAMED:
        # Every case, written as it comes (a million need the memory of a few hundred).
        columns: tuple[str, ...] = CASE_COLUMNS
        if obj.output != "jsonl" and rm.any_flagged(filters):
            columns = (*CASE_COLUMNS, "flag")
        cases = (public(c) for c in rm.stream(filters))
        rows = cases if obj.output == "jsonl" else (flag_row(c) for c in cases)
        stream_rows(rows, columns, obj.output, obj.zone, sheet="cases")
        return
    found = [public(c) for c in rm.find(filters, limit, as_of)]
    shown, shown_columns = with_flags(found, CASE_COLUMNS, obj.output)
    emit_rows(shown, shown_columns, obj.output, obj.zone, sheet="cases")


@click.command("customer")
@click.argument("query")
@output_options()
@pass_ctx
def customer(obj: Ctx, query: str) -> None:
    """Every case of a customer, by name, contact or account (exact, else a part), with a
    repeat flag. The same contact or the same account number is the same person: a case
    found brings the cases with its contact or its account along.

    \b
    Example:
        complaintctl customer 13800000000
        complaintctl customer 沪A·12345
        complaintctl customer 王先生 --json
    """
    from projections.models import CustomerNotFound

    if len(query) > MAX_QUERY:  # SQLite refuses LIKE patterns over 50,000 bytes (exit 1)
        raise UsageProblem(
            _("the query is too long (at most {limit} characters)").format(limit=MAX_QUERY)
        )
    try:
        result = obj.models().customer(query)
    except CustomerNotFound:
        raise NotFound(_("no customer matches {query}").format(query=repr(query))) from None
    if obj.output == "json":
        emit_json(result)
        return
    if obj.output == "table":
        from complaintctl.render.stats import customers_text

        click.echo(customers_text(result))
    emit_rows(result["cases"], CASE_COLUMNS, obj.output, obj.zone)


_DUE_COLUMNS = ("ref", "deadline", "due", "hours", "status", "owner", "customer", "severity")


@click.command("overdue")
@click.option(
    "--within",
    type=click.IntRange(0, MAX_HOURS),
    help="Also list cases due within N hours (default: the config's shop.due_soon_hours, 24).",
)
@output_options()
@pass_ctx
def overdue(obj: Ctx, within: int | None) -> None:
    """Open cases past a deadline (acknowledge, promised reply, resolve, regulatory decision),
    then those due within N hours. ``hours`` is how long past due (negative: still to go).

    \b
    Example:
        complaintctl overdue --within 8
    """
    result = obj.models().overdue(within)
    if obj.output == "json":
        emit_json(result)
    else:
        emit_rows(result["overdue"] + result["due_soon"], _DUE_COLUMNS, obj.output, obj.zone)


@click.command("followups")
@click.option(
    "--within", type=click.IntRange(0, MAX_HOURS), default=0, help="Also those due within N hours."
)
@output_options()
@pass_ctx
def followups(obj: Ctx, within: int) -> None:
    """Follow-up calls due (回访): resolved or closed cases not called since resolution.

    A follow-up falls due shop.followup_days (default 3) after the resolution.
    Then the cases a follow-up flagged for a supervisor (satisfaction 1 and no
    leftover), with the reason in the flag column.

    \b
    Example:
        complaintctl followups --within 24 --format csv
    """
    rows = obj.models().followups(within)
    columns: tuple[str, ...] = ("ref", "due", "status", "owner", "customer", "contact")
    if any(r["flag"] for r in rows):
        columns = (*columns, "flag")
    emit_rows(rows, columns, obj.output, obj.zone)


@click.command("group")
@click.argument("name")
@output_options()
@pass_ctx
def group(obj: Ctx, name: str) -> None:
    """A group complaint (群体性投诉): members, their statuses, remedies granted.

    \b
    Example:
        complaintctl group "11月运输破损"
    """
    if len(name.strip()) > MAX_QUERY:  # no group can have such a name (at most 200)
        raise UsageProblem(
            _("the group name is too long (at most {limit} characters)").format(limit=MAX_QUERY)
        )
    g = obj.models().group(name)
    if obj.output == "json":
        emit_json(g)
        return
    if obj.output == "table":
        from complaintctl.render.stats import group_text

        click.echo(group_text(g))
    columns = ("ref", "customer", "status", "owner", "remedies")
    emit_rows(g["members"], columns, obj.output, obj.zone)


@click.command("log")
@time_option("--since", help="Events that happened (business time) at or after TIME.")
@time_option("--until", help="Events that happened (business time) before TIME.")
@click.option(
    "--head",
    "with_head",
    is_flag=True,
    help='End with a line {"head": {"position", "hash"}}: the whole log\'s head, as'
    " `verify` prints it (JSON Lines only).",
)
@output_options(default="jsonl")
@pass_ctx
def log(obj: Ctx, since: datetime | None, until: datetime | None, with_head: bool) -> None:
    """The raw event stream for auditors: JSON Lines, oldest first, each with its hash.

    On the file store ``hash`` is the line's chain hash in events.jsonl (check
    it with `complaintctl verify` or docs/storage.md); other backends give a
    SHA-256 chain computed over the notifications (docs/projections.md).
    --since/--until select by each event's own time (`occurred_at`, the
    business time `--at` gave), not by when it was recorded: a migrated or
    imported store answers the same as its source. Without them the last
    line is the log's head; --head adds
    the head as a last line of its own, so the output stays a pure event
    stream unless asked.

    \b
    Example:
        complaintctl log --since 2026-11-01 --until 2026-12-01 > november.jsonl
        complaintctl log --head | tail -1
    """
    from complaintctl.errors import UsageProblem

    if with_head and obj.output != "jsonl":
        raise UsageProblem(_("--head goes with JSON Lines output only (--format jsonl)"))
    rm = obj.models()
    events = rm.log(since, until)
    if obj.output == "jsonl":  # streamed: a year of events is not held in memory
        write = sys.stdout.write
        for e in events:
            write(json_safe(orjson.dumps(e).decode()) + "\n")
        if with_head:
            write(orjson.dumps({"head": rm.audit.head}).decode() + "\n")
        sys.stdout.flush()
        return
    rows = list(events)
    emit_rows(rows if obj.output == "json" else flat_data(rows), EVENT_COLUMNS, obj.output,
              obj.zone)  # fmt: skip
