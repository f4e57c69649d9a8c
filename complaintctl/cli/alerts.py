"""``alerts``: for cron, what needs attention since the last run, each item told once."""

from __future__ import annotations

import click

from complaintctl.cli.context import Ctx, pass_ctx
from complaintctl.cli.options import output_options


@click.command("alerts")
@click.option(
    "--within",
    type=click.IntRange(0, 24 * 14),
    help="Promises and deadlines due within this many hours (default: the config's "
    "read.due_soon_hours).",
)
@click.option("--again", is_flag=True, help="Tell everything that needs attention, told or not.")
@output_options()
@pass_ctx
def alerts(obj: Ctx, within: int | None, again: bool) -> None:
    """What needs attention since the last run, each item told once per desk (--actor): a
    new major or consumer-association/regulator/media case, a promise or deadline
    due within the next hours, a case gone overdue. Exits 8 when there is
    something, 0 when not: a crontab line can mail it.

    \b
    Examples:
        complaintctl --actor cron alerts || true
        complaintctl alerts --within 2 --format markdown
    """
    from complaintctl import alertstate
    from complaintctl.errors import ATTENTION
    from complaintctl.render import emit_json
    from complaintctl.render.deadlines import alerts_text
    from complaintctl.render.rows import emit_rows
    from projections.alerts import Alerts

    rm = obj.models()
    result = Alerts(rm.reading).attention(within)
    path = alertstate.state_path(obj.store)
    told = set() if again else alertstate.told(path, obj.actor)
    current = {i["key"] for i in result["items"]}
    new = [i for i in result["items"] if i["key"] not in told]
    alertstate.remember(path, obj.actor, (told & current) | current, result["now"])
    result["items"] = new
    if obj.output == "json":
        emit_json(result)
    elif obj.output == "table":
        click.echo(alerts_text(result, obj.zone))
    else:
        columns = ("kind", "ref", "customer", "owner", "channel", "deadline", "due")
        emit_rows(new, columns, obj.output, obj.zone, sheet="alerts")
    if new:
        raise click.exceptions.Exit(ATTENTION)
