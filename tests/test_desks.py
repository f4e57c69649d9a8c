"""Several desks on one database see the same customers' keys and the same attachments.

Two desks are two store directories, each with its own config, pointing at
the same PostgreSQL schema (or the same SQLite file): what desk A sealed,
desk B reads; what A forgets, B cannot read any more; what A attached, B
verifies, and a tampered row fails B's verify with exit 6. The file store
keeps its keys and attachments in its directory, as before.
"""

from __future__ import annotations

import sqlite3
import subprocess
import sys
import tomllib
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
import tomli_w
from conftest import MANAGER, Store, make_store
from pgsupport import _connect, pg_url

WANG = {"customer": "王先生", "contact": "13800000000", "account": "沪A12345"}


class Shop:
    """Two desks on one database, and a way to run SQL on that database."""

    def __init__(self, backend: str, a: Store, b: Store, settings: dict[str, Any]) -> None:
        self.backend = backend
        self.a = a
        self.b = b
        self.settings = settings

    def sql(self, statement: str) -> list[tuple[Any, ...]]:
        if self.backend == "sqlite":
            db = sqlite3.connect(self.settings["sqlite_dbname"])
            try:
                with db:
                    rows = db.execute(statement.replace("{s}.", "")).fetchall()
                return [tuple(r) for r in rows]
            finally:
                db.close()
        with _connect() as conn:
            cur = conn.execute(statement.replace("{s}", f'"{self.settings["schema"]}"'))
            return [tuple(r) for r in cur.fetchall()] if cur.description else []


@pytest.fixture(params=["sqlite", "postgres"])
def shop(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Shop]:
    if request.param == "postgres":
        settings = dict(request.getfixturevalue("pg_schema"))
    else:
        settings = {"sqlite_dbname": str(tmp_path / "shop.sqlite")}
    a = make_store(tmp_path / "desk-a", backend=request.param, **settings)
    b = make_store(tmp_path / "desk-b", backend=request.param, join=True, **settings)
    yield Shop(request.param, a, b, settings)


def test_a_customer_sealed_on_one_desk_reads_on_the_other(shop: Shop) -> None:
    a, b = shop.a, shop.b
    ref = a.new(**WANG)
    case = b.show(ref)
    assert (case["customer"], case["contact"], case["account"]) == (
        WANG["customer"],
        WANG["contact"],
        WANG["account"],
    )
    assert b.json("history", ref)[0]["data"]["contact"] == WANG["contact"]
    assert {c["ref"]: c["customer"] for c in b.json("list")} == {ref: WANG["customer"]}
    # The same phone number is the same customer on every desk (one secret, one subject).
    again = b.new(**WANG, summary="又来了")
    found = b.json("customer", WANG["contact"])
    assert sorted(c["ref"] for c in found["cases"]) == sorted([ref, again])
    assert len(found["customers"]) == 1
    # Nothing of it is kept on either desk's disk.
    for desk in (a, b):
        assert not (desk.path / "keys").exists()
        assert not (desk.path / "attachments").exists()
    assert shop.sql("SELECT count(*) FROM {s}.complaintctl_keys") == [(1,)]


def test_forgotten_on_one_desk_is_forgotten_on_every_desk(shop: Shop) -> None:
    a, b = shop.a, shop.b
    ref = a.new(**WANG)
    assert b.show(ref)["customer"] == WANG["customer"]
    assert b.json("list")[0]["customer"] == WANG["customer"]  # B's cache holds the name
    a.ok("forget", WANG["contact"], "--yes", actor=MANAGER)
    # B's read-model cache is rebuilt at its next read: the plain text is gone from it too.
    assert b.json("list")[0]["customer"] == "[forgotten]"
    assert b.invoke("customer", WANG["contact"]).exit_code == 3
    cache = (b.path / "cache").glob("*.sqlite*")
    assert not any(WANG["contact"].encode() in p.read_bytes() for p in cache)
    case = b.show(ref)
    assert (case["customer"], case["contact"], case["account"]) == ("[forgotten]",) * 3
    assert b.json("history", ref)[0]["data"]["customer"] == "[forgotten]"
    assert shop.sql("SELECT count(*) FROM {s}.complaintctl_keys") == [(0,)]
    assert b.json("verify")["ok"] is True


def test_an_attachment_made_on_one_desk_verifies_on_the_other(shop: Shop, tmp_path: Path) -> None:
    a, b = shop.a, shop.b
    ref = a.new(**WANG)
    evidence = tmp_path / "recording.mp3"
    evidence.write_bytes(b"ID3" + bytes(range(256)) * 64)
    a.ok("attach", ref, str(evidence), "--kind", "recording")
    report = b.json("verify")
    assert report["ok"] is True
    assert [x["name"] for x in report["attachments"]] == ["recording.mp3"]
    shop.sql("UPDATE {s}.complaintctl_attachment_chunks SET content = content || content")
    r = b.invoke("verify", "--json")
    assert r.exit_code == 6, (r.exit_code, r.stdout, r.stderr)
    assert "changed" in r.stdout
    shop.sql("DELETE FROM {s}.complaintctl_attachments")
    r = b.invoke("verify")
    assert r.exit_code == 6 and "missing" in r.stdout


def test_keys_an_earlier_version_kept_on_a_desk_move_into_the_database(
    tmp_path: Path,
) -> None:
    """A file store migrated to SQLite, as an earlier version left it: keys in keys/ only."""
    a = make_store(tmp_path / "desk-a")
    ref = a.new(**WANG)
    shared = tmp_path / "shop.sqlite"
    a.ok("migrate", "--to", "sqlite", "--target", str(shared), actor=MANAGER)
    db = sqlite3.connect(shared)
    with db:  # what an earlier migrate left: no keys in the database
        db.execute("DROP TABLE complaintctl_keys")
        db.execute("DROP TABLE complaintctl_secret")
        db.execute("DROP TABLE complaintctl_forgotten")
    db.close()
    cfg = a.path / "complaintctl.toml"
    data = tomllib.loads(cfg.read_text("utf-8"))
    data["store"] = {"backend": "sqlite", "sqlite_dbname": str(shared)}
    cfg.write_text(tomli_w.dumps(data), "utf-8")
    assert a.show(ref)["customer"] == WANG["customer"]  # read, and copied in
    a.ok("config", "import", actor=MANAGER)  # the rules into the database: a desk may join
    b = make_store(tmp_path / "desk-b", backend="sqlite", join=True, sqlite_dbname=str(shared))
    assert b.show(ref)["customer"] == WANG["customer"]
    b.ok("forget", WANG["contact"], "--yes", actor=MANAGER)
    assert a.show(ref)["customer"] == "[forgotten]"
    # Desk A's old copy of the key is gone too, and is never copied back.
    local = sqlite3.connect(a.path / "keys" / "keys.sqlite")
    assert local.execute("SELECT count(*) FROM keys").fetchone() == (0,)
    local.close()
    assert b.show(ref)["customer"] == "[forgotten]"


def test_the_file_store_keeps_keys_and_attachments_in_its_directory(
    store: Store, tmp_path: Path
) -> None:
    ref = store.new(**WANG)
    evidence = tmp_path / "photo.jpg"
    evidence.write_bytes(b"\xff\xd8jpeg")
    store.ok("attach", ref, str(evidence), "--kind", "photo")
    assert (store.path / "keys" / "keys.sqlite").exists()
    sha = store.show(ref)["attachments"][0]["sha256"]
    blob = store.path / "attachments" / sha[:2] / sha
    assert blob.read_bytes() == evidence.read_bytes()
    assert store.json("verify")["ok"] is True
    blob.write_bytes(b"edited")
    assert store.invoke("verify").exit_code == 6


def test_desks_creating_the_tables_at_once(shop: Shop) -> None:
    """Six processes on two desks make the first keys of a fresh database at the same moment."""

    def new(k: int) -> subprocess.CompletedProcess[str]:
        desk = (shop.a, shop.b)[k % 2]
        cli = [sys.executable, "-m", "complaintctl", "--store", str(desk.path), "--actor", MANAGER]
        args = ["new", "--customer", f"客户{k}", "--contact", f"1390000000{k}"]
        args += ["--channel", "walk-in", "--category", "misquote", "--summary", "报价错误"]
        return subprocess.run(
            [*cli, *args],
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )

    with ThreadPoolExecutor(6) as pool:
        results = list(pool.map(new, range(6)))
    assert [r.returncode for r in results] == [0] * 6, [r.stderr for r in results]
    assert shop.sql("SELECT count(*) FROM {s}.complaintctl_keys") == [(6,)]
    assert shop.sql("SELECT count(*) FROM {s}.complaintctl_secret") == [(1,)]
    names = {c["customer"] for c in shop.b.json("list")}
    assert names == {f"客户{k}" for k in range(6)}


def test_migrate_takes_the_keys_into_the_target_database(
    tmp_path: Path, pg_schema: dict[str, Any]
) -> None:
    """SQLite to PostgreSQL: the keys go with the events (the target is another database)."""
    desk = make_store(tmp_path / "desk", backend="sqlite")
    ref = desk.new(**WANG)
    desk.ok("migrate", "--to", "postgres", "--target", pg_url(pg_schema), actor=MANAGER)
    other = make_store(tmp_path / "other", backend="postgres", join=True, **pg_schema)
    assert other.show(ref)["customer"] == WANG["customer"]
