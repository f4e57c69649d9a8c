"""The writing commands of a case's later life, from ``transfer`` to ``archive``.

Each parses, makes one application call (the rules are in ``events``), and
prints the case (``--json``) or one line for a person (:meth:`Ctx.done`).
The first commands of a case are in :mod:`.cases`, ``new`` in :mod:`.newcase`.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from pathlib import Path

import click

from complaintctl.cli.context import Ctx, pass_ctx
from complaintctl.cli.options import CURRENCY, DECIMAL, at_option, json_option, time_option
from complaintctl.errors import UsageProblem
from complaintctl.i18n import _, label
from complaintctl.render import emit_json, local_time, safe
from events.policy import ATTACHMENT_KINDS, FOLLOWUP_OUTCOMES, SEVERITIES


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
