"""The command line: each command parses, makes one application call, and renders.

Rules live in ``events``; output shapes in :mod:`complaintctl.render`; exit
codes in :mod:`complaintctl.errors`. Global options read environment
variables (``COMPLAINTCTL_STORE``, ``COMPLAINTCTL_ACTOR``, ...).
"""

from __future__ import annotations

import getpass
import os
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

import click

from complaintctl import config as configuration
from complaintctl import presets, render
from complaintctl.app import open_app
from complaintctl.attachments import open_store
from complaintctl.errors import (
    Bug,
    StoreUnavailable,
    UsageProblem,
    VerifyFailed,
    translate,
)
from complaintctl.timeparse import parse_time
from events.application import ComplaintsApp, NewCase
from events.policy import (
    ATTACHMENT_KINDS,
    CONTACT_OUTCOMES,
    FOLLOWUP_OUTCOMES,
    REMEDY_KINDS,
    SEVERITIES,
)

F = TypeVar("F", bound=Callable[..., Any])


def _login_name() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "unknown"


@dataclass
class Ctx:
    """What every command needs; the application is opened on first use only."""

    store: Path
    actor: str
    config_path: Path
    backend: str | None
    debug: bool = False
    json: bool = False
    key_file: Path | None = None
    _config: configuration.Config | None = field(default=None, repr=False)
    _app: ComplaintsApp | None = field(default=None, repr=False)

    def config(self) -> configuration.Config:
        if self._config is None:
            self._config = configuration.load(self.config_path)
        return self._config

    @property
    def zone(self) -> ZoneInfo:
        return self.config().policy.zone

    def app(self) -> ComplaintsApp:
        if self._app is None:
            cfg = self.config()
            # An actor the shop does not know is refused for reading too (exit 4, staff-only).
            cfg.policy.staff_member(self.actor)
            try:
                self._app = open_app(
                    self.store,
                    policy=cfg.policy,
                    backend=self.backend or cfg.backend,
                    settings=cfg.store,
                    encrypt_personal=cfg.encrypt_personal,
                    key_file=self.key_file,
                )
            except OSError as e:
                raise StoreUnavailable(f"store unavailable: {self.store}: {e}") from None
            click.get_current_context().call_on_close(self._app.close)
        return self._app

    def time(self, text: str | None, option: str) -> datetime | None:
        if text is None:
            return None
        try:
            return parse_time(text, self.zone, self.app().clock())
        except ValueError as e:
            raise UsageProblem(f"{option}: {e}") from None

    def case_of(self, ref: str) -> dict[str, Any]:
        """The case as ``show --json`` gives it: its events folded (projections.case)."""
        from projections.case import public
        from projections.caselog import read_case

        app = self.app()
        return public(read_case(app, ref, app.keyring))

    def done(self, case: dict[str, Any], message: str) -> None:
        """Print a write's result: the case as JSON, or one line for a person."""
        if self.json:
            render.emit_json(case)
        else:
            click.echo(render.safe(message))


pass_ctx = click.make_pass_decorator(Ctx)


class ComplaintGroup(click.Group):
    """Maps every exception from below to its exit code, in one place."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        try:
            return super().parse_args(ctx, args)
        except click.ClickException as e:
            # "No such option: <typed>": no escape reaches the terminal raw.
            e.message = render.safe(e.message, multiline=True)  # type: ignore[misc]
            raise
        except ValueError as e:
            # A NUL byte in --store or --config (only a caller in Python can pass one).
            err = translate(e)
            if err is None:
                raise
            raise err from None

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except click.ClickException as e:
            # click's own messages quote what was typed: no escape reaches the terminal raw.
            e.message = render.safe(e.message, multiline=True)  # type: ignore[misc]
            raise
        except (click.exceptions.Exit, click.Abort):
            raise
        except BrokenPipeError:
            # The reader went away (``| head``): stop quietly, as other tools do.
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())
            raise click.exceptions.Exit(0) from None
        except Exception as e:
            err = translate(e)
            if err is not None:
                raise err from None
            obj = ctx.find_object(Ctx)
            if obj is not None and obj.debug:
                raise
            raise Bug(
                f"unexpected failure, this is a bug (rerun with --debug for the traceback): "
                f"{type(e).__name__}: {e}"
            ) from None


def _set_json(ctx: click.Context, _param: click.Parameter, value: bool) -> None:
    if value:
        obj = ctx.find_object(Ctx)
        if obj is not None:
            obj.json = True


def json_option(f: F) -> F:
    """``--json`` on every command: one JSON document on stdout."""
    return click.option(
        "--json",
        is_flag=True,
        expose_value=False,
        callback=_set_json,
        help="Print one JSON document on stdout.",
    )(f)


class DecimalType(click.ParamType[Decimal]):
    """Money as Decimal, never float; refuses NaN and infinities."""

    name = "DECIMAL"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        if isinstance(value, Decimal):
            return value
        try:
            d = Decimal(str(value).strip())
        except InvalidOperation:
            self.fail(f"not a decimal amount: {value!r}", param, ctx)
        if not d.is_finite():
            self.fail(f"not a finite amount: {value!r}", param, ctx)
        if d < 0:
            self.fail("must not be negative", param, ctx)
        return d


class CurrencyType(click.ParamType[str]):
    name = "CODE"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        code = str(value).strip().upper()
        if len(code) != 3 or not code.isascii() or not code.isalpha():
            self.fail(f"not a three-letter currency code: {value!r}", param, ctx)
        return code


DECIMAL = DecimalType()
CURRENCY = CurrencyType()


@click.group(cls=ComplaintGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--store",
    envvar="COMPLAINTCTL_STORE",
    default="./complaints",
    show_default=True,
    # Not readable=True: a store this user may not read is "unavailable" (exit 7), not usage.
    type=click.Path(file_okay=False, readable=False, path_type=Path),
    help="The store directory (env COMPLAINTCTL_STORE).",
)
@click.option(
    "--actor",
    envvar="COMPLAINTCTL_ACTOR",
    default=_login_name,
    help="Who acts; recorded on every event (env COMPLAINTCTL_ACTOR; default: login name).",
)
@click.option(
    "--config",
    "config_path",
    envvar="COMPLAINTCTL_CONFIG",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Config file (env COMPLAINTCTL_CONFIG; default <store>/complaintctl.toml).",
)
@click.option(
    "--backend",
    envvar="COMPLAINTCTL_BACKEND",
    type=click.Choice(configuration.BACKENDS),
    help="Storage backend (env COMPLAINTCTL_BACKEND; default: the config's, else file).",
)
@click.option(
    "--key-file",
    type=click.Path(dir_okay=False, path_type=Path),
    help="The encryption-at-rest key (env COMPLAINTCTL_KEY_FILE, or the key itself in "
    "COMPLAINTCTL_CIPHER_KEY); used when the config says [store] encrypt = true.",
)
@click.option("--json", "as_json", is_flag=True, help="Print one JSON document on stdout.")
@click.option("--debug", is_flag=True, help="Show tracebacks of unexpected failures.")
@click.version_option(package_name="complaintctl")
@click.pass_context
def main(
    ctx: click.Context,
    store: Path,
    actor: str,
    config_path: Path | None,
    backend: str | None,
    key_file: Path | None,
    as_json: bool,
    debug: bool,
) -> None:
    """Handle customer complaints from receipt to archive, on an event-sourced store.

    \b
    Example:
        complaintctl --store ./complaints --actor 陈总 init --preset car-service
        complaintctl new --customer 王先生 --contact 13800000000 \\
            --channel walk-in --category misquote --summary "报价200,实际1000多"

    Shell completion: eval "$(complaintctl completion bash)" (or zsh, fish).
    """
    # Everything this process creates (store, logs, indexes, cache, keys, attachments,
    # the config) is for the store's owner only: directories 0700, files 0600.
    os.umask(0o077)
    actor = actor.strip()
    if not actor:
        raise UsageProblem("--actor must not be empty")
    ctx.obj = Ctx(
        store=store,
        actor=actor,
        config_path=config_path or store / configuration.CONFIG_NAME,
        backend=backend,
        debug=debug,
        json=as_json,
        key_file=key_file,
    )


# -- setting up ---------------------------------------------------------------


@main.command()
@click.option(
    "--preset",
    type=click.Choice(sorted(presets.PRESETS)),
    default="general",
    show_default=True,
    help="A starting configuration for a kind of shop.",
)
@click.option("--force", is_flag=True, help="Overwrite an existing config file.")
@json_option
@pass_ctx
def init(obj: Ctx, preset: str, force: bool) -> None:
    """Write complaintctl.toml for a new store; the actor is listed as a manager (tier 3).

    Actors missing from the staff list may act as tier-1 agents until the
    shop sets shop.allow_unknown_staff = false.

    \b
    Example:
        complaintctl --store ./complaints --actor 陈总 init --preset car-service
    """
    path = obj.config_path
    if path.exists() and not force:
        raise UsageProblem(f"{path} already exists; use --force to overwrite it")
    data = presets.preset(preset)
    data["shop"]["preset"] = preset
    data["staff"][obj.actor] = {"tier": 3, "role": "manager", "department": "management"}
    # New stores seal customers' personal data per customer, so `forget` can shred it.
    data.setdefault("privacy", {"encrypt_personal": True, "retention_days": 1095})
    if obj.backend:
        data["store"]["backend"] = obj.backend
    obj.store.mkdir(parents=True, exist_ok=True, mode=0o700)
    obj.store.chmod(0o700)
    configuration.write(path, data)
    result = {"config": str(path), "store": str(obj.store), "preset": preset, "manager": obj.actor}
    if obj.json:
        render.emit_json(result)
    else:
        click.echo(render.safe(f"wrote {path} (preset {preset}); {obj.actor} is a manager, tier 3"))


# -- receive ------------------------------------------------------------------


@main.command()
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
@click.option("--received-at", help="When it was received (TIME; default now).")
@click.option("--occurred-at", help="When the problem happened (TIME).")
@click.option("--owner", help="First-ask owner (default: the actor).")
@click.option("--vip", is_flag=True, help="A VIP or influential customer (flags major).")
@click.option("--mood", help="The customer's mood, e.g. calm, upset, angry.")
@click.option("--signed", is_flag=True, help="A walk-in customer signed the record.")
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
    received_at: str | None,
    occurred_at: str | None,
    owner: str | None,
    vip: bool,
    mood: str | None,
    signed: bool,
) -> None:
    """Record a new complaint and print its reference (C-<year>-<5 digits>).

    \b
    Example:
        complaintctl new --customer 王先生 --contact 13800000000 --channel walk-in \\
            --category misquote --summary "鼓风机报价200元,实际1000多元" \\
            --demand "按原报价维修" --demand-amount 800 --signed --mood angry
    """
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
                received_at=obj.time(received_at, "--received-at"),
                occurred_at=obj.time(occurred_at, "--occurred-at"),
                owner=owner,
                vip=vip,
                mood=mood,
                signed_by_customer=signed,
            ),
            obj.actor,
        )
    )
    if obj.json:
        render.emit_json(case)
    else:
        click.echo(case["ref"])
        if case["severity"] == "major" and case["severity_by"] == "rule":
            reasons = "; ".join(case["major_reasons"])
            click.echo(render.safe(f"flagged major by rule: {reasons}"), err=True)


# -- the life of a case -----------------------------------------------------------


@main.command()
@click.argument("ref")
@click.option("--reply-by", help="Promised reply time (TIME; default from the config).")
@click.option("--message", help="What the customer was told.")
@json_option
@pass_ctx
def ack(obj: Ctx, ref: str, reply_by: str | None, message: str | None) -> None:
    """Acknowledge a complaint and promise when the customer hears back.

    \b
    Example:
        complaintctl ack C-2026-00001 --reply-by +24h --message "已致歉,明天答复"
    """
    case = obj.case_of(
        obj.app().acknowledge(ref, obj.actor, obj.time(reply_by, "--reply-by"), message)
    )
    when = render.local_time(case["reply_by"], obj.zone)
    obj.done(case, f"{case['ref']} acknowledged; reply by {when}")


@main.command()
@click.argument("ref")
@click.argument("owner")
@json_option
@pass_ctx
def assign(obj: Ctx, ref: str, owner: str) -> None:
    """Give the case to another handler (the first-ask owner stays responsible).

    \b
    Example:
        complaintctl assign C-2026-00001 王强
    """
    case = obj.case_of(obj.app().assign(ref, owner, obj.actor))
    obj.done(case, f"{case['ref']} assigned to {case['owner']}")


@main.command()
@click.argument("ref")
@click.argument("department")
@click.option("--reason", help="Why the department is needed.")
@click.option(
    "--co-handle", is_flag=True, help="Work together (会办) rather than hand over (转办)."
)
@json_option
@pass_ctx
def transfer(obj: Ctx, ref: str, department: str, reason: str | None, co_handle: bool) -> None:
    """Transfer the case to, or co-handle it with, another department.

    \b
    Example:
        complaintctl transfer C-2026-00001 parts --reason "核对零件价格" --co-handle
    """
    case = obj.case_of(obj.app().transfer(ref, department, obj.actor, reason, co_handle))
    mode = "co-handled with" if co_handle else "transferred to"
    obj.done(case, f"{case['ref']} {mode} {department}")


@main.command()
@click.argument("ref")
@click.option("--category", help="A category of the config.")
@click.option("--severity", type=click.Choice(SEVERITIES))
@click.option("--reason", help="Why (needed when the severity changes).")
@json_option
@pass_ctx
def classify(
    obj: Ctx, ref: str, category: str | None, severity: str | None, reason: str | None
) -> None:
    """Set the category and/or the severity (general or major, with a reason).

    \b
    Example:
        complaintctl classify C-2026-00001 --severity major --reason "客户威胁媒体曝光"
    """
    case = obj.case_of(obj.app().classify(ref, obj.actor, category, severity, reason))
    obj.done(case, f"{case['ref']} classified: {case['category']}, {case['severity']}")


@main.command()
@click.argument("ref")
@click.argument("text")
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
    obj.done(case, f"{case['ref']} noted")


@main.command()
@click.argument("ref")
@click.option("--outcome", required=True, type=click.Choice(CONTACT_OUTCOMES))
@click.option("--channel", help="phone, sms, email, visit...")
@click.option("--summary", help="What was said.")
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
    obj.done(case, f"{case['ref']} contact recorded: {outcome}")


@main.command()
@click.argument("ref")
@click.argument("finding")
@json_option
@pass_ctx
def investigate(obj: Ctx, ref: str, finding: str) -> None:
    """Record a finding of the investigation.

    \b
    Example:
        complaintctl investigate C-2026-00001 "服务顾问报错零件号"
    """
    case = obj.case_of(obj.app().investigate(ref, finding, obj.actor))
    obj.done(case, f"{case['ref']} finding recorded")


@main.command()
@click.argument("ref")
@click.option("--valid/--not-valid", default=None, help="Our fault, or the customer's own cause.")
@click.option("--root-cause", help="What caused it.")
@click.option("--at-fault", multiple=True, help="Staff or department at fault (repeatable).")
@json_option
@pass_ctx
def assess(
    obj: Ctx, ref: str, valid: bool | None, root_cause: str | None, at_fault: tuple[str, ...]
) -> None:
    """Judge whether the complaint is valid, and record root cause and who is at fault.

    \b
    Example:
        complaintctl assess C-2026-00001 --valid --root-cause "报价未核对系统价格" \\
            --at-fault 张伟 --at-fault service
    """
    if valid is None:
        raise UsageProblem("assess needs --valid or --not-valid")
    case = obj.case_of(obj.app().assess(ref, obj.actor, valid, root_cause, list(at_fault)))
    obj.done(case, f"{case['ref']} assessed: {'valid' if valid else 'not valid'}")


@main.command()
@click.argument("ref")
@click.option("--tier", required=True, type=click.IntRange(1, 3), help="1, 2 or 3.")
@click.option("--reason", required=True)
@json_option
@pass_ctx
def escalate(obj: Ctx, ref: str, tier: int, reason: str) -> None:
    """Move the case up one or more tiers (only a manager moves it down).

    \b
    Example:
        complaintctl escalate C-2026-00001 --tier 2 --reason "客户不接受一线方案"
    """
    case = obj.case_of(obj.app().escalate(ref, obj.actor, tier, reason))
    obj.done(case, f"{case['ref']} now at tier {case['tier']}")


@main.command()
@click.argument("ref")
@click.option("--remedy", required=True, type=click.Choice(REMEDY_KINDS))
@click.option("--amount", type=DECIMAL, help="Amount of money, if any.")
@click.option("--currency", type=CURRENCY, help="Currency of --amount (default: config's).")
@click.option("--detail", help="What exactly is offered.")
@json_option
@pass_ctx
def propose(
    obj: Ctx,
    ref: str,
    remedy: str,
    amount: Decimal | None,
    currency: str | None,
    detail: str | None,
) -> None:
    """Propose a remedy; above the actor's tier limit it needs approval first.

    \b
    Example:
        complaintctl propose C-2026-00001 --remedy fee-waiver --amount 800 \\
            --currency CNY --detail "差价由店方承担"
    """
    case = obj.case_of(obj.app().propose(ref, obj.actor, remedy, amount, currency, detail))
    p = case["proposals"][-1]
    extra = f"; needs approval by tier {p['required_tier']}" if p["needs_approval"] else ""
    obj.done(case, f"{case['ref']} proposal {p['number']}: {remedy}{extra}")


@main.command()
@click.argument("ref")
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


@main.command()
@click.argument("ref")
@click.option("--reason", help="What the customer said.")
@json_option
@pass_ctx
def accept(obj: Ctx, ref: str, reason: str | None) -> None:
    """Record that the customer accepted the latest proposal.

    \b
    Example:
        complaintctl accept C-2026-00001 --reason "客户同意"
    """
    case = obj.case_of(obj.app().accept(ref, obj.actor, reason))
    obj.done(case, f"{case['ref']} proposal accepted")


@main.command()
@click.argument("ref")
@click.option("--reason", help="What the customer said.")
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


@main.command()
@click.argument("ref")
@click.option("--summary", required=True, help="What was done.")
@json_option
@pass_ctx
def resolve(obj: Ctx, ref: str, summary: str) -> None:
    """Mark the case resolved: the agreed remedy was carried out.

    \b
    Example:
        complaintctl resolve C-2026-00001 --summary "按200元更换鼓风机"
    """
    case = obj.case_of(obj.app().resolve(ref, obj.actor, summary))
    obj.done(case, f"{case['ref']} resolved")


@main.command()
@click.argument("ref")
@click.option("--outcome", required=True, type=click.Choice(FOLLOWUP_OUTCOMES))
@click.option("--satisfaction", type=click.IntRange(1, 5), help="1 (bad) to 5 (very good).")
@click.option("--leftover", help="A problem left over (reopens the case).")
@click.option("--channel", help="phone, sms, email, visit...")
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
    extra = "; reopened for the leftover problem" if leftover else ""
    obj.done(case, f"{case['ref']} followed up: {outcome}{extra}")


@main.command()
@click.argument("ref")
@click.option("--reason", required=True)
@json_option
@pass_ctx
def reopen(obj: Ctx, ref: str, reason: str) -> None:
    """Reopen a resolved, closed, withdrawn or (by a manager) archived case.

    \b
    Example:
        complaintctl reopen C-2026-00001 --reason "客户反映问题复发"
    """
    case = obj.case_of(obj.app().reopen(ref, obj.actor, reason))
    obj.done(case, f"{case['ref']} reopened")


@main.command()
@click.argument("ref")
@json_option
@pass_ctx
def close(obj: Ctx, ref: str) -> None:
    """Close a resolved case (结案).

    \b
    Example:
        complaintctl close C-2026-00001
    """
    case = obj.case_of(obj.app().close_case(ref, obj.actor))
    obj.done(case, f"{case['ref']} closed")


@main.command()
@click.argument("ref")
@click.option("--root-cause", required=True)
@click.option("--lesson", required=True)
@click.option("--action", help="The internal improvement (training, process change).")
@click.option("--action-owner", help="Who carries out the improvement.")
@json_option
@pass_ctx
def review(
    obj: Ctx,
    ref: str,
    root_cause: str,
    lesson: str,
    action: str | None,
    action_owner: str | None,
) -> None:
    """Record the review (总结): cause, lesson, improvement and its owner.

    \b
    Example:
        complaintctl review C-2026-00001 --root-cause "报价流程无复核" \\
            --lesson "报价前查系统" --action "报价双人复核" --action-owner 王强
    """
    case = obj.case_of(obj.app().review(ref, obj.actor, root_cause, lesson, action, action_owner))
    obj.done(case, f"{case['ref']} reviewed")


@main.command()
@click.argument("ref")
@json_option
@pass_ctx
def archive(obj: Ctx, ref: str) -> None:
    """Archive a closed case; afterwards only a manager can reopen it.

    \b
    Example:
        complaintctl archive C-2026-00001
    """
    case = obj.case_of(obj.app().archive(ref, obj.actor))
    obj.done(case, f"{case['ref']} archived")


@main.command()
@click.argument("ref")
@click.option("--reason", required=True)
@json_option
@pass_ctx
def withdraw(obj: Ctx, ref: str, reason: str) -> None:
    """Record that the customer withdrew the complaint.

    \b
    Example:
        complaintctl withdraw C-2026-00001 --reason "客户撤回投诉"
    """
    case = obj.case_of(obj.app().withdraw(ref, obj.actor, reason))
    obj.done(case, f"{case['ref']} withdrawn")


@main.command()
@click.argument("refs", nargs=-1, required=True)
@click.option("--group", help="Also put the cases in this group (created if new).")
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
        render.emit_json(result)
    else:
        where = f" in group {group}" if group else ""
        click.echo(render.safe(f"linked {', '.join(result['linked'])}{where}"))


@main.command()
@click.argument("ref")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--kind", type=click.Choice(ATTACHMENT_KINDS), default="document", show_default=True)
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
    obj.done(case, f"{case['ref']} attached {blob.name} ({blob.size} bytes, {blob.sha256[:12]})")


@main.command()
@click.argument("ref")
@click.option("--reason", required=True)
@json_option
@pass_ctx
def extend(obj: Ctx, ref: str, reason: str) -> None:
    """Extend the regulatory decision date to the config's next step (e.g. 15 -> 30 -> 60 days).

    \b
    Example:
        complaintctl extend C-2026-00001 --reason "需要第三方鉴定"
    """
    case = obj.case_of(obj.app().extend_decision(ref, obj.actor, reason))
    when = render.local_time(case["decision_due"], obj.zone)
    obj.done(case, f"{case['ref']} decision due {when}")


# -- reading --------------------------------------------------------------------


@main.command()
@click.argument("ref")
@click.option("--as-of", "as_of", help="The case as it was at TIME (readcmds.show_as_of).")
@json_option
@pass_ctx
def show(obj: Ctx, ref: str, as_of: str | None = None) -> None:
    """Show one case: its fields, proposals, attachments, follow-ups and notes.

    \b
    Example:
        complaintctl show c-2026-00001 --json
        complaintctl show C-2026-00001 --as-of 2026-11-20T18:00
    """
    if as_of is not None:
        from complaintctl.readcmds import show_as_of

        return show_as_of(obj, ref, as_of)
    case = obj.case_of(ref)
    if obj.json:
        render.emit_json(case)
    else:
        click.echo(render.case_text(case, obj.zone))


@main.command()
@click.argument("ref")
@json_option
@pass_ctx
def history(obj: Ctx, ref: str) -> None:
    """Every event of the case, oldest first: time, actor, what changed.

    \b
    Example:
        complaintctl history C-2026-00001
    """
    from complaintctl.readcmds import models

    events = models(obj).history(ref)
    if obj.json:
        render.emit_json(events)
    else:
        click.echo(render.history_text(events, obj.zone))


@main.command()
@json_option
@pass_ctx
def verify(obj: Ctx) -> None:
    """Check the store: the log's hash chain and every attached file (exit 6 if not intact).

    \b
    Example:
        complaintctl verify --json
    """
    app = obj.app()
    logs: list[dict[str, Any]] = []
    if (obj.backend or obj.config().backend) == "file":
        from complaintctl.filestore import verify_store

        for report in verify_store(obj.store):
            logs.append(
                {
                    "file": report.file,
                    "ok": report.ok,
                    "line": report.line,
                    "problem": report.problem,
                    "events": report.events,
                }
            )
    attachments = []
    box = open_store(obj.store, app, obj.config().raw)
    for a in app.iter_attachments():
        problem = box.check(a["sha256"], a["size"])
        attachments.append(
            {
                "ref": a["ref"],
                "name": a["name"],
                "sha256": a["sha256"],
                "ok": problem is None,
                "problem": problem,
            }
        )
    stale = box.stale()  # left by a killed attach: reported, removed by the next attach
    ok = all(r["ok"] for r in logs) and all(a["ok"] for a in attachments)
    if obj.json:
        render.emit_json({"ok": ok, "logs": logs, "attachments": attachments, "stale": stale})
    else:
        rows = [
            [
                r["file"],
                "ok" if r["ok"] else "BAD",
                r["events"],
                r["line"] or "",
                r["problem"] or "",
            ]
            for r in logs
        ]
        rows += [
            [f"{a['ref']} {a['name']}", "ok" if a["ok"] else "BAD", "", "", a["problem"] or ""]
            for a in attachments
        ]
        rows += [[name, "stale", "", "", "left by an interrupted attach"] for name in stale]
        click.echo(render.table(rows, ["what", "state", "events", "line", "problem"]))
    if not ok:
        raise VerifyFailed("the store failed verification")


@main.command()
@click.argument("shell", type=click.Choice(["bash", "zsh", "fish"]))
def completion(shell: str) -> None:
    """Print the shell completion script.

    \b
    Example:
        eval "$(complaintctl completion bash)"     # in ~/.bashrc
    """
    from click.shell_completion import get_completion_class

    cls = get_completion_class(shell)
    assert cls is not None
    click.echo(cls(main, {}, "complaintctl", "_COMPLAINTCTL_COMPLETE").source())


@main.command()
@click.option(
    "--dir",
    "directory",
    default="./demo-store",
    show_default=True,
    type=click.Path(file_okay=False, path_type=Path),
    help="Where the demo store lives (created or reused).",
)
@json_option
@click.pass_context
def demo(ctx: click.Context, directory: Path) -> None:
    """Run a worked case (a misquoted blower motor) from receipt to archive, and show it.

    \b
    Example:
        complaintctl demo --dir ./demo-store
    """
    from complaintctl.demo import run_demo

    obj = ctx.find_object(Ctx)
    as_json = bool(obj and obj.json)
    run_demo(directory, as_json=as_json, echo=click.echo)


# -- moving data (complaintctl.datacmds) ------------------------------------------

from complaintctl import datacmds  # noqa: E402  (needs the group and Ctx above)

datacmds.register(main)

# -- reading commands (complaintctl.readcmds, read models in projections/) ----------

from complaintctl import readcmds  # noqa: E402  (needs the group and Ctx above)

readcmds.register(main)

# -- privacy: forget, purge-candidates, keygen (complaintctl.privacycmds) --------------

from complaintctl import privacycmds  # noqa: E402  (needs the group and Ctx above)

privacycmds.register(main)
