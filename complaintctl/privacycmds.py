"""Privacy commands: ``forget`` (crypto-shredding), ``purge-candidates``, ``keygen``.

Thin like the rest of the CLI: sealing and forgetting live in
``events.personal`` and ``events.privacy``, keys in :mod:`complaintctl.keyring`,
the lists in the read models.
"""

from __future__ import annotations

import base64
import os
import sys
from pathlib import Path

import click

from complaintctl import render
from complaintctl.cli import Ctx, json_option, pass_ctx
from complaintctl.errors import NotFound, Refused, UsageProblem
from complaintctl.keyring import refresh_after_forgets
from events.privacy import check_forget, forget_customers, plan_forget
from projections.models import CustomerNotFound


@click.command("forget")
@click.argument("customer")
@click.option("--yes", is_flag=True, help="Do not ask; needed when not on a terminal.")
@json_option
@pass_ctx
def forget_cmd(obj: Ctx, customer: str, yes: bool) -> None:
    """Crypto-shred a customer's personal data: name, contact and account number.

    CUSTOMER is a name or contact, as for `customer`. Each matching customer's
    key is deleted; their cases, history, statistics and reports stay, the log
    still verifies, and the personal fields read "[forgotten]" from then on.
    Needs the manager role; cannot be undone (unless keys/ was backed up).

    \b
    Example:
        complaintctl --actor 陈总 forget 13800000000 --yes
    """
    from complaintctl.readcmds import models

    app = obj.app()
    check_forget(app, obj.actor)
    rm = models(obj)
    try:
        found = rm.customer(customer)
    except CustomerNotFound:
        raise NotFound(f"no customer matches {customer!r}") from None
    plan = plan_forget(app, found["cases"])
    if not plan:
        raise NotFound(f"every customer matching {customer!r} is forgotten already")
    for e in plan:
        if e.sealed:
            line = f"will forget {e.label}: {len(e.cases)} case(s) {', '.join(e.cases)}"
        else:
            line = (
                f"cannot forget {e.label} ({', '.join(e.cases)}): recorded in plain text, "
                "before personal data was sealed"
            )
        click.echo(render.safe(line), err=True)
    subjects = {e.subject: e for e in plan if e.sealed}
    if not subjects:
        raise Refused(
            "refused by rule forget-needs-sealed-data: the matching customers' personal "
            "data is in the log in plain text and cannot be shredded"
        )
    if not yes:
        if not sys.stdin.isatty():
            raise UsageProblem("forget needs --yes when not run on a terminal; nothing forgotten")
        if not click.confirm("Forget them? This cannot be undone", default=False, err=True):
            raise UsageProblem("not confirmed; nothing forgotten")
    done = forget_customers(app, list(subjects), obj.actor)
    rm.rebuild()  # the read-model cache held the plain text: a fresh file, the old one gone
    refresh_after_forgets(app.keyring, obj.store, lambda: None)  # other desks: see keyring
    result = {
        "forgotten": [
            {"subject": d["subject"], "cases": subjects[d["subject"]].cases,
             "key_deleted": d["key_deleted"]}
            for d in done
        ]
    }  # fmt: skip
    if obj.json:
        render.emit_json(result)
    else:
        for d in result["forgotten"]:
            click.echo(render.safe(f"forgot customer {d['subject']}: {', '.join(d['cases'])}"))


@click.command("purge-candidates")
@click.option(
    "--older-than",
    "days",
    type=click.IntRange(min=0),
    help="Days since closing (default: the config's [privacy] retention_days).",
)
@click.option("--as-of", "as_of", help="Count the days up to TIME instead of now.")
@json_option
@pass_ctx
def purge_candidates_cmd(obj: Ctx, days: int | None, as_of: str | None) -> None:
    """List closed and archived cases closed more than DAYS ago (past the retention period).

    Nothing is deleted: the log is append-only. Forget the customers listed
    with `forget` if the retention rules say their personal data must go.

    \b
    Example:
        complaintctl purge-candidates --older-than 1095 --json
    """
    from complaintctl.readcmds import emit_rows, models

    policy = obj.config().policy
    if days is None:
        days = policy.retention_days
    if days is None:
        raise UsageProblem("give --older-than DAYS, or set [privacy] retention_days in the config")
    now = obj.time(as_of, "--as-of") or obj.app().clock()
    rows = models(obj).purge_candidates(days, now)
    columns = ("ref", "status", "closed_at", "days_closed", "customer", "contact")
    emit_rows(obj, rows, columns, "table")
    if not obj.json:
        click.echo(f"{len(rows)} case(s) closed more than {days} day(s) ago", err=True)


@click.command("keygen")
@click.option(
    "--out",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write the key to this file (created 0600; refused if it exists).",
)
@json_option
@pass_ctx
def keygen_cmd(obj: Ctx, out: Path | None) -> None:
    """Make a new random key for encryption at rest ([store] encrypt = true).

    Keep it out of the store and out of the config: give it with --key-file or
    COMPLAINTCTL_CIPHER_KEY. A lost key makes the store unreadable.

    \b
    Example:
        complaintctl keygen --out ~/.config/complaintctl/store.key
    """
    key = base64.b64encode(os.urandom(32)).decode("ascii")
    if out is None:
        if obj.json:
            render.emit_json({"key": key})
        else:
            click.echo(key)
        return
    try:
        fd = os.open(out, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        raise UsageProblem(f"{out} exists; not overwritten") from None
    with os.fdopen(fd, "w") as f:
        f.write(key + "\n")
    if obj.json:
        render.emit_json({"file": str(out)})
    else:
        click.echo(render.safe(f"wrote a new key to {out}"), err=True)


def register(group: click.Group) -> None:
    """Add these commands to the main group."""
    group.add_command(forget_cmd)
    group.add_command(purge_candidates_cmd)
    group.add_command(keygen_cmd)
