"""``migrate`` carries what a desk needs besides the events: snapshots, keys, attachments.

Each direction the issue names (file -> PostgreSQL, PostgreSQL -> file,
SQLite -> PostgreSQL) is run through the CLI; the copy is then opened by a
desk of its own (a fresh directory, so nothing of the source desk's disk
helps): the customer reads by name, the attachment verifies, the year's
counter has its snapshot, and numbering goes on.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
import tomli_w
from conftest import MANAGER, Store, make_store
from pgsupport import pg_url

from complaintctl import config as configuration
from complaintctl.app import persistence_env
from complaintctl.migrate import construct_factory, target_settings
from events.numbering import counter_id

ROWS = 105  # the year's counter passes a snapshot (every 100 versions)


def _story(store: Store, tmp_path: Path) -> tuple[str, str]:
    """A year of imported cases, then one case with a customer and an attachment."""
    rows = ["customer,contact,channel,category,summary"]
    rows += [f"客户{i},139{i:08d},walk-in,misquote,报价错误{i}" for i in range(ROWS)]
    csv = tmp_path / "cases.csv"
    csv.write_text("\n".join(rows) + "\n", "utf-8")
    store.ok("import", str(csv), actor=MANAGER)
    ref = store.new(customer="王先生", contact="13800000000")
    evidence = tmp_path / "recording.mp3"
    evidence.write_bytes(b"ID3" + bytes(range(256)) * 5000)  # two chunks of 1 MiB
    store.ok("attach", ref, str(evidence), "--kind", "recording")
    return ref, store.show(ref)["customer"]


def _counter_snapshots(env: dict[str, str]) -> int:
    factory = construct_factory(env)
    try:
        cid = counter_id(datetime.now().year)
        return len(factory.aggregate_recorder("snapshots").select_events(cid))
    finally:
        factory.close()


def _check_copy(desk: Store, env: dict[str, str], ref: str, out: dict[str, Any]) -> None:
    assert out["ok"] is True, out
    assert out["snapshots"] >= 1 and out["attachments"] == 1 and out["keys"] >= ROWS
    assert _counter_snapshots(env) >= 1
    case = desk.show(ref)
    assert (case["customer"], case["contact"]) == ("王先生", "13800000000")
    report = desk.json("verify")
    assert report["ok"] is True
    assert [a["name"] for a in report["attachments"]] == ["recording.mp3"]
    following = desk.new(customer="李女士", contact="13900000001")
    assert int(following.rsplit("-", 1)[1]) == ROWS + 2  # numbering carries on, no gap


def _desk(source: Store, path: Path, backend: str, settings: dict[str, Any]) -> Store:
    """The copy as docs/migrate.md says to use it: the config, its [store] pointed there.

    A fresh directory, so no key or file left on the source desk's disk helps.
    """
    data = configuration.load(source.path / configuration.CONFIG_NAME).raw
    data["store"] = {"backend": backend, **settings}
    path.mkdir(exist_ok=True)
    (path / configuration.CONFIG_NAME).write_text(tomli_w.dumps(data), "utf-8")
    return Store(path)


def test_file_to_postgres(tmp_path: Path, pg_schema: dict[str, Any]) -> None:
    source = make_store(tmp_path / "src")
    ref, _name = _story(source, tmp_path)
    out = source.json("migrate", "--to", "postgres", "--target", pg_url(pg_schema), actor=MANAGER)
    desk = _desk(source, tmp_path / "desk", "postgres", pg_schema)
    env = persistence_env(desk.path, "postgres", pg_schema)
    _check_copy(desk, env, ref, out)


def test_postgres_to_file(tmp_path: Path, pg_schema: dict[str, Any]) -> None:
    source = make_store(tmp_path / "src", backend="postgres", **pg_schema)
    ref, _name = _story(source, tmp_path)
    target = tmp_path / "copy"
    out = source.json("migrate", "--to", "file", "--target", str(target), actor=MANAGER)
    env = persistence_env(target, "file", target_settings("file", str(target)))
    _check_copy(_desk(source, target, "file", {}), env, ref, out)


def test_sqlite_to_postgres(tmp_path: Path, pg_schema: dict[str, Any]) -> None:
    db = str(tmp_path / "shop.sqlite")
    source = make_store(tmp_path / "src", backend="sqlite", sqlite_dbname=db)
    ref, _name = _story(source, tmp_path)
    out = source.json("migrate", "--to", "postgres", "--target", pg_url(pg_schema), actor=MANAGER)
    desk = _desk(source, tmp_path / "desk", "postgres", pg_schema)
    env = persistence_env(desk.path, "postgres", pg_schema)
    _check_copy(desk, env, ref, out)


@pytest.mark.parametrize("to", ["postgres", "file"])
def test_a_rerun_into_a_target_a_desk_wrote_to_is_refused(
    tmp_path: Path, pg_schema: dict[str, Any], to: str
) -> None:
    """Copy, a desk works on the copy, the source gains a note, migrate again: exit 4."""
    if to == "postgres":
        source = make_store(tmp_path / "src")
        target = pg_url(pg_schema)
    else:
        source = make_store(tmp_path / "src", backend="postgres", **pg_schema)
        target = str(tmp_path / "copy")
    ref = source.new()
    assert source.json("migrate", "--to", to, "--target", target, actor=MANAGER)["ok"]
    if to == "postgres":
        desk = _desk(source, tmp_path / "desk", "postgres", pg_schema)
    else:
        desk = _desk(source, Path(target), "file", {})
    desk.ok("note", ref, "在新库上继续处理")
    source.ok("note", ref, "旧库上又记了一笔")
    r = source.invoke("migrate", "--to", to, "--target", target, actor=MANAGER)
    assert r.exit_code == 4, (r.exit_code, r.stdout, r.stderr)
    assert "written to since the earlier copy" in r.stderr
    assert "duplicate" not in r.stderr.lower() and "UNIQUE" not in r.stderr
