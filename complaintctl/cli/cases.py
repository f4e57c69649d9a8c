"""The writing commands: the life of a case, from ``new`` to ``archive``.

Each parses, makes one application call (the rules are in ``events``), and
prints the case (``--json``) or one line for a person (:meth:`Ctx.done`).
"""

from __future__ import annotations

import sys
from datetime import datetime
from decimal import Decimal
from pathlib import Path

import click

from complaintctl.cli.context import Ctx, pass_ctx
from complaintctl.cli.options import CURRENCY, DECIMAL, at_option, json_option, time_option
from complaintctl.errors import UsageProblem
from complaintctl.i18n import _, label
from complaintctl.render import emit_json, local_time, safe
from events.policy import (
    ATTACHMENT_KINDS,
    CONTACT_OUTCOMES,
    FOLLOWUP_OUTCOMES,
    SEVERITIES,
)


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
    from events.intake import NewCase  # the write model loads when the store opens

    case = obj.case_of(
        obj.app().receive(
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


# -- the life of a case -----------------------------------------------------------


@click.command()
@click.argument("ref")
@time_option("--reply-by", help="Promised reply time (TIME; default from the config).")
@click.option("--message", help="What the customer was told.")
@at_option
@json_option
@pass_ctx
def ack(obj: Ctx, ref: str, reply_by: datetime | None, message: str | None) -> None:
    """Acknowledge a complaint and promise when the customer hears back.

    \b
    Example:
        complaintctl ack C-2026-00001 --reply-by +24h --message "已致歉,明天答复"
    """
    case = obj.case_of(obj.app().acknowledge(ref, obj.actor, reply_by, message))
    when = local_time(case["reply_by"], obj.zone)
    obj.done(case, _("{ref} acknowledged; reply by {when}").format(ref=case["ref"], when=when))


@click.command()
@click.argument("ref")
@click.argument("owner")
@at_option
@json_option
@pass_ctx
def assign(obj: Ctx, ref: str, owner: str) -> None:
    """Give the case to another handler (the first-ask owner stays responsible).

    \b
    Example:
        complaintctl assign C-2026-00001 王强
    """
    case = obj.case_of(obj.app().assign(ref, owner, obj.actor))
    obj.done(case, _("{ref} assigned to {owner}").format(ref=case["ref"], owner=case["owner"]))


@click.command()
@click.argument("ref")
@click.argument("department")
@click.option("--reason", help="Why the department is needed.")
@click.option(
    "--co-handle", is_flag=True, help="Work together (会办) rather than hand over (转办)."
)
@at_option
@json_option
@pass_ctx
def transfer(obj: Ctx, ref: str, department: str, reason: str | None, co_handle: bool) -> None:
    """Transfer the case to, or co-handle it with, another department.

    \b
    Example:
        complaintctl transfer C-2026-00001 parts --reason "核对零件价格" --co-handle
    """
    case = obj.case_of(obj.app().transfer(ref, department, obj.actor, reason, co_handle))
    done = (
        _("{ref} co-handled with {department}")
        if co_handle
        else _("{ref} transferred to {department}")
    )
    obj.done(case, done.format(ref=case["ref"], department=department))


@click.command()
@click.argument("ref")
@click.option("--category", help="A category of the config.")
@click.option("--severity", type=click.Choice(SEVERITIES))
@click.option("--reason", help="Why (needed when the severity changes).")
@click.option("--vip", is_flag=True, help="A VIP customer (makes the case major).")
@click.option("--media-threat", is_flag=True, help="A threat of media exposure (major).")
@click.option("--customer-type", help="An influential type of the config ([major]), e.g. lawyer.")
@at_option
@json_option
@pass_ctx
def classify(
    obj: Ctx,
    ref: str,
    category: str | None,
    severity: str | None,
    reason: str | None,
    vip: bool,
    media_threat: bool,
    customer_type: str | None,
) -> None:
    """Set the category and/or the severity (general or major, with a reason); --vip,
    --media-threat and --customer-type make the case major, each with its reason.

    \b
    Example:
        complaintctl classify C-2026-00001 --severity major --reason "客户威胁媒体曝光"
        complaintctl classify C-2026-00002 --media-threat --reason "称要找电视台"
    """
    app = obj.app()
    if vip or media_threat or customer_type:
        from events.outside import mark_major

        done = mark_major(
            app,
            ref,
            obj.actor,
            vip=vip,
            media_threat=media_threat,
            customer_type=customer_type,
            reason=reason,
            category=category,
            severity=severity,
        )
    else:
        done = app.classify(ref, obj.actor, category, severity, reason)
    case = obj.case_of(done)
    if not app.written:
        msg = _("{ref}: nothing changed ({category}, {severity})")
        shown = label("severity", case["severity"])
        obj.done(case, msg.format(ref=case["ref"], category=case["category"], severity=shown))
        return
    shown = label("severity", case["severity"])
    msg = _("{ref} classified: {category}, {severity}")
    obj.done(case, msg.format(ref=case["ref"], category=case["category"], severity=shown))


@click.command()
@click.argument("ref")
@click.argument("text")
@at_option
@json_option
@pass_ctx
def note(obj: Ctx, ref: str, text: str) -> None:
    """Add a note to the case ('-' reads the text from stdin).

    \b
    Example:
        complaintctl note C-2026-00001 "客户下午再来电"
        echo "长备注" | complaintctl note C-2026-00001 -
    """
    if text == "-":
        text = sys.stdin.read().rstrip("\n")
    case = obj.case_of(obj.app().note(ref, text, obj.actor))
    obj.done(case, _("{ref} noted").format(ref=case["ref"]))


@click.command()
@click.argument("ref")
@click.option("--outcome", required=True, type=click.Choice(CONTACT_OUTCOMES))
@click.option("--channel", help="phone, sms, email, visit...")
@click.option("--summary", help="What was said.")
@at_option
@json_option
@pass_ctx
def contact(obj: Ctx, ref: str, outcome: str, channel: str | None, summary: str | None) -> None:
    """Record contact with the customer (e.g. at the promised reply time).

    \b
    Example:
        complaintctl contact C-2026-00001 --outcome reached --channel phone \\
            --summary "告知调查进展"
    """
    case = obj.case_of(obj.app().contact(ref, obj.actor, outcome, channel, summary))
    done = _("{ref} contact recorded: {outcome}")
    obj.done(case, done.format(ref=case["ref"], outcome=label("outcome", outcome)))


@click.command()
@click.argument("ref")
@click.argument("finding")
@at_option
@json_option
@pass_ctx
def investigate(obj: Ctx, ref: str, finding: str) -> None:
    """Record a finding of the investigation.

    \b
    Example:
        complaintctl investigate C-2026-00001 "服务顾问报错零件号"
    """
    case = obj.case_of(obj.app().investigate(ref, finding, obj.actor))
    obj.done(case, _("{ref} finding recorded").format(ref=case["ref"]))


@click.command()
@click.argument("ref")
@click.option("--valid/--not-valid", default=None, help="Our fault, or the customer's own cause.")
@click.option("--root-cause", help="What caused it.")
@click.option("--at-fault", multiple=True, help="Staff or department at fault (repeatable).")
@click.option("--loss", type=DECIMAL, help="The documented direct loss (caps compensation).")
@click.option("--currency", type=CURRENCY, help="Currency of --loss (default: config's).")
@at_option
@json_option
@pass_ctx
def assess(
    obj: Ctx,
    ref: str,
    valid: bool | None,
    root_cause: str | None,
    at_fault: tuple[str, ...],
    loss: Decimal | None,
    currency: str | None,
) -> None:
    """Judge whether the complaint is valid, and record root cause and who is at fault.

    --loss records the customer's documented direct loss (principal and interest,
    reasonable documented costs; no lawyer's fees, no indirect or emotional loss):
    compensation above it is refused, as is compensation on a case not valid.

    \b
    Example:
        complaintctl assess C-2026-00001 --valid --root-cause "报价未核对系统价格" \\
            --at-fault 张伟 --at-fault service --loss 1200
    """
    if valid is None:
        raise UsageProblem(_("assess needs --valid or --not-valid"))
    case = obj.case_of(
        obj.app().assess(ref, obj.actor, valid, root_cause, list(at_fault), loss, currency)
    )
    done = _("{ref} assessed: valid") if valid else _("{ref} assessed: not valid")
    obj.done(case, done.format(ref=case["ref"]))


@click.command()
@click.argument("ref")
@click.option("--tier", required=True, type=click.IntRange(1, 3), help="1, 2 or 3.")
@click.option("--reason", required=True)
@at_option
@json_option
@pass_ctx
def escalate(obj: Ctx, ref: str, tier: int, reason: str) -> None:
    """Move the case up one or more tiers (only a manager moves it down).

    \b
    Example:
        complaintctl escalate C-2026-00001 --tier 2 --reason "客户不接受一线方案"
    """
    case = obj.case_of(obj.app().escalate(ref, obj.actor, tier, reason))
    obj.done(case, _("{ref} now at tier {tier}").format(ref=case["ref"], tier=case["tier"]))


@click.command()
@click.argument("ref")
@click.option("--summary", required=True, help="What was done.")
@at_option
@json_option
@pass_ctx
def resolve(obj: Ctx, ref: str, summary: str) -> None:
    """Mark the case resolved: the agreed remedy was carried out.

    \b
    Example:
        complaintctl resolve C-2026-00001 --summary "按200元更换鼓风机"
    """
    case = obj.case_of(obj.app().resolve(ref, obj.actor, summary))
    obj.done(case, _("{ref} resolved").format(ref=case["ref"]))


@click.command()
@click.argument("ref")
@click.option("--outcome", required=True, type=click.Choice(FOLLOWUP_OUTCOMES))
@click.option("--satisfaction", type=click.IntRange(1, 5), help="1 (bad) to 5 (very good).")
@click.option("--leftover", help="A problem left over (reopens the case).")
@click.option("--channel", help="phone, sms, email, visit...")
@at_option
@json_option
@pass_ctx
def followup(
    obj: Ctx,
    ref: str,
    outcome: str,
    satisfaction: int | None,
    leftover: str | None,
    channel: str | None,
) -> None:
    """Follow up after resolution; a leftover problem reopens the case.

    \b
    Example:
        complaintctl followup C-2026-00001 --outcome reached --satisfaction 5 --channel phone
    """
    case = obj.case_of(
        obj.app().follow_up(ref, obj.actor, outcome, satisfaction, leftover, channel)
    )
    done = _("{ref} followed up: {outcome}").format(
        ref=case["ref"], outcome=label("outcome", outcome)
    )
    if leftover:
        done += _("; reopened for the leftover problem")
    obj.done(case, done)


@click.command()
@click.argument("ref")
@click.option("--reason", required=True)
@at_option
@json_option
@pass_ctx
def reopen(obj: Ctx, ref: str, reason: str) -> None:
    """Reopen a resolved, closed, withdrawn or (by a manager) archived case.

    \b
    Example:
        complaintctl reopen C-2026-00001 --reason "客户反映问题复发"
    """
    case = obj.case_of(obj.app().reopen(ref, obj.actor, reason))
    obj.done(case, _("{ref} reopened").format(ref=case["ref"]))


@click.command()
@click.argument("ref")
@at_option
@json_option
@pass_ctx
def close(obj: Ctx, ref: str) -> None:
    """Close a resolved case (结案).

    \b
    Example:
        complaintctl close C-2026-00001
    """
    case = obj.case_of(obj.app().close_case(ref, obj.actor))
    obj.done(case, _("{ref} closed").format(ref=case["ref"]))


@click.command()
@click.argument("ref")
@click.option("--root-cause", required=True)
@click.option("--lesson", required=True)
@click.option("--action", help="The internal improvement (training, process change).")
@click.option("--action-owner", help="Who carries out the improvement.")
@time_option("--action-due", help="When the improvement is due (TIME).")
@at_option
@json_option
@pass_ctx
def review(
    obj: Ctx,
    ref: str,
    root_cause: str,
    lesson: str,
    action: str | None,
    action_owner: str | None,
    action_due: datetime | None,
) -> None:
    """Record the review (总结): cause, lesson, improvement, its owner and due date.

    Open improvement actions are listed by `actions --open`; `action-done REF N` ends one.

    \b
    Example:
        complaintctl review C-2026-00001 --root-cause "报价流程无复核" \\
            --lesson "报价前查系统" --action "报价双人复核" --action-owner 王强 \\
            --action-due 2026-12-31
    """
    case = obj.case_of(
        obj.app().review(ref, obj.actor, root_cause, lesson, action, action_owner, action_due)
    )
    obj.done(case, _("{ref} reviewed").format(ref=case["ref"]))


@click.command()
@click.argument("ref")
@at_option
@json_option
@pass_ctx
def archive(obj: Ctx, ref: str) -> None:
    """Archive a closed case; afterwards only a manager can reopen it.

    \b
    Example:
        complaintctl archive C-2026-00001
    """
    case = obj.case_of(obj.app().archive(ref, obj.actor))
    obj.done(case, _("{ref} archived").format(ref=case["ref"]))


@click.command()
@click.argument("ref")
@click.option("--reason", required=True)
@at_option
@json_option
@pass_ctx
def withdraw(obj: Ctx, ref: str, reason: str) -> None:
    """Record that the customer withdrew the complaint.

    \b
    Example:
        complaintctl withdraw C-2026-00001 --reason "客户撤回投诉"
    """
    case = obj.case_of(obj.app().withdraw(ref, obj.actor, reason))
    obj.done(case, _("{ref} withdrawn").format(ref=case["ref"]))


@click.command()
@click.argument("refs", nargs=-1, required=True)
@click.option("--group", help="Also put the cases in this group (created if new).")
@at_option
@json_option
@pass_ctx
def link(obj: Ctx, refs: tuple[str, ...], group: str | None) -> None:
    """Link related cases to each other, and optionally to a group (群体性投诉).

    \b
    Example:
        complaintctl link C-2026-00001 C-2026-00002 --group "11月运输破损"
    """
    result = obj.app().link(list(refs), obj.actor, group)
    if obj.json:
        emit_json(result)
    else:
        refs_text = ", ".join(result["linked"])
        if group:
            done = _("linked {refs} in group {group}").format(refs=refs_text, group=group)
        else:
            done = _("linked {refs}").format(refs=refs_text)
        click.echo(safe(done))


@click.command()
@click.argument("ref")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--kind", type=click.Choice(ATTACHMENT_KINDS), default="document", show_default=True)
@at_option
@json_option
@pass_ctx
def attach(obj: Ctx, ref: str, file: Path, kind: str) -> None:
    """Keep evidence with the case (a regular file up to [attachments] max_mb, default 50).

    \b
    Example:
        complaintctl attach C-2026-00001 ./recording.mp3 --kind recording
    """
    app = obj.app()
    app.policy.writer(obj.actor)  # an auditor (or unknown actor): exit 4 before any copy
    app.check_case(ref)  # not found: exit 3 before any file is copied
    from complaintctl.attachments import open_store  # here: no other command reads files

    box = open_store(obj.store, app, obj.config().raw)  # the file store's folder, or the database
    blob = box.put(file)
    try:
        written = app.attach(
            ref,
            obj.actor,
            name=blob.name,
            size=blob.size,
            media_type=blob.media_type,
            sha256=blob.sha256,
            kind=kind,
        )
    except BaseException:
        box.discard(blob)
        raise
    case = obj.case_of(written)
    done = _("{ref} attached {name} ({size} bytes, {sha256})")
    obj.done(
        case,
        done.format(ref=case["ref"], name=blob.name, size=blob.size, sha256=blob.sha256[:12]),
    )


@click.command()
@click.argument("ref")
@click.option("--reason", required=True)
@at_option
@json_option
@pass_ctx
def extend(obj: Ctx, ref: str, reason: str) -> None:
    """Extend the regulatory decision date to the config's next step (e.g. 15 -> 30 -> 60 days).

    \b
    Example:
        complaintctl extend C-2026-00001 --reason "需要第三方鉴定"
    """
    case = obj.case_of(obj.app().extend_decision(ref, obj.actor, reason))
    when = local_time(case["decision_due"], obj.zone)
    obj.done(case, _("{ref} decision due {when}").format(ref=case["ref"], when=when))
