"""``config``: the shop's settings, kept in the store as events (complaintctl.settings).

Thin: merging, checking and recording live in :mod:`complaintctl.settings` and
:mod:`events.settings`; the change log is the audit log's (``log``), filtered.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from complaintctl.cli.context import Ctx, pass_ctx
from complaintctl.cli.options import at_option, json_option, output_options
from complaintctl.i18n import _
from complaintctl.render import emit_json, safe
from complaintctl.render.rows import emit_rows


@click.group("config")
def config() -> None:
    """The shop's settings, kept in the store as events: show, get, set, import, log.

    The rules (staff and roles, tiers and remedy limits, categories, channels,
    departments, reply and resolve targets, calendar, major rules, privacy) are
    the shop's: a manager changes them with `config set` on any desk, every
    desk obeys them at once, and `config log` (or `log`) shows who changed
    which rule when. The desk's complaintctl.toml gives the starting values and
    keeps what is the desk's alone: the [store] table (connection, key file).

    \b
    Example:
        complaintctl --actor 陈总 config set tiers.1.remedy_limit 300
    """


def _emit_changes(obj: Ctx, changes: list[tuple[str, Any]], verb: str) -> None:
    from complaintctl.settings import shown

    rows = [{"key": k, "value": shown(k, v)} for k, v in changes]
    if obj.json:
        emit_json({"changed": rows})
        return
    if not rows:
        click.echo(_("nothing changed: the settings in force already say so"))
    for r in rows:
        value = _("(removed: its default applies)") if r["value"] is None else _toml(r["value"])
        line = _("set {key} = {value}") if verb == "set" else _("unset {key} = {value}")
        click.echo(safe(line.format(key=r["key"], value=value)))


@config.command("show")
@click.option("--origin", is_flag=True, help="Say where each key comes from: store, file, desk.")
@output_options()
@pass_ctx
def show(obj: Ctx, origin: bool) -> None:
    """Every setting in force on this desk, one dotted key a line (a password never shown).

    With --origin: `store` (changed in the store by `config set` or `config
    import`, with who set it), `file` (this desk's complaintctl.toml, as the shop
    started) or `desk` (the [store] table: this desk's alone).

    \b
    Example:
        complaintctl config show --origin
    """
    from complaintctl.settings import origins

    obj.config()  # the store opened, the actor checked
    rows = origins(obj.local_config(), obj.app())
    columns = ("key", "value", "origin", "set_by") if origin else ("key", "value")
    if not origin:
        rows = [{"key": r["key"], "value": r["value"]} for r in rows]
    emit_rows(rows, columns, obj.output, obj.zone)


@config.command("get")
@click.argument("key")
@json_option
@pass_ctx
def get(obj: Ctx, key: str) -> None:
    """Print one setting in force (a table prints as its dotted keys); exit 3 if none.

    \b
    Example:
        complaintctl config get tiers.1.remedy_limit
    """
    from complaintctl import settings

    obj.app()  # the actor checked
    value = settings.get(obj.config(), key)
    if obj.json:
        emit_json({"key": key, "value": value})
    elif isinstance(value, dict):
        for k, v in value.items():
            click.echo(safe(f"{key}.{k} = {_toml(v)}"))
    else:
        click.echo(safe(value if isinstance(value, str) else _toml(value)))


def _toml(value: Any) -> str:
    """A value as the file writes it (``true``, ``["a", "b"]``, ``"text"``)."""
    import tomli_w

    return tomli_w.dumps({"v": value}).strip()[4:] if value is not None else "(removed)"


@config.command("set")
@click.argument("key")
@click.argument("value")
@json_option
@at_option
@pass_ctx
def set_(obj: Ctx, key: str, value: str) -> None:
    """Change a shop setting for every desk (a manager only; appended to the log as an event).

    KEY is dotted as in complaintctl.toml (`reply.hours`, `tiers.1.remedy_limit`,
    `staff.王芳.role`); VALUE is a TOML value (`300`, `true`, `["phone", "web"]`)
    or else plain text; it is checked as the file is (exit 2 if invalid).
    With --at the change took effect then (not before the latest change):
    actions back-dated before it obey the rule it replaced.

    \b
    Example:
        complaintctl --actor 陈总 config set tiers.1.remedy_limit 300
    """
    from complaintctl import settings

    _, changed = settings.change(
        obj.app(), obj.local_config(), obj.actor, [(key, settings.parse_value(value))]
    )
    obj.reload_config()
    _emit_changes(obj, changed, "set")


@config.command("unset")
@click.argument("key")
@json_option
@at_option
@pass_ctx
def unset(obj: Ctx, key: str) -> None:
    """Remove a shop setting for every desk, so its default applies (a manager only).

    \b
    Example:
        complaintctl --actor 陈总 config unset staff.离职的人
    """
    from complaintctl import settings

    _, changed = settings.change(obj.app(), obj.local_config(), obj.actor, [(key, None)])
    obj.reload_config()
    _emit_changes(obj, changed, "unset")


@config.command("import")
@click.argument(
    "file",
    required=False,
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
)
@json_option
@at_option
@pass_ctx
def import_(obj: Ctx, file: Path | None) -> None:
    """Record what a hand-edited config file changes, as events (a manager only).

    FILE defaults to this desk's complaintctl.toml. Every key that differs from
    the settings in force is set, every key the file no longer has is removed;
    the [store] table stays the desk's own and is never imported. On a store
    whose rules were all in a desk's file so far (a file store moved by
    `migrate`), the first import records them, so a further desk can join.

    \b
    Example:
        complaintctl --actor 陈总 config import complaintctl.toml
    """
    from complaintctl import settings

    local = obj.local_config()
    wanted = settings.import_changes(local, obj.app(), file or obj.config_path)
    _, changed = settings.change(obj.app(), local, obj.actor, wanted)
    settings.start(obj.app(), local, obj.actor)  # a store's first import: a desk may join now
    obj.reload_config()
    _emit_changes(obj, changed, "set")


@config.command("log")
@output_options()
@pass_ctx
def log(obj: Ctx) -> None:
    """Who changed which shop setting when, oldest first (the settings' events in `log`).

    occurred_at: when the change took effect (`config set --at`); recorded_at: when it
    was typed in.

    \b
    Example:
        complaintctl config log --format csv > rule-changes.csv
    """
    from complaintctl.settings import shown
    from events.settings import SETTINGS_ID

    wanted = str(SETTINGS_ID)
    rows = []
    for e in obj.models().log():
        if e["originator_id"] != wanted or e["type"] != "SettingChanged":
            continue
        key = e["data"].get("key")
        rows.append(
            {
                "position": e["position"],
                "occurred_at": e["occurred_at"],  # in force from (config set --at)
                "recorded_at": e["recorded_at"],
                "actor": e["actor"],
                "key": key,
                "value": shown(str(key), e["data"].get("value")),
            }
        )
    columns = ("position", "occurred_at", "recorded_at", "actor", "key", "value")
    emit_rows(rows, columns, obj.output, obj.zone)
