"""``complaintctl migrate`` through the real CLI: file -> sqlite/postgres/file, then work on."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from conftest import MANAGER, Store
from pgsupport import pg_schema, pg_url  # noqa: F401  (fixture)

from complaintctl import config as configuration


def _life(store: Store) -> str:
    ref = store.new()
    store.ok("ack", ref, "--reply-by", "+24h")
    store.ok("note", ref, "客户要求按原价 \x1b[31m red")
    store.ok("investigate", ref, "报价单写错了型号")
    return ref


def _switch_backend(store: Store, backend: str, settings: dict[str, Any]) -> None:
    """Point the store's config at the new backend, as the shop would after migrating."""
    path = store.path / configuration.CONFIG_NAME
    data = configuration.load(path).raw
    data["store"] = {"backend": backend, **settings}
    configuration.write(path, data)


def test_migrate_to_sqlite_then_keep_working(store: Store, tmp_path: Path) -> None:
    ref = _life(store)
    before = store.show(ref)
    db = tmp_path / "complaints.db"
    out = store.json("migrate", "--to", "sqlite", "--target", str(db), actor=MANAGER)
    assert out["ok"] is True and out["copied"] == store.event_count()
    assert out["source"]["digest"] == out["target"]["digest"]
    _switch_backend(store, "sqlite", {"sqlite_dbname": str(db)})
    after = store.show(ref)
    assert after == before
    store.ok("resolve", ref, "--summary", "按原报价维修")
    assert store.show(ref)["status"] == "resolved"


def test_migrate_refuses_a_non_empty_target(store: Store, tmp_path: Path) -> None:
    _life(store)
    other = Store(tmp_path / "other")
    other.ok("init", "--preset", "car-service", actor=MANAGER)
    other.new()
    before = other.event_count()
    r = store.invoke("migrate", "--to", "file", "--target", str(other.path), actor=MANAGER)
    assert r.exit_code == 4, r.stderr
    assert "migrate-into-empty" in r.stderr
    assert other.event_count() == before  # nothing was copied into it


def test_migrate_bad_target_is_usage_error(store: Store) -> None:
    _life(store)
    r = store.invoke("migrate", "--to", "postgres", "--target", "not-a-url", actor=MANAGER)
    assert r.exit_code == 2 and "postgresql://" in r.stderr


def test_migrate_to_postgres_hides_the_password(
    store: Store,
    pg_schema: dict[str, Any],  # noqa: F811
) -> None:
    ref = _life(store)
    url = pg_url({**pg_schema, "password": "pw-not-needed"})
    r = store.invoke("migrate", "--json", "--to", "postgres", "--target", url, actor=MANAGER)
    assert r.exit_code == 0, r.stderr
    assert "pw-not-needed" not in r.stdout + r.stderr
    assert json.loads(r.stdout)["ok"] is True
    _switch_backend(store, "postgres", pg_schema)
    assert store.show(ref)["ref"] == ref


def test_a_rerun_into_a_target_a_desk_wrote_to_is_refused_plainly(
    store: Store, tmp_path: Path
) -> None:
    """Copy, a desk works on the target, the source gains a case, migrate again: exit 4."""
    ref = _life(store)
    db = tmp_path / "complaints.db"
    assert store.json("migrate", "--to", "sqlite", "--target", str(db), actor=MANAGER)["ok"]
    desk = Store(tmp_path / "desk")
    desk.ok("init", "--preset", "car-service", actor=MANAGER)
    _switch_backend(desk, "sqlite", {"sqlite_dbname": str(db)})
    desk.ok("note", ref, "在新库上继续处理")
    store.ok("note", ref, "旧库上又记了一笔")
    r = store.invoke("migrate", "--to", "sqlite", "--target", str(db), actor=MANAGER)
    assert r.exit_code == 4, (r.exit_code, r.stderr)
    assert "written to since the earlier copy" in r.stderr
    assert "UNIQUE" not in r.stderr and "duplicate" not in r.stderr.lower()
