"""The first writing commands of a case's life: ``ack``, ``note``, ``assign``,
``contact`` and ``investigate`` (the commands a desk runs most).

Each parses, makes one application call (the rules are in ``events``), and
prints the case (``--json``) or one line for a person (:meth:`Ctx.done`).
``new`` is in :mod:`.newcase`, the rest of a case's life in :mod:`.casework`:
the group imports only the module of the command that runs, so a module's
click parameters are built only for its own commands.
"""

from __future__ import annotations

import sys
from datetime import datetime

import click

from complaintctl.cli.context import Ctx, pass_ctx
from complaintctl.cli.options import at_option, json_option, time_option
from complaintctl.i18n import _, label
from complaintctl.render import local_time
from events.policy import CONTACT_OUTCOMES


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
