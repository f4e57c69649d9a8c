"""The object every command receives: global options, the config, the application.

Everything is opened on first use only, so ``--help`` and a command that fails
on its input touch neither the config nor the store.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

import click

from complaintctl.errors import StoreUnavailable

if TYPE_CHECKING:
    from typing import Any
    from zoneinfo import ZoneInfo

    from complaintctl.config import Config
    from events.application import ComplaintsApp
    from events.personal import Keyring
    from projections.models import ReadModels
    from projections.source import EventSource


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
    #: The output format of a reading command (``--format``; ``--json`` makes it json).
    format: str = "table"
    _local: Config | None = field(default=None, repr=False)
    _config: Config | None = field(default=None, repr=False)
    _app: ComplaintsApp | None = field(default=None, repr=False)
    _models: ReadModels | None = field(default=None, repr=False)
    _keyring: Keyring | None = field(default=None, repr=False)
    _keyring_open: bool = field(default=False, repr=False)
    _source: EventSource | None = field(default=None, repr=False)

    def local_config(self) -> Config:
        """The desk's own file, as written: its connection, and the rules it starts from."""
        if self._local is None:
            from complaintctl.config import parse, parse_local, read
            from complaintctl.settings import joined

            data = read(self.config_path)
            self._local = parse_local(data) if joined(data) else parse(data)
        return self._local

    def config(self) -> Config:
        """The rules in force: the desk's file with the shop's settings from the store applied.

        Reading them opens the store (complaintctl.settings): a limit a manager
        changed on another desk holds here at once.
        """
        if self._config is None:
            from complaintctl.settings import rules_in_force

            local = self.local_config()
            app = self._open(local)
            self._config = rules_in_force(local, app)
            from complaintctl.i18n import config_says

            config_says(self._config.language, self._config.names)
            if self._config.encrypt_personal and app.keyring is None:
                # A joined desk learns from the store that customers are sealed (the
                # first application is closed with the command, as every one is).
                self._app = None
                app = self._open(self._config)
            app.policy = self._config.policy
        return self._config

    def reload_config(self) -> Config:
        """The rules in force again, after this command changed them."""
        self._config = None
        return self.config()

    @property
    def zone(self) -> ZoneInfo:
        return self.config().policy.zone

    @property
    def output(self) -> str:
        """The format to print in: ``json`` whenever --json was given anywhere."""
        return "json" if self.json else self.format

    def app(self) -> ComplaintsApp:
        """The write model under the rules in force; an unknown actor is refused (exit 4)."""
        cfg = self.config()
        # An actor the shop does not know is refused for reading too (exit 4, staff-only).
        cfg.policy.staff_member(self.actor)
        assert self._app is not None
        return self._app

    def _open(self, cfg: Config) -> ComplaintsApp:
        """Open the store with the desk's connection settings (once per command)."""
        if self._app is None:
            from complaintctl.app import open_app

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

    def reads_without_app(self) -> bool:
        """Whether reading can do without the write application (and its import).

        On a plain, unencrypted file store that exists the read side needs only
        the log, the read-model cache and the keyring; once the application is
        open (a write), or on another backend, or with ``[store] encrypt``,
        reads go through it as before (it makes tables and checks the key).
        """
        if self._app is not None:
            return False
        cfg = self.config()
        if (self.backend or cfg.backend) != "file" or cfg.store.get("encrypt"):
            return False
        if not (self.store / "events.jsonl").is_file():
            return False
        import os

        from complaintctl.app import persistence_env
        from complaintctl.sources import plain_file

        env = persistence_env(self.store, "file", cfg.store, key_file=self.key_file)
        return plain_file({**os.environ, **env})

    def read_keyring(self) -> Keyring | None:
        """The keyring a reader opens sealed values with, as ``open_app`` chooses it."""
        if self._app is not None:
            return self._app.keyring
        if not self._keyring_open:
            from complaintctl.app import persistence_env
            from complaintctl.keyring import open_keyring

            cfg = self.config()
            env = persistence_env(self.store, "file", cfg.store, key_file=self.key_file)
            keys = open_keyring(self.store, env)
            click.get_current_context().call_on_close(keys.close)
            self._keyring = keys if cfg.encrypt_personal or keys.exists() else None
            self._keyring_open = True
        return self._keyring

    def models(self) -> ReadModels:
        """The read models of the store (opened once per command, closed with it)."""
        if self._models is None:
            from complaintctl.keyring import refresh_after_forgets
            from projections.models import ReadModels

            cfg = self.config()
            if self.reads_without_app():
                cfg.policy.staff_member(self.actor)  # as app() refuses an unknown actor
                keyring, clock = self.read_keyring(), _now
            else:
                app = self.app()
                keyring, clock = app.keyring, app.clock
            source = self.source()  # after the application: on PostgreSQL it makes the tables
            rm = ReadModels(source, self.store, cfg.policy, cfg.read, clock=clock, keyring=keyring)
            click.get_current_context().call_on_close(rm.close)
            refresh_after_forgets(keyring, self.store, rm.rebuild)  # forgotten on another desk
            self._models = rm
        return self._models

    def source(self) -> EventSource:
        """The store's events as the read side reads them (opened once per command)."""
        if self._source is None:
            from complaintctl.sources import open_source

            cfg = self.config()
            self._source = open_source(
                self.store,
                backend=self.backend or cfg.backend,
                settings=cfg.store,
                key_file=self.key_file,
            )
            click.get_current_context().call_on_close(self._source.close)
        return self._source

    def case_of(
        self, ref: str, seen: list[tuple[str, dict[str, Any]]] | None = None
    ) -> dict[str, Any]:
        """The case as ``show --json`` gives it: its events folded (projections.case).

        Read through the open application's recorder after a write; a reading
        command reads the case's events through the store's index instead.
        ``seen`` gets the events folded (``show`` tells each escalation's reason).
        """
        from complaintctl.sources import app_source
        from projections.case import public
        from projections.caselog import read_case

        if self.reads_without_app():
            self.config().policy.staff_member(self.actor)  # as app() refuses an unknown actor
            return public(read_case(self.source(), ref, self.read_keyring(), seen=seen))
        app = self.app()
        return public(read_case(app_source(app), ref, app.keyring, seen=seen))

    def emit(self, data: Any, text: str | None = None) -> None:
        """Print a result: the JSON document, or the text a person reads."""
        from complaintctl import render

        if self.json:
            render.emit_json(data)
        elif text is not None:
            click.echo(text)

    def done(self, case: dict[str, Any], message: str) -> None:
        """Print a write's result: the case as JSON, or one line for a person."""
        from complaintctl import render

        self.emit(case, render.safe(message))


def _now() -> datetime:
    return datetime.now(UTC)


pass_ctx = click.make_pass_decorator(Ctx)
