"""Setting up and looking after a store: ``init``, ``verify``, ``rebuild``, ``demo``,
``completion``."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

import click

from complaintctl import presets
from complaintctl.cli.context import Ctx, pass_ctx
from complaintctl.cli.options import json_option, quiet_option
from complaintctl.cli.progress import progress
from complaintctl.errors import UsageProblem, VerifyFailed
from complaintctl.i18n import _
from complaintctl.render import safe


@click.command("init")
@click.option(
    "--preset",
    type=click.Choice(sorted(presets.PRESETS)),
    default="general",
    show_default=True,
    help="A starting configuration for a kind of shop.",
)
@click.option(
    "--force",
    is_flag=True,
    help="Overwrite an existing config file (only a manager of the existing store).",
)
@click.option(
    "--join",
    is_flag=True,
    help="A further desk on a shared database: write only this desk's part of the config.",
)
@quiet_option
@json_option
@pass_ctx
def init(obj: Ctx, preset: str, force: bool, join: bool) -> None:
    """Write complaintctl.toml for a new store; the actor is listed as a manager (tier 3).

    Actors missing from the staff list may act as tier-1 agents until the
    shop sets shop.allow_unknown_staff = false. On SQLite or PostgreSQL the
    connection comes from the library's variables (POSTGRES_HOST, POSTGRES_PORT,
    POSTGRES_DBNAME, POSTGRES_USER, POSTGRES_SCHEMA, SQLITE_DBNAME) and is
    recorded in [store], never the password; init tests it first. The first
    desk records the shop's rules in the database; a database that holds a
    shop already is refused (exit 4) unless --join: then only [store] is
    written and every rule comes from the database.

    \b
    Example:
        complaintctl --store ./complaints --actor 陈总 init --preset car-service
        POSTGRES_DBNAME=shop complaintctl --backend postgres --store ./desk2 init --join
    """
    from complaintctl import config as configuration
    from complaintctl import desks

    path = obj.config_path
    if path.exists():
        if not force:
            raise UsageProblem(
                _("{file} already exists; use --force to overwrite it").format(file=path)
            )
        # Re-initialising hands out tier 3: only a manager of the store as it is may do it.
        obj.config().policy.require_role(
            obj.actor, ("manager",), "init-force-needs-manager", "init --force"
        )
    backend = obj.backend or "file"
    if join and backend == "file":
        raise UsageProblem(_("--join is for a shared database: use --backend sqlite or postgres"))
    store = desks.connection(backend, obj.store)
    if join:
        data: dict[str, Any] = {"store": store}
    else:
        data = presets.preset(preset)
        data["shop"]["preset"] = preset
        data["staff"][obj.actor] = {"tier": 3, "role": "manager", "department": "management"}
        # New stores seal customers' personal data per customer, so `forget` can shred it.
        # Their cases' free text too (their name and number are typed into notes).
        data.setdefault(
            "privacy",
            {"encrypt_personal": True, "seal_free_text": True, "retention_days": 1095},
        )
        data["store"] |= store
    desks.probe(store)
    obj.store.mkdir(parents=True, exist_ok=True, mode=0o700)
    obj.store.chmod(0o700)
    if backend != "file":
        _record_shop(obj, data, join, force)
    if join:
        configuration.parse_local(data)
        configuration.write(path, data, local=True)
        result = {"config": str(path), "store": str(obj.store), "joined": True}
        obj.emit(result, safe(f"wrote {path}: this desk joined the shop in the database"))
        return
    configuration.write(path, data)
    result = {"config": str(path), "store": str(obj.store), "preset": preset, "manager": obj.actor}
    done = _("wrote {path} (preset {preset}); {actor} is a manager, tier 3")
    obj.emit(result, safe(done.format(path=path, preset=preset, actor=obj.actor)))


def _record_shop(obj: Ctx, data: dict[str, Any], join: bool, force: bool) -> None:
    """On a shared database: refuse a second shop, record the first desk's rules.

    ``--force`` rewrites this desk's file over a shop that is there already.
    """
    from complaintctl import config as configuration
    from complaintctl.app import open_app
    from complaintctl.desks import refuse_if_shop
    from complaintctl.settings import plain
    from events.settings import start_settings

    cfg = configuration.parse_local(data) if join else configuration.parse(data)
    app = open_app(obj.store, policy=cfg.policy, backend=cfg.backend, settings=cfg.store,
                   key_file=obj.key_file)  # fmt: skip
    try:
        count = app.recorder.max_notification_id() or 0
        if not (force and count):
            refuse_if_shop(count, join)
        if not join:
            start_settings(app, plain(data), obj.actor)
    finally:
        app.close()


def _expect(_ctx: click.Context, _param: click.Parameter, value: str | None) -> Any:
    if value is None:
        return None
    from complaintctl.integrity import parse_expect

    try:
        return parse_expect(value)
    except ValueError as e:
        raise click.BadParameter(str(e)) from None


@click.command("verify")
@click.option(
    "--expect",
    metavar="POSITION:HASH",
    callback=_expect,
    help="A head written down earlier: exit 6 unless the log still holds that line with that hash.",
)
@click.option(
    "--deep",
    is_flag=True,
    help="Also fold the whole log afresh and compare every case with the read-model cache.",
)
@json_option
@pass_ctx
def verify(obj: Ctx, expect: tuple[int, str] | None, deep: bool) -> None:
    """Check the store: the log's hash chain, every case's versions, the case counters and
    every attached file (exit 6 if not intact); print the log's head.

    The head (the position and hash of the last event) is an anchor: keep it
    where the store's owner cannot change it and hand it back with --expect.

    \b
    Example:
        complaintctl verify --json
        complaintctl verify --expect "$(cat /safe/place/head.txt)"
    """
    from complaintctl.render.store import verify_text
    from complaintctl.sources import open_source
    from complaintctl.verify import verify_store

    cfg = obj.config()
    app = obj.app()
    backend = obj.backend or cfg.backend
    # The source `log` reads: the head's hash is the one `log` prints on its last line.
    source = open_source(obj.store, backend=backend, settings=cfg.store, key_file=obj.key_file)
    click.get_current_context().call_on_close(source.close)
    result = verify_store(app, obj.store, backend, cfg.raw, source, expect)
    if deep and result["ok"]:  # a broken log is reported as such, not as a stale cache
        differs = obj.models().compare_with_log()
        result["problems"] += differs
        result["ok"] = not differs
    obj.emit(result, verify_text(result))
    if not result["ok"]:
        raise VerifyFailed(_("the store failed verification"))


@click.command("rebuild")
@quiet_option
@json_option
@pass_ctx
def rebuild(obj: Ctx) -> None:
    """Rebuild every read model from the first event (the cache under <store>/cache/).

    Never needed for correctness (reading commands catch up by themselves);
    useful after a config change or to check that the cache is sound.

    \b
    Example:
        complaintctl rebuild
    """
    rm = obj.models()
    started = datetime.now()
    with progress(_("rebuilding read models")) as update:
        result = rm.rebuild(update)
    result["seconds"] = round((datetime.now() - started).total_seconds(), 2)
    done = _("rebuilt: {events} events, {cases} cases, position {position} ({seconds} s)")
    obj.emit(result, done.format(**result))


@click.command("demo")
@click.option(
    "--dir",
    "directory",
    default="./demo-store",
    show_default=True,
    type=click.Path(file_okay=False, path_type=Path),
    help="Where the demo store lives (created, or reused if the demo made it).",
)
@quiet_option
@json_option
@click.pass_context
def demo(ctx: click.Context, directory: Path) -> None:
    """Run a worked case (a misquoted blower motor) from receipt to archive, and show it.

    The demo never writes into a real store: a directory that holds anything
    the demo did not create is refused (exit 4).

    \b
    Example:
        complaintctl demo --dir ./demo-store
    """
    from complaintctl.demo import run_demo

    obj = ctx.find_object(Ctx)
    quiet = bool(obj and obj.quiet)

    def steps(text: str) -> None:
        """The story as it is told; --quiet prints only the case it ends with."""
        if not quiet:
            click.echo(text)

    run_demo(directory, as_json=bool(obj and obj.json), echo=steps, show=click.echo)


@click.command("completion")
@click.argument("shell", type=click.Choice(["bash", "zsh", "fish"]))
@click.pass_context
def completion(ctx: click.Context, shell: str) -> None:
    """Print the shell completion script.

    \b
    Example:
        eval "$(complaintctl completion bash)"     # in ~/.bashrc
    """
    from click.shell_completion import get_completion_class

    cls = get_completion_class(shell)
    assert cls is not None
    root = ctx.find_root().command
    click.echo(cls(root, {}, "complaintctl", "_COMPLAINTCTL_COMPLETE").source())
