"""The remedy commands: propose (in parts and options), approve, accept, reject.

The money rules are the write model's (:mod:`events.remedies`): a proposal is
options of parts; approval covers the whole of it per currency; compensation
is bounded by the loss ``assess --loss`` recorded.
"""

from __future__ import annotations

from decimal import Decimal

import click

from complaintctl.cli.context import Ctx, pass_ctx
from complaintctl.cli.options import CURRENCY, DECIMAL, at_option, json_option
from events.policy import REMEDY_KINDS


@click.command()
@click.argument("ref")
@click.option("--remedy", required=True, type=click.Choice(REMEDY_KINDS))
@click.option("--amount", type=DECIMAL, help="Amount of money, if any.")
@click.option("--currency", type=CURRENCY, help="Currency of --amount (default: config's).")
@click.option("--detail", help="What exactly is offered.")
@click.option("--add", "mode", flag_value="add", help="One more part of the open proposal.")
@click.option(
    "--alternative",
    "mode",
    flag_value="alternative",
    help="One more option the customer may choose instead (accept --option N).",
)
@click.option(
    "--replace",
    "mode",
    flag_value="replace",
    help="Withdraw the open proposal and start a new one (the old one stays in the history).",
)
@click.option(
    "--override-reason",
    help="A manager's reason to pay compensation above the loss or on a case not valid.",
)
@at_option
@json_option
@pass_ctx
def propose(
    obj: Ctx,
    ref: str,
    remedy: str,
    amount: Decimal | None,
    currency: str | None,
    detail: str | None,
    mode: str | None,
    override_reason: str | None,
) -> None:
    """Propose a remedy; above the actor's tier limit the whole proposal needs approval.

    An open proposal refuses a new one unless --add, --alternative or --replace says how
    it relates (rule proposal-open).

    \b
    Example:
        complaintctl propose C-2026-00001 --remedy compensation --amount 4000
        complaintctl propose C-2026-00001 --add --remedy replacement --amount 81000 \\
            --detail "补发损毁货物"
        complaintctl propose C-2026-00002 --alternative --remedy refund --amount 300
    """
    case = obj.case_of(
        obj.app().propose(ref, obj.actor, remedy, amount, currency, detail, mode, override_reason)
    )
    p = case["proposals"][-1]
    extra = f"; needs approval by tier {p['required_tier']}" if p["needs_approval"] else ""
    where = f" option {len(p['options'])}" if mode == "alternative" else ""
    obj.done(case, f"{case['ref']} proposal {p['number']}{where}: {remedy}{extra}")


@click.command()
@click.argument("ref")
@at_option
@json_option
@pass_ctx
def approve(obj: Ctx, ref: str) -> None:
    """Approve the pending remedy proposal (someone of a higher tier when above the limit).

    \b
    Example:
        complaintctl --actor 王强 approve C-2026-00001
    """
    case = obj.case_of(obj.app().approve(ref, obj.actor))
    obj.done(case, f"{case['ref']} proposal {case['pending_proposal']} approved")


@click.command()
@click.argument("ref")
@click.option("--reason", help="What the customer said.")
@click.option(
    "--option", type=click.IntRange(1, 99), help="The alternative the customer chose (1, 2...)."
)
@at_option
@json_option
@pass_ctx
def accept(obj: Ctx, ref: str, reason: str | None, option: int | None) -> None:
    """Record that the customer accepted the open proposal (with alternatives: --option N).

    \b
    Example:
        complaintctl accept C-2026-00001 --reason "客户同意"
        complaintctl accept C-2026-00002 --option 2
    """
    case = obj.case_of(obj.app().accept(ref, obj.actor, reason, option))
    chosen = next(p for p in reversed(case["proposals"]) if p["state"] == "accepted")
    obj.done(case, f"{case['ref']} proposal accepted (option {chosen['accepted_option']})")


@click.command()
@click.argument("ref")
@click.option("--reason", help="What the customer said.")
@at_option
@json_option
@pass_ctx
def reject(obj: Ctx, ref: str, reason: str | None) -> None:
    """Record that the customer rejected the latest proposal.

    \b
    Example:
        complaintctl reject C-2026-00001 --reason "要求全额赔偿"
    """
    case = obj.case_of(obj.app().reject(ref, obj.actor, reason))
    obj.done(case, f"{case['ref']} proposal rejected")
