"""The shop's settings live in the store as events: one rule for every desk, and its history.

The story of issue 15's "Done when": desk A's manager changes a limit with
``config set``; a case received on desk A is noted and approved on desk B
under that limit (B's own file says otherwise); an attachment made on A
verifies on B; a customer forgotten on A is forgotten on B; ``log`` and
``config log`` show the change as an event. On the file store the same story
runs on one desk. Two desks are two store directories with their own config
on one database (as in test_desks.py).
"""

from __future__ import annotations

import tomllib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import tomli_w
from conftest import MANAGER, SERVICE_MANAGER, Store, make_store

WANG = {"customer": "王先生", "contact": "13800000000", "account": "沪A12345"}
NEWCOMER = "赵敏"


@pytest.fixture(params=["file", "sqlite", "postgres"])
def desks(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[Store, Store]]:
    """Desk A and desk B on one database; on the file store, one desk twice."""
    if request.param == "file":
        one = make_store(tmp_path / "desk")
        yield one, one
        return
    if request.param == "postgres":
        settings: dict[str, Any] = dict(request.getfixturevalue("pg_schema"))
    else:
        settings = {"sqlite_dbname": str(tmp_path / "shop.sqlite")}
    a = make_store(tmp_path / "desk-a", backend=request.param, **settings)
    b = make_store(tmp_path / "desk-b", backend=request.param, join=True, **settings)
    yield a, b


def test_the_story_of_two_desks_under_one_set_of_rules(
    desks: tuple[Store, Store], tmp_path: Path
) -> None:
    a, b = desks
    # Desk A's manager lowers tier 2's limit and takes on a tier-2 supervisor.
    a.ok("config", "set", "tiers.2.remedy_limit", "3000", actor=MANAGER)
    staff = '{tier = 2, role = "supervisor", department = "service"}'
    a.ok("config", "set", f"staff.{NEWCOMER}", staff, actor=MANAGER)
    assert b.json("config", "get", "tiers.2.remedy_limit")["value"] == 3000
    assert b.json("config", "get", f"staff.{NEWCOMER}.tier")["value"] == 2

    ref = a.new(**WANG)
    b.ok("note", ref, "客户来电补充了报价单", actor=NEWCOMER)
    b.ok("propose", ref, "--remedy", "refund", "--amount", "4000", "--currency", "CNY")
    # 4000 is above tier 2's limit in force (3000), though B's own file still says 5000.
    assert b.show(ref)["proposals"][0]["required_tier"] == 3
    b.refused("approve", ref, rule="approval-needs-higher-tier", actor=SERVICE_MANAGER)
    b.refused("approve", ref, rule="approval-needs-higher-tier", actor=NEWCOMER)
    b.ok("approve", ref, actor=MANAGER)
    assert b.show(ref)["proposals"][0]["approved_by"] == MANAGER

    evidence = tmp_path / "recording.mp3"
    evidence.write_bytes(b"ID3" + bytes(range(256)) * 16)
    a.ok("attach", ref, str(evidence), "--kind", "recording")
    assert b.json("verify")["ok"] is True

    a.ok("forget", WANG["contact"], "--yes", actor=MANAGER)
    assert b.show(ref)["customer"] == "[forgotten]"

    changes = [e for e in b.json("log") if e["type"] == "SettingChanged"]
    assert [(e["actor"], e["data"]["key"]) for e in changes] == [
        (MANAGER, "tiers.2.remedy_limit"),
        (MANAGER, f"staff.{NEWCOMER}"),
    ]
    assert all(e["ref"] is None and e["recorded_at"] for e in changes)
    log = b.json("config", "log")
    assert [(e["actor"], e["key"]) for e in log] == [
        (MANAGER, "tiers.2.remedy_limit"),
        (MANAGER, f"staff.{NEWCOMER}"),
    ]
    assert log[0]["value"] == 3000
    assert log[0]["position"] == changes[0]["position"]


def test_only_a_manager_sets_and_a_value_is_checked_as_the_file_is(store: Store) -> None:
    store.refused("config", "set", "tiers.1.remedy_limit", "9999", rule="settings-need-manager")
    store.refused("config", "set", "reply.hours", "soon", actor=MANAGER, code=2, rule="reply.hours")
    store.refused(
        "config", "set", "tiers.2.remedy_limit", "100", actor=MANAGER, code=2, rule="tiers.2"
    )
    store.refused("config", "set", "reply.nonsense", "1", actor=MANAGER, code=2, rule="unknown")
    # What belongs to one desk stays in its file.
    store.refused("config", "set", "store.host", "db", actor=MANAGER, code=2, rule="this desk")
    assert store.json("config", "log") == []


def test_a_demotion_in_the_store_beats_the_desks_own_file(store: Store) -> None:
    """The issue's agent who made herself a manager on her own desk: the shop's rule wins."""
    store.ok("config", "set", f"staff.{SERVICE_MANAGER}.role", "agent", actor=MANAGER)
    store.ok("config", "set", f"staff.{SERVICE_MANAGER}.tier", "1", actor=MANAGER)
    ref = store.new()
    store.ok("propose", ref, "--remedy", "refund", "--amount", "600", "--currency", "CNY")
    store.refused("approve", ref, rule="approval-needs-higher-tier", actor=SERVICE_MANAGER)
    store.refused(
        "config", "set", "reply.hours", "48", actor=SERVICE_MANAGER, rule="settings-need-manager"
    )


def test_show_origin_get_and_unset(store: Store) -> None:
    store.ok("config", "set", "reply.hours", "12", actor=MANAGER)
    rows = {r["key"]: r for r in store.json("config", "show", "--origin")}
    assert rows["reply.hours"] == {
        "key": "reply.hours",
        "value": 12,
        "origin": "store",
        "set_by": MANAGER,
    }
    assert rows["tiers.1.remedy_limit"]["origin"] == "file"
    assert rows["store.backend"]["origin"] == "desk"
    assert store.ok("config", "get", "reply.hours").stdout == "12\n"
    # Setting what is in force already records nothing.
    assert store.json("config", "set", "reply.hours", "12", actor=MANAGER)["changed"] == []
    store.ok("config", "unset", "reply.hours", actor=MANAGER)
    assert store.invoke("config", "get", "reply.hours").exit_code == 3
    assert [(e["key"], e["value"]) for e in store.json("config", "log")] == [
        ("reply.hours", 12),
        ("reply.hours", None),
    ]


def test_a_password_is_never_shown(tmp_path: Path) -> None:
    s = make_store(tmp_path / "desk")
    cfg = s.path / "complaintctl.toml"
    data = tomllib.loads(cfg.read_text("utf-8"))
    data["store"]["password"] = "s3cret-pw"
    cfg.write_text(tomli_w.dumps(data), "utf-8")
    for args in (("config", "show", "--origin"), ("config", "get", "store"), ("config", "log")):
        assert "s3cret-pw" not in s.ok(*args).stdout


def test_import_records_a_hand_edited_file(store: Store, tmp_path: Path) -> None:
    cfg = store.path / "complaintctl.toml"
    data = tomllib.loads(cfg.read_text("utf-8"))
    data["reply"]["hours"] = 8
    data["tiers"]["1"]["remedy_limit"] = "200"
    del data["staff"][SERVICE_MANAGER]
    data["store"]["lock_timeout"] = 3  # the desk's own: not imported
    edited = tmp_path / "edited.toml"
    edited.write_text(tomli_w.dumps(data), "utf-8")
    store.refused("config", "import", str(edited), rule="settings-need-manager")
    changed = store.json("config", "import", str(edited), actor=MANAGER)["changed"]
    assert sorted(c["key"] for c in changed) == sorted(
        [
            "reply.hours",
            "tiers.1.remedy_limit",
            f"staff.{SERVICE_MANAGER}.tier",
            f"staff.{SERVICE_MANAGER}.role",
            f"staff.{SERVICE_MANAGER}.department",
        ]
    )
    assert store.json("config", "get", "tiers.1.remedy_limit")["value"] == "200"
    # The removed supervisor is no longer staff: an unknown actor is a tier-1 agent at most.
    ref = store.new()
    store.ok("propose", ref, "--remedy", "refund", "--amount", "300", "--currency", "CNY")
    store.refused("approve", ref, rule="approval-needs-higher-tier", actor=SERVICE_MANAGER)
    # Importing again changes nothing.
    assert store.json("config", "import", str(edited), actor=MANAGER)["changed"] == []


# -- init on a shared database: the first desk, a further desk, plain errors ---------------


def _init(path: Path, env: dict[str, str], *args: str) -> Any:
    from click.testing import CliRunner

    from complaintctl.cli import main

    return CliRunner().invoke(
        main, ["--store", str(path), "--actor", MANAGER, "--backend", "postgres", "init", *args],
        env=env,
    )  # fmt: skip


def _pg_env(pg: dict[str, Any], **over: str) -> dict[str, str]:
    env = {f"POSTGRES_{k.upper()}": str(v) for k, v in pg.items()}
    env["POSTGRES_PASSWORD"] = "never-written"  # trust auth: accepted, and kept out of the file
    return env | over


def test_a_further_desk_joins_and_a_second_shop_is_refused(
    tmp_path: Path, pg_schema: dict[str, Any]
) -> None:
    env = _pg_env(pg_schema)
    assert _init(tmp_path / "a", env, "--join").exit_code == 4  # nothing to join yet
    first = _init(tmp_path / "a", env, "--preset", "car-service")
    assert first.exit_code == 0, first.output
    recorded = tomllib.loads((tmp_path / "a" / "complaintctl.toml").read_text("utf-8"))
    assert recorded["store"]["dbname"] == pg_schema["dbname"]
    assert recorded["store"]["schema"] == pg_schema["schema"]
    again = _init(tmp_path / "b", env, "--preset", "general")
    assert again.exit_code == 4 and "--join" in again.stderr
    assert not (tmp_path / "b" / "complaintctl.toml").exists()
    joined = _init(tmp_path / "b", env, "--join")
    assert joined.exit_code == 0, joined.output
    text = (tmp_path / "b" / "complaintctl.toml").read_text("utf-8")
    assert set(tomllib.loads(text)) == {"store"}
    for path in (tmp_path / "a" / "complaintctl.toml", tmp_path / "b" / "complaintctl.toml"):
        assert "never-written" not in path.read_text("utf-8")
    b = Store(tmp_path / "b")
    assert b.json("config", "get", "tiers.1.remedy_limit")["value"] == "500"  # car-service's
    ref = b.new()
    assert b.show(ref)["customer"] == "王先生"  # sealed, as the shop's privacy rule says


@pytest.mark.parametrize(
    ("over", "said"),
    [
        ({"POSTGRES_DBNAME": "no_such_db_here"}, "no such database"),
        ({"POSTGRES_PORT": "1"}, "refused"),
    ],
)
def test_init_says_plainly_what_is_wrong_within_seconds(
    tmp_path: Path, pg_schema: dict[str, Any], over: dict[str, str], said: str
) -> None:
    import time

    started = time.monotonic()
    r = _init(tmp_path / "desk", _pg_env(pg_schema, **over), "--preset", "general")
    assert time.monotonic() - started < 10
    assert r.exit_code == 7 and said in r.stderr, r.stderr
    assert "never-written" not in r.output + r.stderr
    assert not (tmp_path / "desk" / "complaintctl.toml").exists()


def test_join_is_for_a_shared_database(tmp_path: Path) -> None:
    s = Store(tmp_path / "desk")
    r = s.invoke("init", "--join", actor=MANAGER)
    assert r.exit_code == 2 and "shared database" in r.stderr


# -- connections: one or two per command, the [store] tuning passed through -----------------


def test_postgres_tuning_passes_through_and_a_command_needs_one_connection(
    tmp_path: Path, pg_schema: dict[str, Any]
) -> None:
    from complaintctl.app import persistence_env

    env = persistence_env(tmp_path, "postgres", dict(pg_schema), environ={})
    assert (env["POSTGRES_POOL_SIZE"], env["POSTGRES_MAX_OVERFLOW"]) == ("1", "1")
    assert env["POSTGRES_CONNECT_TIMEOUT"] == "5"
    tuned = {**pg_schema, "pool_size": 3, "max_overflow": 0, "pre_ping": True}
    env = persistence_env(tmp_path, "postgres", tuned, environ={})
    assert (env["POSTGRES_POOL_SIZE"], env["POSTGRES_MAX_OVERFLOW"]) == ("3", "0")
    assert env["POSTGRES_PRE_PING"] == "y"
    # One connection and no overflow: the whole story still runs (nothing waits for a second).
    s = make_store(tmp_path / "desk", backend="postgres", **pg_schema)
    cfg = s.path / "complaintctl.toml"
    data = tomllib.loads(cfg.read_text("utf-8"))
    data["store"] |= {"pool_size": 1, "max_overflow": 0, "connect_timeout": 3, "sslmode": "prefer"}
    cfg.write_text(tomli_w.dumps(data), "utf-8")
    ref = s.new(**WANG)
    evidence = tmp_path / "photo.jpg"
    evidence.write_bytes(b"\xff\xd8" + bytes(range(256)))
    s.ok("attach", ref, str(evidence), "--kind", "photo")
    s.ok("config", "set", "reply.hours", "12", actor=MANAGER)
    assert s.json("list")[0]["ref"] == ref
    assert s.json("verify")["ok"] is True
    s.ok("forget", WANG["contact"], "--yes", actor=MANAGER)
    assert s.show(ref)["customer"] == "[forgotten]"


@pytest.mark.parametrize(
    ("key", "value"),
    [("pool_size", 0), ("max_overflow", "2"), ("sslmode", "always"), ("pool_sise", 1)],
)
def test_bad_or_unknown_store_keys_are_refused(store: Store, key: str, value: Any) -> None:
    cfg = store.path / "complaintctl.toml"
    data = tomllib.loads(cfg.read_text("utf-8"))
    data["store"][key] = value
    cfg.write_text(tomli_w.dumps(data), "utf-8")
    r = store.invoke("list")
    assert r.exit_code == 2 and f"store.{key}" in r.stderr, r.stderr


def test_writers_on_two_desks_queue_for_numbers_and_none_gives_up(
    tmp_path: Path, pg_schema: dict[str, Any]
) -> None:
    """Real one-shot `new` processes on two desks: every one succeeds, refs gapless, in order."""
    import os
    import subprocess
    import sys

    a = make_store(tmp_path / "desk-a", backend="postgres", **pg_schema)
    b = make_store(tmp_path / "desk-b", backend="postgres", join=True, **pg_schema)
    env = {k: v for k, v in os.environ.items() if not k.startswith("COMPLAINTCTL_")}
    script = (
        "for i in 1 2; do {py} -m complaintctl --store {desk} --actor 张伟 new --customer c$$ "
        "--contact 139$$$i --channel phone --category misquote --summary s || exit 9; done"
    )
    procs = [
        subprocess.Popen(
            ["sh", "-c", script.format(py=sys.executable, desk=(a, b)[n % 2].path)],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for n in range(8)
    ]
    outs = [p.communicate(timeout=300) for p in procs]
    assert [p.returncode for p in procs] == [0] * 8, [e for _o, e in outs]
    refs = sorted(line for o, _e in outs for line in o.split())
    assert len(refs) == 16
    assert [int(r.rsplit("-", 1)[1]) for r in refs] == list(range(1, 17))


def test_dates_are_kept_as_text(store: Store) -> None:
    store.ok("config", "set", "shop.holidays", "[2026-10-01, 2026-10-02]", actor=MANAGER)
    value = store.json("config", "get", "shop.holidays")["value"]
    assert value == ["2026-10-01", "2026-10-02"]
    store.refused(
        "config", "set", "shop.holidays", '["not a day"]', actor=MANAGER, code=2, rule="holidays"
    )
