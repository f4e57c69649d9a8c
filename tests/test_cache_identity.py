"""Reads nobody can fool (issue 13): the read-model cache knows which database it was
built from. Attacked in fresh processes on real SQLite and PostgreSQL stores."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

from conftest import ADVISER, Store, make_store


def cli(store: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    base = {k: v for k, v in os.environ.items() if not k.startswith("COMPLAINTCTL_")}
    base["COMPLAINTCTL_LANG"] = "en"  # the preset speaks Chinese; the test reads English
    return subprocess.run(
        [sys.executable, "-m", "complaintctl", "--store", str(store), "--actor", ADVISER, *args],
        capture_output=True, text=True, env=base | env, timeout=60, check=False,
    )  # fmt: skip


def refs(r: subprocess.CompletedProcess[str]) -> list[str]:
    assert r.returncode == 0, r.stderr
    rows: list[dict[str, Any]] = json.loads(r.stdout)
    return [c["ref"] for c in rows]


def test_a_switched_sqlite_dbname_rebuilds_the_cache_with_a_warning(tmp_path: Path) -> None:
    a = make_store(tmp_path / "a", backend="sqlite")
    b = make_store(tmp_path / "b", backend="sqlite")
    a.new(customer="甲")
    b.new(customer="乙")
    b.new(customer="丙", contact="13900000009")
    assert len(refs(cli(a.path, "list", "--json"))) == 1  # a's cache, built from a
    other = str(b.path / "events.sqlite")
    r = cli(a.path, "list", "--json", SQLITE_DBNAME=other)
    assert len(refs(r)) == 2, r.stdout
    assert "rebuilding the read-model cache" in r.stderr
    stats = json.loads(cli(a.path, "stats", "--json", SQLITE_DBNAME=other).stdout)
    assert json.dumps(stats)  # served from the rebuilt cache, no error
    r = cli(a.path, "list", "--json")
    assert len(refs(r)) == 1 and "rebuilding" in r.stderr  # and back


def test_a_restored_sqlite_backup_rebuilds_the_cache(tmp_path: Path) -> None:
    store: Store = make_store(tmp_path / "s", backend="sqlite")
    store.new(customer="甲")
    backup = tmp_path / "backup.sqlite"
    shutil.copy(store.path / "events.sqlite", backup)
    store.new(customer="乙", contact="13900000008")
    assert len(refs(cli(store.path, "list", "--json"))) == 2
    shutil.copy(backup, store.path / "events.sqlite")
    r = cli(store.path, "list", "--json")
    assert len(refs(r)) == 1, r.stdout
    assert "backup" in r.stderr


def test_a_switched_postgres_schema_rebuilds_the_cache(tmp_path: Path, pg_schema: Any) -> None:
    import uuid

    from pgsupport import _connect

    store = make_store(tmp_path / "p", backend="postgres", **dict(pg_schema))
    store.new(customer="甲")
    assert refs(cli(store.path, "list", "--json"))  # the cache, built from this schema
    other = f"t_{uuid.uuid4().hex[:16]}"
    with _connect() as conn:
        conn.execute(f'CREATE SCHEMA "{other}"')
    try:
        q = make_store(tmp_path / "q", backend="postgres", **(dict(pg_schema) | {"schema": other}))
        q.new(customer="乙", contact="13900000007", received_at="2026-01-02T10:00")
        r = cli(store.path, "list", "--json", POSTGRES_SCHEMA=other)
        assert [c["customer"] for c in json.loads(r.stdout)] == ["乙"], r.stdout
        assert "rebuilding the read-model cache" in r.stderr
    finally:
        with _connect() as conn:
            conn.execute(f'DROP SCHEMA IF EXISTS "{other}" CASCADE')


def test_verify_deep_finds_an_edited_cache(tmp_path: Path) -> None:
    import sqlite3

    store = make_store(tmp_path / "s")
    ref = store.new(summary="原始陈述")
    assert cli(store.path, "verify", "--deep").returncode == 0
    db = sqlite3.connect(store.path / "cache" / "projections.sqlite")
    with db:
        db.execute("UPDATE cases SET doc = replace(doc, '原始陈述', '篡改陈述')")
    db.close()
    assert "篡改陈述" in cli(store.path, "list", "--json").stdout  # served as it stands
    assert cli(store.path, "verify").returncode == 0  # the log itself is intact
    r = cli(store.path, "verify", "--deep", "--json")
    assert r.returncode == 6, r.stderr
    problems = json.loads(r.stdout)["problems"]
    assert [(p["problem"], p["ref"]) for p in problems] == [("cache-differs", ref)]
    assert cli(store.path, "rebuild").returncode == 0
    assert cli(store.path, "verify", "--deep").returncode == 0
