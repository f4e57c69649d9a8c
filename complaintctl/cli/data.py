"""Commands that move data in and out of a store: import, export, migrate.

Thin like the rest of the CLI: reading files and receiving rows live in
:mod:`complaintctl.importer`, copying and proving in :mod:`complaintctl.migrate`,
the rules in ``events``.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import click

from complaintctl.cli.context import Ctx, pass_ctx
from complaintctl.cli.options import at_option, json_option, output_options, quiet_option
from complaintctl.cli.progress import counter, progress
from complaintctl.errors import UsageProblem, VerifyFailed
from complaintctl.i18n import _
from complaintctl.render import emit_json, safe
from complaintctl.render.fields import EVENT_COLUMNS, EXPORT_CASE_COLUMNS
from complaintctl.render.rows import flat_data, stream_rows
from complaintctl.render.store import migrate_text


def source_env(obj: Ctx) -> dict[str, str]:
    from complaintctl.app import persistence_env

    cfg = obj.config()
    return persistence_env(obj.store, obj.backend or cfg.backend, cfg.store, key_file=obj.key_file)


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
@quiet_option
@json_option
@pass_ctx
def migrate(obj: Ctx, to: str, target: str) -> None:
    """Copy every event into an empty store on another backend, and prove the copy.

    Resumable: if it is interrupted, run the same command again. The proof
    compares event counts, each case's versions and a digest over all events
    (docs/migrate.md tells how to recompute it).

    \b
    Example:
        complaintctl migrate --to postgres --target postgresql://shop@127.0.0.1:5432/complaints
        complaintctl migrate --to sqlite --target ./complaints.db
    """
    from complaintctl.migrate import BadTarget, migrate_store, redact_url

    obj.config().policy.require_role(obj.actor, ("manager",), "migrate-needs-manager", "migrate")
    try:
        with counter(_("copying to {target}").format(target=redact_url(target))) as advance:
            result = migrate_store(obj.store, source_env(obj), to, target, progress=advance)
    except BadTarget as e:
        raise UsageProblem(str(e)) from None
    obj.emit(result, migrate_text(result))
    if not obj.json:
        copied = _("copied {count} event(s) to {target}").format(
            count=result["copied"], target=result["target"]
        )
        if result["resumed_from"]:
            resumed = _("resumed after position {position}")
            copied += ", " + resumed.format(position=result["resumed_from"])
        obj.say(safe(copied))
    if not result["ok"]:
        raise VerifyFailed(_("the copy does not match: ") + "; ".join(result["problems"]))
    if not obj.json:
        done = _('proved complete; to use it set [store] backend = "{backend}" in the config')
        obj.say(safe(done.format(backend=to)))


@click.command("import")
@click.argument(
    "file", type=click.Path(exists=True, dir_okay=False, allow_dash=True, path_type=Path)
)
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
@quiet_option
@click.option(
    "--attachments",
    "attachments",
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    help="With an events export: the folder to copy the attached files from (the source "
    "store's attachments/ folder, or its directory); each is checked against its SHA-256.",
)
@json_option
@at_option
@pass_ctx
def import_cases(
    obj: Ctx,
    file: Path,
    fmt: str | None,
    encoding: str | None,
    on_error: str,
    batch_size: int,
    attachments: Path | None,
) -> None:
    """Receive cases from a CSV or JSON Lines file (columns: the long options of new).

    FILE - reads standard input. Rows already imported (same content) are
    recognised and not received again, so an interrupted or repeated import
    is safe to run again. Template and column list: docs/import.md.

    What `export --what events` writes (JSON Lines or JSON) is the store's
    history: a manager imports it into an empty store, which then holds the
    same cases; importing it again writes nothing, and into a store with
    other events it is refused (exit 4).

    \b
    Examples:
        complaintctl import cases.csv --encoding gbk --on-error skip
        complaintctl --store old export --what events | complaintctl --store new import -
    """
    from complaintctl.importer import BadRow, run_import
    from complaintctl.refusals import detail
    from complaintctl.timeparse import parse_time

    def bad_row(b: BadRow) -> None:
        click.echo(safe(f"{file.name}:{b.line}: {detail(b.problem)}"), err=True)

    from events.businesstime import check_future, stated

    app, now, policy = obj.app(), datetime.now(UTC), obj.config().policy
    zone, calendar = policy.zone, policy.calendar
    at = stated()
    if at is not None:  # --at: not in the future; the file's relative times count from it
        check_future(at, now)
        now = at
    data: bytes | None = None
    if str(file) == "-":
        data = sys.stdin.buffer.read()
    with progress(_("importing {file}").format(file=file.name)) as update:
        result = run_import(
            app, file, obj.actor, parse_time=lambda t: parse_time(t, zone, now, calendar),
            fmt=fmt,
            encoding=encoding, skip_bad=on_error == "skip", batch_size=batch_size,
            on_bad=bad_row, progress=update, data=data, events_only=attachments is not None,
        )  # fmt: skip
    if result.get("kind") == "events":
        from complaintctl.attachments import open_store
        from complaintctl.eventimport import fill_attachments

        box = open_store(obj.store, app, obj.config().raw)
        copied, missing = fill_attachments(box, result.pop("attachments"), attachments)
        result["attachments_copied"] = copied
        result["attachments_not_carried"] = missing
    if obj.json:
        if result.get("kind") == "events":
            emit_json(result)
        else:  # a file of cases: one entry per row, written in C
            from complaintctl.importer import result_json

            click.echo(result_json(result))
        return
    for c in result["cases"]:
        click.echo(c["ref"])
    if result.get("kind") == "events":
        message = _(
            "imported {imported} event(s) ({cases} case(s)); {already} already in the store"
        )
        obj.say(
            safe(
                message.format(
                    imported=result["imported"],
                    cases=len(result["cases"]),
                    already=result["already_imported"],
                )
            )
        )
        if result["settings_not_imported"]:
            warning = _(
                "warning: this store has shop settings of its own; the export's {count}"
                " settings event(s) were left out (`config import` brings rules over)"
            )
            click.echo(warning.format(count=result["settings_not_imported"]), err=True)
        if result["attachments_not_carried"]:
            warning = _(
                "warning: {count} attached file(s) named in the export are not in this store:"
                " import again with --attachments DIR (the source's attachments/ folder);"
                " verify fails until then"
            )
            click.echo(warning.format(count=len(result["attachments_not_carried"])), err=True)
        return
    obj.say(
        safe(
            _(
                "imported {imported} case(s); {already} already imported; "
                "{bad} bad row(s) skipped; {repeated} repeated row(s) in the file"
            ).format(
                imported=result["imported"],
                already=result["already_imported"],
                bad=len(result["bad"]),
                repeated=len(result["duplicates_in_file"]),
            )
        )
    )


@click.command("export")
@output_options(default="jsonl", extra=("xlsx",))
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
@pass_ctx
def export(obj: Ctx, what: str, redact: bool) -> None:
    """Write every case (or every event) to stdout, for spreadsheets and other systems.

    JSON Lines and JSON give the whole objects, the other formats the main columns.

    \b
    Examples:
        complaintctl export --format csv > cases.csv
        complaintctl export --what events --redact > audit.jsonl
    """
    from complaintctl.redact import Redactor, load_secret
    from projections.case import public
    from projections.models import Filters

    rm = obj.models()
    columns: tuple[str, ...]
    redactor = Redactor(load_secret(obj.store)) if redact else None
    # Rows are made one at a time and JSON Lines, CSV and TSV written as they come
    # (render.rows.stream_rows): a million events need the memory of a few hundred.
    rows: Iterator[dict[str, Any]]
    if what == "cases":
        rows = (public(c) for c in rm.stream(Filters()))
        rows = (redactor.case(c) for c in rows) if redactor else rows
        columns = EXPORT_CASE_COLUMNS
    else:
        rows = (redactor.event(e) for e in rm.log()) if redactor else rm.log()
        if obj.output not in ("json", "jsonl"):
            rows = (flat for e in rows for flat in flat_data([e]))
        columns = EVENT_COLUMNS
    stream_rows(rows, columns, obj.output, obj.zone, sheet=what)
