"""Shared fixtures: a real store in ``tmp_path``, driven through the real CLI."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tomllib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import tomli_w
from click.testing import CliRunner, Result
from pgsupport import pg_schema  # noqa: F401  (a fixture, used by any_store)

from complaintctl import config as configuration
from complaintctl.app import open_app
from complaintctl.cli import main

MANAGER = "陈总"  # runs init: a manager, tier 3
ADVISER = "张伟"  # car-service preset: tier-1 agent
DIRECTOR = "李娜"  # car-service preset: tier-1 supervisor (customer-service director)
SERVICE_MANAGER = "王强"  # car-service preset: tier 2


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--update-golden",
        action="store_true",
        default=False,
        help="Rewrite tests/golden/ from the current output instead of comparing with it.",
    )


GOLDEN = Path(__file__).parent / "golden"


@pytest.fixture
def golden(request: pytest.FixtureRequest) -> Any:
    """``golden(name, text)``: compare with tests/golden/<name> exactly (or rewrite it)."""
    update = bool(request.config.getoption("--update-golden"))

    def check(name: str, text: str) -> None:
        path = GOLDEN / name
        if update:
            GOLDEN.mkdir(exist_ok=True)
            path.write_text(text, "utf-8")
            return
        assert path.exists(), f"no golden file {path}; run pytest --update-golden"
        expected = path.read_text("utf-8")
        assert text == expected, f"{name} differs from tests/golden (pytest --update-golden)"

    return check


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """No setting of the developer's shell leaks into a test."""
    for key in list(os.environ):
        if key.startswith(("COMPLAINTCTL_", "COMPLAINTS_")) or key in (
            "PERSISTENCE_MODULE",
            "FILESTORE_PATH",
            "SQLITE_DBNAME",
        ):
            monkeypatch.delenv(key, raising=False)
    # The presets of Chinese shops speak Chinese; the tests read English unless they ask
    # for Chinese (--lang zh beats the variable, test_cli_lang.py unsets it).
    monkeypatch.setenv("COMPLAINTCTL_LANG", "en")
    monkeypatch.delenv("LC_ALL", raising=False)
    monkeypatch.delenv("LC_MESSAGES", raising=False)
    monkeypatch.setenv("LANG", "C.UTF-8")
    # Tables fit COLUMNS when it is set, and a developer's pager or NO_COLOR stays theirs.
    for key in ("COLUMNS", "LINES", "NO_COLOR", "PAGER", "LESS"):
        monkeypatch.delenv(key, raising=False)


class Store:
    """A store directory plus helpers to run commands on it as someone."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.runner = CliRunner()

    def invoke(self, *args: str, actor: str = ADVISER, input: str | None = None) -> Result:
        return self.runner.invoke(
            main,
            ["--store", str(self.path), "--actor", actor, *args],
            input=input,
            catch_exceptions=False,
        )

    def ok(self, *args: str, actor: str = ADVISER, input: str | None = None) -> Result:
        """Run a command that must succeed."""
        r = self.invoke(*args, actor=actor, input=input)
        assert r.exit_code == 0, (r.exit_code, r.stdout, r.stderr)
        return r

    def json(self, *args: str, actor: str = ADVISER) -> Any:
        return json.loads(self.ok(*args, "--json", actor=actor).stdout)

    def new(self, *extra: str, actor: str = ADVISER, **fields: str) -> str:
        """Receive a complaint; keyword fields override sensible defaults."""
        values = {
            "customer": "王先生",
            "contact": "13800000000",
            "channel": "walk-in",
            "category": "misquote",
            "summary": "报价错误",
        } | fields
        args: list[str] = ["new"]
        for key, value in values.items():
            args += [f"--{key.replace('_', '-')}", value]
        ref = self.ok(*args, *extra, actor=actor).stdout.strip()
        assert ref.startswith("C-")
        return ref

    def show(self, ref: str) -> dict[str, Any]:
        result: dict[str, Any] = self.json("show", ref)
        return result

    def event_count(self) -> int:
        """How many events the store holds, read through the library's recorder."""
        data = configuration.read(self.path / configuration.CONFIG_NAME)
        joined = set(data) <= {"store"}  # a desk that joined: the rules are the store's
        cfg = configuration.parse_local(data) if joined else configuration.parse(data)
        app = open_app(self.path, policy=cfg.policy, backend=cfg.backend, settings=cfg.store)
        try:
            return app.recorder.max_notification_id() or 0
        finally:
            app.close()

    def refused(self, *args: str, actor: str = ADVISER, code: int = 4, rule: str = "") -> Result:
        """Run a command that must fail with ``code`` and write nothing."""
        before = self.event_count()
        r = self.invoke(*args, actor=actor)
        assert r.exit_code == code, (r.exit_code, r.stdout, r.stderr)
        assert rule in r.stderr
        assert r.stdout == "" or code != 4
        assert self.event_count() == before, "a refused command wrote an event"
        return r


def make_store(
    path: Path, preset: str = "car-service", backend: str = "file", join: bool = False,
    **settings: Any,
) -> Store:  # fmt: skip
    """``init`` a store; for PostgreSQL, ``settings`` become the config's [store] table.

    ``init`` reads the connection from the library's variables, as a shop gives it;
    ``join``: a further desk on the database (``init --join``).
    """
    s = Store(path)
    env = {f"POSTGRES_{k.upper()}": str(v) for k, v in settings.items() if k != "sqlite_dbname"}
    if "sqlite_dbname" in settings:
        env["SQLITE_DBNAME"] = settings["sqlite_dbname"]
    args = ["--join"] if join else ["--preset", preset]
    r = s.runner.invoke(
        main, ["--store", str(path), "--actor", MANAGER, "--backend", backend, "init", *args],
        env=env, catch_exceptions=False,
    )  # fmt: skip
    assert r.exit_code == 0, (r.exit_code, r.stdout, r.stderr)
    if settings:
        cfg = s.path / configuration.CONFIG_NAME
        data = tomllib.loads(cfg.read_text("utf-8"))
        data["store"] |= settings
        cfg.write_text(tomli_w.dumps(data), "utf-8")
    return s


@pytest.fixture(params=["file", "sqlite", "postgres"])
def any_store(request: pytest.FixtureRequest, tmp_path: Path) -> Store:
    """The same store on each backend the CLI offers (PostgreSQL: a schema of its own)."""
    settings: dict[str, Any] = {}
    if request.param == "postgres":
        settings = dict(request.getfixturevalue("pg_schema"))
    return make_store(tmp_path / "store", backend=request.param, **settings)


@pytest.fixture
def store(tmp_path: Path) -> Store:
    """A fresh store set up with the car-service preset, 陈总 as manager."""
    return make_store(tmp_path / "store")


@pytest.fixture
def store_factory(tmp_path: Path) -> Iterator[Any]:
    def factory(preset: str) -> Store:
        return make_store(tmp_path / preset, preset)

    yield factory


def run_cli(
    store: Path, *args: str, actor: str = ADVISER, input: str | None = None, timeout: float = 60
) -> subprocess.CompletedProcess[str]:
    """Run ``python -m complaintctl`` in a fresh process (where a fresh process matters)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("COMPLAINTCTL_")}
    env["COMPLAINTCTL_LANG"] = os.environ.get("COMPLAINTCTL_LANG", "en")
    return subprocess.run(
        [sys.executable, "-m", "complaintctl", "--store", str(store), "--actor", actor, *args],
        input=input,
        capture_output=True,
        text=True,
        env=env,
        timeout=timeout,
        check=False,
    )
