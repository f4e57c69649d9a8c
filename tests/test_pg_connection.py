"""PostgreSQL connection settings from the config's [store] table, and the password kept hidden.

``sslmode`` passes to libpq through the library's module (no ``PGSSLMODE`` is
set behind the desk's back); the local test server speaks no SSL, so
``require`` must fail plainly (exit 7) and ``disable`` must work. The
password, given in the config, never shows in output, errors or logs.
"""

from __future__ import annotations

import logging
import os
import tomllib
from pathlib import Path
from typing import Any

import pytest
import tomli_w
from conftest import MANAGER, Store, make_store

from complaintctl import config as configuration

PASSWORD = "pw-Zq8-never-shown"


def _set_store(store: Store, **settings: Any) -> None:
    path = store.path / configuration.CONFIG_NAME
    data = tomllib.loads(path.read_text("utf-8"))
    data["store"] |= settings
    path.write_text(tomli_w.dumps(data), "utf-8")


@pytest.fixture
def desk(tmp_path: Path, pg_schema: dict[str, Any]) -> Store:
    """A PostgreSQL desk whose config holds a password (the trust server ignores it)."""
    store = make_store(tmp_path / "desk", backend="postgres", **pg_schema)
    _set_store(store, password=PASSWORD, connect_timeout=2)
    return store


def test_sslmode_require_against_a_server_without_ssl_fails_plainly(
    desk: Store, caplog: pytest.LogCaptureFixture
) -> None:
    ref = desk.new()
    _set_store(desk, sslmode="require")
    caplog.set_level(logging.DEBUG)
    new = ("new", "--customer", "王", "--contact", "1", "--channel", "walk-in",
           "--category", "misquote", "--summary", "报价错误")  # fmt: skip
    for args in (("list",), ("show", ref), new):
        r = desk.invoke(*args)
        assert r.exit_code == 7, (args, r.exit_code, r.stdout, r.stderr)
        assert "SSL" in r.stderr, r.stderr
        assert PASSWORD not in r.stdout + r.stderr
    r = desk.invoke("--debug", "list")
    assert r.exit_code == 7 and PASSWORD not in r.stdout + r.stderr
    assert PASSWORD not in caplog.text
    assert "PGSSLMODE" not in os.environ  # passed to the library's module, not via libpq's env


def test_sslmode_disable_works(desk: Store, caplog: pytest.LogCaptureFixture) -> None:
    _set_store(desk, sslmode="disable")
    caplog.set_level(logging.DEBUG)
    ref = desk.new()
    assert desk.show(ref)["ref"] == ref
    assert [c["ref"] for c in desk.json("list")] == [ref]
    shown = desk.invoke("config", "show", "--json", actor=MANAGER)
    for r in (shown, desk.invoke("config", "get", "store.password", actor=MANAGER)):
        assert PASSWORD not in r.stdout + r.stderr
    assert PASSWORD not in caplog.text
    assert "PGSSLMODE" not in os.environ


def test_sslmode_is_checked_as_the_file_is(desk: Store) -> None:
    _set_store(desk, sslmode="sometimes")
    r = desk.invoke("list")
    assert r.exit_code == 2 and "store.sslmode" in r.stderr
