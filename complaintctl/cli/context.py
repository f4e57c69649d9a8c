"""The object every command receives: global options, the config, the application.

Everything is opened on first use only, so ``--help`` and a command that fails
on its input touch neither the config nor the store.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

import click

from complaintctl.errors import StoreUnavailable

if TYPE_CHECKING:
    from types import ModuleType
    from typing import Any
    from zoneinfo import ZoneInfo

    from complaintctl.config import Config
    from events.application import ComplaintsApp
    from events.personal import Keyring
    from projections.models import ReadModels
    from projections.source import EventSource


class Session:
    """What ``batch`` keeps between its lines: the parsed config files, the open applications.

    A line is a command of its own (its own Ctx, its rules read again: a
    ``config set`` on one line holds on the next); only what costs a fresh
    process most and cannot go stale is kept: a config file's parse while
    the file is unchanged, and the write application (it caches no aggregate:
    every command loads from the store, under the store's lock for a write).
    """

    def __init__(self) -> None:
        self.configs: dict[tuple[str, int, int, int], Config] = {}
        self.apps: dict[tuple[object, ...], ComplaintsApp] = {}

    def drop_apps(self) -> None:
        """Close the open applications (after a failing line: the next starts afresh)."""
        apps, self.apps = self.apps, {}
        for app in apps.values():
            app.close()


#: The running batch's session (None: each command opens and closes its own store).
SESSION: Session | None = None


class Ctx:
    """What every command needs; the application is opened on first use only.

    A plain class with a dataclass's ``__init__``, ``__repr__`` and ``__eq__``: a
    ``@dataclass`` compiles its methods at import, and ``--help`` loads this module
    (BENCHMARKS.md, issue 14, fourth round).
    """

    def __init__(
        self,
        store: Path,
        actor: str,
        config_path: Path,
        backend: str | None,
        debug: bool = False,
        json: bool = False,
        key_file: Path | None = None,
        format: str = "table",
        quiet: bool = False,
    ) -> None:
        self.store = store
        self.actor = actor
        self.config_path = config_path
        self.backend = backend
        self.debug = debug
        self.json = json
        self.key_file = key_file
        #: The output format of a reading command (``--format``; ``--json`` makes it json).
        self.format = format
        #: ``--quiet``: no progress and no text for a person; what a script reads and errors stay.
        self.quiet = quiet
        self._local: Config | None = None
        self._config: Config | None = None
        self._app: ComplaintsApp | None = None
        self._models: ReadModels | None = None
        self._keyring: Keyring | None = None
        self._keyring_open = False
        self._source: EventSource | None = None
        self._plain: bool | None = None

    _SHOWN = ("store", "actor", "config_path", "backend", "debug", "json", "key_file", "format",
              "quiet")  # fmt: skip

    def __repr__(self) -> str:
        return "Ctx(" + ", ".join(f"{n}={getattr(self, n)!r}" for n in self._SHOWN) + ")"

    def __eq__(self, other: object) -> bool:
        if other.__class__ is not Ctx:
            return NotImplemented
        return vars(self) == vars(other)

    __hash__ = None  # type: ignore[assignment]

    def local_config(self) -> Config:
        """The desk's own file, as written: its connection, and the rules it starts from."""
        if self._local is None:
            _warnings_for_a_person()  # every command that opens a store reads this first
            key = _file_key(self.config_path) if SESSION is not None else None
            if SESSION is not None and key is not None and key in SESSION.configs:
                self._local = SESSION.configs[key]
                return self._local
            from complaintctl.config import parse, parse_local, read
            from complaintctl.settings import joined

            data = read(self.config_path)
            self._local = parse_local(data) if joined(data) else parse(data)
            if SESSION is not None and key is not None:
                SESSION.configs[key] = self._local
        return self._local

    def config(self) -> Config:
        """The rules in force: the desk's file with the shop's settings from the store applied.

        Reading them opens the store (complaintctl.settings): a limit a manager
        changed on another desk holds here at once. On a plain file store they are
        folded from the settings' events through the read side (``projections.settings``),
        so a reading command never imports the write model; elsewhere the write
        application loads them.
        """
        if self._config is None:
            from events.businesstime import stated

            local = self.local_config()
            # A back-dated action (--at) obeys the rules in force at its time: the
            # write application knows when each change happened.
            if self._app is None and stated() is None and self._plain_file(local):
                from complaintctl.settings import rules_from
                from projections.settings import shop_rules_of

                self._config = rules_from(local, shop_rules_of(self.source()))
                self._said()
                return self._config
            return self._config_from_app(local)
        return self._config

    @property
    def config_loaded(self) -> bool:
        """Whether the rules in force were read already in this command."""
        return self._config is not None

    def _config_from_app(self, local: Config) -> Config:
        """The rules in force as the write application loads them (it stays open)."""
        from complaintctl.settings import rules_in_force
        from events.businesstime import stated

        app = self._open(local)
        self._config = cfg = rules_in_force(local, app, at=stated())
        self._said()
        if cfg.encrypt_personal and app.keyring is None:
            # A joined desk learns from the store that customers are sealed (the
            # first application is closed with the command, as every one is).
            self._app = None
            app = self._open(cfg)
        app.policy = cfg.policy
        app.seal_text = cfg.seal_free_text  # a joined desk: the shop's rule
        return cfg

    def _said(self) -> None:
        """The display language and names of the rules in force, for every message."""
        from complaintctl.i18n import config_says

        assert self._config is not None
        config_says(self._config.language, self._config.names)

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
        if self._config is None and self._app is None:
            from events.businesstime import stated

            if stated() is None and self._plain_file(self.local_config()):
                # The rules in force now, folded through the read side (config()): a write
                # needs the settings aggregate's module and replay only when back-dated.
                self.config()
        if self._config is None:
            cfg = self._config_from_app(self.local_config())
        else:
            cfg = self._config
            if self._app is None:
                self._open(cfg).policy = cfg.policy
        # An actor the shop does not know is refused for reading too (exit 4, staff-only).
        cfg.policy.staff_member(self.actor)
        assert self._app is not None
        return self._app

    def _open(self, cfg: Config) -> ComplaintsApp:
        """Open the store with the desk's connection settings (once per command)."""
        if self._app is None:
            from complaintctl.app import open_app

            backend = self.backend or cfg.backend
            key = (str(self.store), backend, repr(sorted(cfg.store.items())),
                   cfg.encrypt_personal, str(self.key_file))  # fmt: skip
            if SESSION is not None and key in SESSION.apps:
                self._app = SESSION.apps[key]
                self._app.policy = cfg.policy
                self._app.seal_text = cfg.seal_free_text
                return self._app
            try:
                self._app = open_app(
                    self.store,
                    policy=cfg.policy,
                    backend=backend,
                    settings=cfg.store,
                    encrypt_personal=cfg.encrypt_personal,
                    key_file=self.key_file,
                    seal_free_text=cfg.seal_free_text,
                )
            except OSError as e:
                from complaintctl.i18n import _

                raise StoreUnavailable(
                    _("store unavailable: {problem}").format(problem=f"{self.store}: {e}")
                ) from None
            if SESSION is not None:
                SESSION.apps[key] = self._app  # closed when the batch ends
            else:
                click.get_current_context().call_on_close(self._app.close)
        return self._app

    def reads_without_app(self) -> bool:
        """Whether reading can do without the write application (and its import).

        On a plain, unencrypted file store that exists the read side needs only
        the log, the read-model cache and the keyring; once the application is
        open (a write), or on another backend, or with ``[store] encrypt``,
        reads go through it as before (it makes tables and checks the key).
        """
        return self._app is None and self._plain_file(self.local_config())

    def _plain_file(self, cfg: Config) -> bool:
        """Whether the store is an existing plain, unencrypted file store (the ``[store]``
        table is the desk's own: the desk's file decides it before the rules are read)."""
        if self._plain is None:
            self._plain = False
            if (self.backend or cfg.backend) != "file" or cfg.store.get("encrypt"):
                return False
            if not (self.store / "events.jsonl").is_file():
                return False
            import os

            from complaintctl.app import persistence_env
            from complaintctl.sources import plain_file

            env = persistence_env(self.store, "file", cfg.store, key_file=self.key_file)
            self._plain = plain_file({**os.environ, **env})
        return self._plain

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
            from complaintctl.settings import rule_eras, rules_in_force
            from complaintctl.sources import app_source
            from events.businesstime import stated
            from projections.models import ReadModels

            cfg = self.config()
            if self.reads_without_app():
                cfg.policy.staff_member(self.actor)  # as app() refuses an unknown actor
                keyring, clock = self.read_keyring(), _now
            else:
                app = self.app()
                keyring, clock = app.keyring, app.clock
            source = self.source()  # after the application: on PostgreSQL it makes the tables
            # The read side runs on the rules in force now (a back-dated command's own
            # checks used those of its --at), and the older cases on their own time's.
            if stated() is not None and self._app is not None:
                cfg = rules_in_force(self.local_config(), self._app)
            settings_from = app_source(self._app) if self._app is not None else source
            eras = rule_eras(self.local_config(), settings_from)
            rm = ReadModels(
                source, self.store, cfg.policy, cfg.read, clock=clock, keyring=keyring, eras=eras
            )
            click.get_current_context().call_on_close(rm.close)
            refresh_after_forgets(keyring, self.store, rm.rebuild)  # forgotten on another desk
            self._models = rm
        return self._models

    def source(self) -> EventSource:
        """The store's events as the read side reads them (opened once per command)."""
        if self._source is None:
            from complaintctl.sources import app_source, open_source

            cfg = self.local_config()  # the [store] table is the desk's: no rules needed
            if self._app is not None and (self.backend or cfg.backend) != "file":
                # A database: read through the open application's pool, not a second one.
                self._source = app_source(self._app)
                return self._source
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
        elif text is not None and not self.quiet:
            click.echo(text)

    def say(self, text: str) -> None:
        """Chatter for a person on stderr (a summary, a hint); ``--quiet`` silences it."""
        if not self.quiet:
            click.echo(text, err=True)

    def done(self, case: dict[str, Any], message: str) -> None:
        """Print a write's result: the case as JSON, or one line for a person."""
        from complaintctl import render

        self.emit(case, render.safe(message))


def _warnings_for_a_person() -> None:
    """The store's and the read side's warnings (:mod:`logging`) as a person reads them:
    ``Warning: …`` in the display language, on standard error, through the English
    shapes of ``refusals.DETAILS`` (events and projections know no language).

    The handler goes on the root logger now if :mod:`logging` is loaded, else the
    moment it is (:class:`_WhenLogging`): nothing can warn through it before, and a
    read that never warns nor opens the read-model cache never loads it (18 M
    instructions: BENCHMARKS.md, issue 14, fourth round).
    """
    import sys

    logging = sys.modules.get("logging")
    if logging is not None:
        _person_warnings(logging)
    elif not any(isinstance(f, _WhenLogging) for f in sys.meta_path):
        sys.meta_path.insert(0, _WhenLogging())


def _person_warnings(logging: ModuleType) -> None:
    class PersonWarnings(logging.Handler):  # type: ignore[name-defined, misc]
        def emit(self, record: Any) -> None:
            from complaintctl.i18n import _
            from complaintctl.refusals import detail
            from complaintctl.render import safe

            try:
                text = _("Warning: {message}").format(message=detail(record.getMessage()))
                click.echo(safe(text), err=True)
            except Exception:  # a warning must never end the command
                self.handleError(record)

    root = logging.getLogger()
    if not any(type(h).__name__ == "PersonWarnings" for h in root.handlers):
        root.addHandler(PersonWarnings(logging.WARNING))


class _WhenLogging:
    """A one-time import hook: when :mod:`logging` is first imported, it is loaded as
    always and the person's handler is put on its root logger before anyone uses it."""

    def find_spec(self, name: str, path: Any = None, target: Any = None) -> Any:
        if name != "logging":
            return None
        import sys
        from importlib.util import find_spec

        if self in sys.meta_path:
            sys.meta_path.remove(self)
        spec = find_spec("logging")
        if spec is None or spec.loader is None:
            return spec
        spec.loader = _ThenWarnings(spec.loader)  # type: ignore[assignment]
        return spec


class _ThenWarnings:
    """The loader of :mod:`logging`, then the handler (see :class:`_WhenLogging`)."""

    def __init__(self, loader: Any) -> None:
        self.loader = loader

    def create_module(self, spec: Any) -> Any:
        return self.loader.create_module(spec)

    def exec_module(self, module: ModuleType) -> None:
        self.loader.exec_module(module)
        _person_warnings(module)

    def __getattr__(self, name: str) -> Any:  # get_source, get_filename... for tracebacks
        return getattr(self.loader, name)


def _file_key(path: Path) -> tuple[str, int, int, int] | None:
    """What tells a changed config file from an unchanged one (None: it cannot be read)."""
    try:
        st = path.stat()
    except OSError:
        return None
    return (str(path), st.st_ino, st.st_size, st.st_mtime_ns)


def _now() -> datetime:
    return datetime.now(UTC)


pass_ctx = click.make_pass_decorator(Ctx)
