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
import orjson

from complaintctl import render
from complaintctl.app import persistence_env
from complaintctl.cli import Ctx, json_option, pass_ctx
from complaintctl.errors import Refused, StoreUnavailable, UsageProblem, VerifyFailed
from complaintctl.importer import BadRow, ImportFileError, parse_file
from complaintctl.migrate import (
    MigrationError,
    TargetNotEmptyError,
    migrate,
    redact_url,
    target_settings,
)
from complaintctl.readcmds import emit_rows, models
from complaintctl.redact import Redactor, load_secret
from complaintctl.timeparse import parse_time
from events.application import ImportRow, NewCase
from events.errors import InvalidInput, RuleRefused
from projections.case import public
from projections.models import Filters


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
    return persistence_env(obj.store, obj.backend or cfg.backend, cfg.store, key_file=obj.key_file)


def _location(env: dict[str, str]) -> dict[str, str]:
    """Where an env points, without tuning (a lock timeout) that does not change the store."""
    tuning = ("FILESTORE_LOCK_TIMEOUT", "CIPHER_TOPIC", "CIPHER_KEY")  # the cipher: how, not where
    return {k: v for k, v in env.items() if k not in tuning}


def _may_be_sqlite(path: Path) -> bool:
    """A new or empty file, or one with SQLite's header (a text file is not a target)."""
    try:
        with open(path, "rb") as f:
            head = f.read(16)
    except (FileNotFoundError, IsADirectoryError):
        return True  # created, or refused by the library (exit 7)
    except OSError:
        return True  # let the library say why it cannot open it
    return head in (b"", b"SQLite format 3\x00")


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
    obj.config().policy.require_role(obj.actor, ("manager",), "migrate-needs-manager", "migrate")
    try:
        settings = target_settings(to, target)
    except ValueError as e:
        raise UsageProblem(f"--target: {e}") from None
    if to == "sqlite" and not _may_be_sqlite(Path(settings["sqlite_dbname"])):
        raise UsageProblem(f"--target: {target} is not a SQLite database")
    target_path = Path(settings.get("path", obj.store))
    tgt_env = persistence_env(target_path, to, settings, environ={})
    src_env = source_env(obj)
    if _location(tgt_env) == _location(src_env):
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
    from complaintctl.keyring import copy_keys  # personal fields are sealed with keys

    copy_keys(obj.store, src_env, target_path, tgt_env)
    if not obj.json:
        click.echo(
            render.safe(f'proved complete; to use it set [store] backend = "{to}" in the config'),
            err=True,
        )


@click.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--format", "fmt", type=click.Choice(["csv", "jsonl"]), help="Default: by the file's suffix."
)
@click.option("--encoding", help="The file's encoding (default UTF-8, BOM or not; e.g. gbk).")
@click.option(
    "--on-error",
    type=click.Choice(["fail", "skip"]),
    default="fail",
    show_default=True,
    help="A bad row fails the whole import (nothing written), or is skipped and reported.",
)
@click.option(
    "--batch-size",
    type=click.IntRange(1, 10_000),
    default=500,
    show_default=True,
    help="Rows saved per atomic write (one fsync each).",
)
@json_option
@pass_ctx
def import_cmd(
    obj: Ctx, file: Path, fmt: str | None, encoding: str | None, on_error: str, batch_size: int
) -> None:
    """Receive cases from a CSV or JSON Lines file (columns: the long options of new).

    Rows already imported (same content) are recognised and not received
    again, so an interrupted or repeated import is safe to run again.
    Template and column list: docs/import.md.

    \b
    Example:
        complaintctl import cases.csv --encoding gbk --on-error skip
    """
    app = obj.app()
    app.policy.writer(obj.actor)  # an actor who may not write is refused before reading
    now = app.clock()
    try:
        parsed = parse_file(
            file, fmt=fmt, encoding=encoding, parse_time=lambda t: parse_time(t, obj.zone, now)
        )
    except ImportFileError as e:
        raise UsageProblem(f"{file}: {e}") from None
    rows: list[ImportRow] = []
    bad = list(parsed.bad)
    for row in parsed.rows:
        new = NewCase(**row.values)
        try:
            app.check_new(new, obj.actor)
        except (InvalidInput, RuleRefused) as e:
            bad.append(BadRow(row.line, str(e)))
            continue
        rows.append(ImportRow(new, row.key, row.line))
    bad.sort(key=lambda b: b.line)
    for b in bad:
        click.echo(render.safe(f"{file.name}:{b.line}: {b.problem}"), err=True)
    if bad and on_error == "fail":
        raise UsageProblem(
            f"{len(bad)} bad row(s); nothing imported (fix them, or use --on-error skip)"
        )
    created: list[dict[str, Any]] = []
    existing: list[dict[str, Any]] = []
    with progress_bar(f"importing {file.name}", len(rows)) as advance:
        for i in range(0, len(rows), batch_size):
            chunk = rows[i : i + batch_size]
            for done, ref, is_new in app.receive_many(chunk, obj.actor, source=file.name):
                (created if is_new else existing).append({"line": done.line, "ref": ref})
            advance(len(chunk))
    result = {
        "file": str(file),
        "imported": len(created),
        "already_imported": len(existing),
        "bad": [b.to_dict() for b in bad],
        "duplicates_in_file": [d.to_dict() for d in parsed.duplicates_in_file],
        "cases": created,
        "existing": existing,
    }
    if obj.json:
        render.emit_json(result)
        return
    for c in created:
        click.echo(c["ref"])
    click.echo(
        render.safe(
            f"imported {len(created)} case(s); {len(existing)} already imported; "
            f"{len(bad)} bad row(s) skipped; "
            f"{len(parsed.duplicates_in_file)} repeated row(s) in the file"
        ),
        err=True,
    )


EXPORT_CASE_COLUMNS = (
    "ref",
    "status",
    "received_at",
    "customer",
    "contact",
    "account",
    "channel",
    "category",
    "severity",
    "owner",
    "first_ask_owner",
    "tier",
    "summary",
    "demand",
    "valid",
    "root_cause",
    "acknowledged_at",
    "resolved_at",
    "closed_at",
    "reopen_count",
    "version",
)
EXPORT_EVENT_COLUMNS = ("position", "ref", "type", "recorded_at", "actor", "data", "hash")


@click.command("export")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["jsonl", "csv"]),
    default="jsonl",
    show_default=True,
    help="JSON Lines (whole objects) or CSV (main columns).",
)
@click.option(
    "--what",
    type=click.Choice(["cases", "events"]),
    default="cases",
    show_default=True,
    help="The current cases, or every event (the audit trail).",
)
@click.option(
    "--redact",
    is_flag=True,
    help="Replace names, contacts and account numbers with stable pseudonyms.",
)
@json_option
@pass_ctx
def export_cmd(obj: Ctx, fmt: str, what: str, redact: bool) -> None:
    """Write every case (or every event) to stdout, for spreadsheets and other systems.

    \b
    Examples:
        complaintctl export --format csv > cases.csv
        complaintctl export --what events --redact > audit.jsonl
    """
    rm = models(obj)
    redactor = Redactor(load_secret(obj.store)) if redact else None
    rows: list[dict[str, Any]]
    if what == "cases":
        rows = [public(c) for c in rm.find(Filters())]
        if redactor:
            rows = [redactor.case(c) for c in rows]
        columns: tuple[str, ...] = EXPORT_CASE_COLUMNS
    else:
        rows = list(rm.log())
        if redactor:
            rows = [redactor.event(e) for e in rows]
        if fmt == "csv":
            rows = [{**e, "data": orjson.dumps(e["data"]).decode()} for e in rows]
        columns = EXPORT_EVENT_COLUMNS
    emit_rows(obj, rows, columns, fmt)


def register(group: click.Group) -> None:
    """Add these commands to the main group."""
    group.add_command(migrate_cmd)
    group.add_command(import_cmd)
    group.add_command(export_cmd)
