"""Commands around a case: outside parties, external routes, review actions.

Each parses, makes one call of :mod:`events.outside`, and prints the case
(or, for ``actions``, the review actions read model).
"""

from __future__ import annotations

import click

from complaintctl.cli.context import Ctx, pass_ctx
from complaintctl.cli.options import at_option, json_option, output_options
from complaintctl.i18n import _
from complaintctl.render.rows import emit_rows
from events.lifecycle import PARTIES, ROUTES


@click.command("external")
@click.argument("ref")
@click.option("--party", required=True, type=click.Choice(PARTIES), help="Who took the case up.")
@click.option("--reference", required=True, help="Their reference for the case.")
@click.option("--reply", help="The reply sent to them (again with the same --reference).")
@at_option
@json_option
@pass_ctx
def external(obj: Ctx, ref: str, party: str, reference: str, reply: str | None) -> None:
    """A consumer association or regulator takes up an existing case (it becomes major).

    The same party and reference again with --reply records the reply sent to them;
    the case stays one case (no second, linked case).

    \b
    Example:
        complaintctl external C-2026-00001 --party consumer-association --reference 消协-2026-118
        complaintctl external C-2026-00001 --party consumer-association \\
            --reference 消协-2026-118 --reply "已书面答复处理经过"
    """
    from events.outside import involve

    case = obj.case_of(involve(obj.app(), ref, obj.actor, party, reference, reply))
    what = _("reply recorded") if reply else _("taken up")
    obj.done(case, f"{case['ref']} {party} {reference}: {what}")


@click.command("route")
@click.argument("ref")
@click.option("--to", "route", type=click.Choice(ROUTES), help="Where the case goes.")
@click.option("--reference", help="The case number there, if any.")
@click.option("--detail", help="What was filed, by whom.")
@click.option("--concluded", help="The route ended: its outcome (the case stays open).")
@at_option
@json_option
@pass_ctx
def route(
    obj: Ctx, ref: str, route: str | None, reference: str | None, detail: str | None,
    concluded: str | None,
) -> None:  # fmt: skip
    """After the customer rejected a proposal: record the external route the case takes
    (arbitration, court, consumer association, a regulator's mediation), or its end.

    The case stays open until it is resolved and closed as any other.

    \b
    Example:
        complaintctl route C-2026-00001 --to arbitration --reference "沪仲2026-77"
        complaintctl route C-2026-00001 --concluded "仲裁裁定赔偿3000元"
    """
    from complaintctl.errors import UsageProblem
    from events.outside import conclude_route, take_route

    if (route is None) == (concluded is None):
        raise UsageProblem(_("route needs --to ROUTE or --concluded OUTCOME (one of them)"))
    app = obj.app()
    if route is not None:
        case = obj.case_of(take_route(app, ref, obj.actor, route, reference, detail))
        obj.done(
            case, _("{ref} on the external route: {route}").format(ref=case["ref"], route=route)
        )
    else:
        assert concluded is not None
        case = obj.case_of(conclude_route(app, ref, obj.actor, concluded))
        obj.done(case, _("{ref} external route concluded").format(ref=case["ref"]))


ACTION_COLUMNS = ("ref", "number", "action", "owner", "due", "done", "late")


@click.command("actions")
@click.option("--open", "open_only", is_flag=True, help="Only the actions not done yet.")
@click.option("--owner", help="Only this person's actions.")
@output_options()
@pass_ctx
def actions(obj: Ctx, open_only: bool, owner: str | None) -> None:
    """The review actions (improvements a review named): owner, due date, done or not.

    Open ones first, soonest due first; ``late``: past due and not done.

    \b
    Example:
        complaintctl actions --open
        complaintctl actions --owner 王强 --format csv
    """
    rows = obj.models().review_actions.actions(open_only, owner)
    emit_rows(rows, ACTION_COLUMNS, obj.output, obj.zone)


@click.command("action-done")
@click.argument("ref")
@click.argument("number", type=click.IntRange(1, 10_000))
@click.option("--note", help="What was done.")
@at_option
@json_option
@pass_ctx
def action_done(obj: Ctx, ref: str, number: int, note: str | None) -> None:
    """Mark review action NUMBER of the case done (the numbers `actions` lists).

    \b
    Example:
        complaintctl action-done C-2026-00001 1 --note "已完成报价双人复核培训"
    """
    from events.outside import action_done as done

    case = obj.case_of(done(obj.app(), ref, obj.actor, number, note))
    obj.done(case, _("{ref} action {number} done").format(ref=case["ref"], number=number))
