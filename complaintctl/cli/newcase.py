"""``new``: record a new complaint (its many options in a module of their own).

It parses, makes one application call (the rules are in ``events``), and
prints the reference, or the case with ``--json``.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

import click

from complaintctl.cli.context import Ctx, pass_ctx
from complaintctl.cli.options import CURRENCY, DECIMAL, at_option, json_option, time_option
from complaintctl.i18n import _
from complaintctl.render import emit_json, safe
from events.policy import SEVERITIES


@click.command()
@click.option("--customer", required=True, help="Who complains.")
@click.option("--contact", required=True, help="Phone, e-mail or address.")
@click.option("--channel", required=True, help="How it came in (a channel of the config).")
@click.option("--category", required=True, help="What it is about (a category of the config).")
@click.option("--summary", required=True, help="What happened, in the customer's facts.")
@click.option("--demand", help="What the customer demands.")
@click.option("--demand-amount", type=DECIMAL, help="The amount demanded, if any.")
@click.option("--currency", type=CURRENCY, help="Currency of --demand-amount (default: config's).")
@click.option("--account", help="Account, card, policy or plate number.")
@click.option(
    "--severity", type=click.Choice(SEVERITIES), help="Set by hand (rules may flag major)."
)
@click.option("--severity-reason", help="Why the severity was set by hand.")
@time_option("--received-at", help="When it was received (TIME; default now).")
@time_option("--occurred-at", help="When the problem happened (TIME).")
@click.option("--owner", help="First-ask owner (default: the actor).")
@click.option("--vip", is_flag=True, help="A VIP or influential customer (flags major).")
@click.option("--mood", help="The customer's mood, e.g. calm, upset, angry.")
@click.option("--signed", is_flag=True, help="A walk-in customer signed the record.")
@click.option("--media-threat", is_flag=True, help="The customer threatens media exposure (major).")
@click.option(
    "--customer-type",
    help="Who the customer is, e.g. official, journalist, lawyer ([major] influential_types).",
)
@at_option
@json_option
@pass_ctx
def new(
    obj: Ctx,
    customer: str,
    contact: str,
    channel: str,
    category: str,
    summary: str,
    demand: str | None,
    demand_amount: Decimal | None,
    currency: str | None,
    account: str | None,
    severity: str | None,
    severity_reason: str | None,
    received_at: datetime | None,
    occurred_at: datetime | None,
    owner: str | None,
    vip: bool,
    mood: str | None,
    signed: bool,
    media_threat: bool,
    customer_type: str | None,
) -> None:
    """Record a new complaint and print its reference (C-<year>-<5 digits>).

    \b
    Example:
        complaintctl new --customer 王先生 --contact 13800000000 --channel walk-in \\
            --category misquote --summary "鼓风机报价200元,实际1000多元" \\
            --demand "按原报价维修" --demand-amount 800 --signed --mood angry
    """
    app = obj.app()  # first: opening it keeps the compiled code of dataclasses (NewCase's)
    from events.intake import NewCase  # the write model loads when the store opens

    case = obj.case_of(
        app.receive(
            NewCase(
                customer=customer,
                contact=contact,
                channel=channel,
                category=category,
                summary=summary,
                demand=demand,
                demand_amount=demand_amount,
                currency=currency,
                account=account,
                severity=severity,
                severity_reason=severity_reason,
                received_at=received_at,
                occurred_at=occurred_at,
                owner=owner,
                vip=vip,
                media_threat=media_threat,
                customer_type=customer_type,
                mood=mood,
                signed_by_customer=signed,
            ),
            obj.actor,
        )
    )
    if obj.json:
        emit_json(case)
    else:
        click.echo(case["ref"])
        if case["severity"] == "major" and case["severity_by"] == "rule":
            from complaintctl.refusals import major_reason

            reasons = "; ".join(major_reason(r) for r in case["major_reasons"])
            click.echo(
                safe(_("flagged major by rule: {reasons}").format(reasons=reasons)), err=True
            )
