"""Privacy commands: ``forget`` (crypto-shredding), ``purge-candidates``, ``keygen``.

Thin like the rest of the CLI: sealing and forgetting live in ``events.personal``,
``events.privacy`` and :mod:`complaintctl.forget`, keys in :mod:`complaintctl.keyring`,
the lists in the read models.
"""

from __future__ import annotations

import base64
import os
import sys
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from complaintctl.cli.context import Ctx, pass_ctx
from complaintctl.cli.options import json_option, output_options, quiet_option, time_option
from complaintctl.errors import NotFound, UsageProblem
from complaintctl.i18n import _
from complaintctl.render import emit_json, safe
from complaintctl.render.rows import emit_rows

if TYPE_CHECKING:
    from events.privacy import Forgettable


def _show_plan(obj: Ctx, plan: list[Forgettable]) -> None:
    for e in plan:
        if e.sealed:
            line = _("will forget {customer}: {count} case(s) {cases}")
        else:
            line = _(
                "cannot forget {customer} ({cases}): recorded in plain text, "
                "before personal data was sealed"
            )
        obj.say(safe(line.format(customer=e.label, count=len(e.cases), cases=", ".join(e.cases))))


@click.command("forget")
@click.argument("customer")
@click.option("--yes", is_flag=True, help="Do not ask; needed when not on a terminal.")
@quiet_option
@json_option
@pass_ctx
def forget(obj: Ctx, customer: str, yes: bool) -> None:
    """Crypto-shred a customer's personal data: name, contact and account number.

    CUSTOMER is a name or contact, as for `customer`. Each matching customer's
    key is deleted; their cases, history, statistics and reports stay, the log
    still verifies, and the personal fields read "[forgotten]" from then on,
    with the free text of their cases where [privacy] seal_free_text is on.
    What cannot be erased (an attachment's content, text in plain text, another
    customer's case naming them, other desks' caches) is listed after.
    Needs the manager role; cannot be undone (unless keys/ was backed up).

    \b
    Example:
        complaintctl --actor 陈总 forget 13800000000 --yes
    """
    from complaintctl import forget as forgetting

    def confirm() -> None:
        if yes:
            return
        if not sys.stdin.isatty():
            raise UsageProblem(
                _("forget needs --yes when not run on a terminal; nothing forgotten")
            )
        if not click.confirm(_("Forget them? This cannot be undone"), default=False, err=True):
            raise UsageProblem(_("not confirmed; nothing forgotten"))

    def warn(kept: list[dict[str, Any]]) -> None:
        if not yes:  # asked: say first what stays (with --yes it is printed after)
            from complaintctl.leftovers import describe

            for item in kept:
                click.echo(safe(describe(item)), err=True)

    app = obj.app()
    try:
        result = forgetting.forget(
            app,
            obj.models(),
            obj.store,
            customer,
            obj.actor,
            show=lambda plan: _show_plan(obj, plan),
            confirm=confirm,
            shared=(obj.backend or obj.config().backend) != "file",
            warn=warn,
        )
    except forgetting.NothingToForget as e:
        raise NotFound(str(e)) from None
    from complaintctl.leftovers import describe

    forgot = _("forgot customer {subject}: {cases}")
    lines = [
        forgot.format(subject=d["subject"], cases=", ".join(d["cases"]))
        for d in result["forgotten"]
    ] + [describe(item) for item in result["not_erased"]]
    obj.emit(result, "\n".join(safe(line, multiline=True) for line in lines))


@click.command("purge-candidates")
@click.option(
    "--older-than",
    "days",
    type=click.IntRange(min=0),
    help="Days since closing (default: the config's [privacy] retention_days).",
)
@time_option("--as-of", "as_of", help="Count the days up to TIME instead of now.")
@quiet_option
@output_options()
@pass_ctx
def purge_candidates(obj: Ctx, days: int | None, as_of: datetime | None) -> None:
    """List closed and archived cases closed more than DAYS ago (past the retention period).

    Nothing is deleted: the log is append-only. Forget the customers listed
    with `forget` if the retention rules say their personal data must go.

    \b
    Example:
        complaintctl purge-candidates --older-than 1095 --json
    """
    if days is None:
        days = obj.config().policy.retention_days
    if days is None:
        raise UsageProblem(
            _("give --older-than DAYS, or set [privacy] retention_days in the config")
        )
    rows = obj.models().purge_candidates(days, as_of or obj.app().clock())
    columns = ("ref", "status", "closed_at", "days_closed", "customer", "contact")
    emit_rows(rows, columns, obj.output, obj.zone)
    if not obj.json:
        closed = _("{count} case(s) closed more than {days} day(s) ago")
        obj.say(closed.format(count=len(rows), days=days))


@click.command("keygen")
@click.option(
    "--out",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write the key to this file (created 0600; refused if it exists).",
)
@quiet_option
@json_option
@pass_ctx
def keygen(obj: Ctx, out: Path | None) -> None:
    """Make a new random key for encryption at rest ([store] encrypt = true).

    Keep it out of the store and out of the config: give it with --key-file or
    COMPLAINTCTL_CIPHER_KEY. A lost key makes the store unreadable.

    \b
    Example:
        complaintctl keygen --out ~/.config/complaintctl/store.key
    """
    key = base64.b64encode(os.urandom(32)).decode("ascii")
    if out is None:
        obj.emit({"key": key}, key)
        return
    try:
        fd = os.open(out, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        raise UsageProblem(_("{file} exists; not overwritten").format(file=out)) from None
    with os.fdopen(fd, "w") as f:
        f.write(key + "\n")
    if obj.json:
        emit_json({"file": str(out)})
    else:
        obj.say(safe(_("wrote a new key to {file}").format(file=out)))
