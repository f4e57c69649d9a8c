"""Commands that move data in and out of a store: import, export, migrate.

Thin like the rest of the CLI: file reading lives in :mod:`complaintctl.importer`,
copying and proving in :mod:`complaintctl.migrate`, the rules in ``events``.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import click

from complaintctl import render
from complaintctl.app import persistence_env
from complaintctl.cli import Ctx, json_option, pass_ctx
from complaintctl.errors import Refused, StoreUnavailable, UsageProblem, VerifyFailed
from complaintctl.migrate import (
    MigrationError,
    TargetNotEmptyError,
    migrate,
    redact_url,
    target_settings,
)


@contextmanager
def progress_bar(label: str, length: int | None) -> Iterator[Callable[[int], None]]:
    """A progress bar on a terminal (stderr), silence elsewhere (cron, pipes)."""
    if not sys.stderr.isatty():
        yield lambda _n: None
        return
    bar: Any = click.progressbar(length=length, label=label, file=sys.stderr)
    with bar:
        yield bar.update


def source_env(obj: Ctx) -> dict[str, str]:
    cfg = obj.config()
    return persistence_env(obj.store, obj.backend or cfg.backend, cfg.store)


@click.command("migrate")
@click.option(
    "--to",
    "to",
    required=True,
    type=click.Choice(["file", "sqlite", "postgres"]),
    help="The backend to copy into.",
)
@click.option(
    "--target",
    required=True,
    help="A directory (file), a database file (sqlite) or a postgresql:// URL.",
)
@json_option
@pass_ctx
def migrate_cmd(obj: Ctx, to: str, target: str) -> None:
    """Copy every event into an empty store on another backend, and prove the copy.

    Resumable: if it is interrupted, run the same command again. The proof
    compares event counts, each case's versions and a digest over all events
    (docs/migrate.md tells how to recompute it).

    \b
    Example:
        complaintctl migrate --to postgres --target postgresql://shop@127.0.0.1:5432/complaints
        complaintctl migrate --to sqlite --target ./complaints.db
    """
    try:
        settings = target_settings(to, target)
    except ValueError as e:
        raise UsageProblem(f"--target: {e}") from None
    target_path = Path(settings.get("path", obj.store))
    tgt_env = persistence_env(target_path, to, settings, environ={})
    src_env = source_env(obj)
    if tgt_env == src_env:
        raise UsageProblem("--target is the current store")
    shown = redact_url(target)
    try:
        with progress_bar(f"copying to {shown}", None) as advance:
            report = migrate(src_env, tgt_env, progress=advance)
    except TargetNotEmptyError as e:
        raise Refused(f"refused by rule migrate-into-empty: {e}") from None
    except MigrationError as e:
        raise VerifyFailed(str(e)) from None
    except OSError as e:
        raise StoreUnavailable(f"cannot reach the target {shown}: {e}") from None
    result: dict[str, Any] = {"to": to, "target": shown, **report.to_dict()}
    if obj.json:
        render.emit_json(result)
    else:
        rows = [
            ["source", report.source.events, len(report.source.versions), report.source.digest],
            ["target", report.target.events, len(report.target.versions), report.target.digest],
        ]
        click.echo(render.table(rows, ["store", "events", "aggregates", "sha256 digest"]))
        resumed = f", resumed after position {report.resumed_from}" if report.resumed_from else ""
        click.echo(render.safe(f"copied {report.copied} event(s) to {shown}{resumed}"), err=True)
    if not report.ok:
        raise VerifyFailed("the copy does not match: " + "; ".join(report.problems()))
    if not obj.json:
        click.echo(
            render.safe(f'proved complete; to use it set [store] backend = "{to}" in the config'),
            err=True,
        )


def register(group: click.Group) -> None:
    """Add these commands to the main group."""
    group.add_command(migrate_cmd)
