"""Roles through the real CLI: who may do what (issue 6, "Roles").

The car-service preset's people: 张伟 (agent, tier 1), 李娜 (supervisor,
tier 1, the customer-service director), 王强 (supervisor, tier 2), 陈总
(manager, tier 3). Each test adds an auditor, 审计员, where it needs one.
"""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

import pytest
import tomli_w
from conftest import ADVISER, DIRECTOR, MANAGER, SERVICE_MANAGER, Store

AUDITOR = "审计员"


def edit_config(store: Store, change: Any) -> None:
    """Change the store's config file in place (as a shop would, by hand)."""
    path = store.path / "complaintctl.toml"
    data = tomllib.loads(path.read_text("utf-8"))
    change(data)
    path.write_text(tomli_w.dumps(data), "utf-8")


def add_auditor(store: Store) -> None:
    edit_config(
        store,
        lambda d: d["staff"].__setitem__(AUDITOR, {"tier": 1, "role": "auditor"}),
    )


def closed_case(store: Store) -> str:
    ref = store.new()
    store.ok("resolve", ref, "--summary", "按原价维修")
    store.ok("close", ref)
    return ref


# -- auditors read everything and write nothing ----------------------------------------

WRITES = [
    ("new", "--customer", "a", "--contact", "b", "--channel", "phone", "--category", "other",
     "--summary", "s"),
    ("ack", "{ref}"),
    ("assign", "{ref}", SERVICE_MANAGER),
    ("transfer", "{ref}", "parts"),
    ("classify", "{ref}", "--category", "other"),
    ("note", "{ref}", "审计意见"),
    ("contact", "{ref}", "--outcome", "reached"),
    ("investigate", "{ref}", "查明"),
    ("assess", "{ref}", "--valid"),
    ("escalate", "{ref}", "--tier", "2", "--reason", "x"),
    ("propose", "{ref}", "--remedy", "gift"),
    ("approve", "{ref}"),
    ("accept", "{ref}"),
    ("reject", "{ref}"),
    ("resolve", "{ref}", "--summary", "x"),
    ("followup", "{ref}", "--outcome", "reached"),
    ("reopen", "{ref}", "--reason", "x"),
    ("close", "{ref}"),
    ("review", "{ref}", "--root-cause", "x", "--lesson", "y"),
    ("archive", "{ref}"),
    ("withdraw", "{ref}", "--reason", "x"),
    ("link", "{ref}", "--group", "g"),
    ("extend", "{ref}", "--reason", "x"),
    ("attach", "{ref}", __file__),
    ("handover", "--shift", "day", "--record"),
    ("migrate", "--to", "sqlite", "--target", "{tmp}/copy.sqlite"),
    ("forget", "王先生", "--yes"),
]  # fmt: skip


@pytest.mark.parametrize("args", WRITES, ids=lambda a: a[0])
def test_an_auditor_writes_nothing(store: Store, tmp_path: Path, args: tuple[str, ...]) -> None:
    ref = store.new()
    add_auditor(store)
    filled = [a.format(ref=ref, tmp=tmp_path) for a in args]
    store.refused(*filled, actor=AUDITOR, rule="auditor-read-only")


def test_an_auditor_imports_nothing(store: Store, tmp_path: Path) -> None:
    add_auditor(store)
    rows = tmp_path / "rows.csv"
    rows.write_text(
        "customer,contact,channel,category,summary\n王先生,138,phone,other,报价错误\n", "utf-8"
    )
    store.refused("import", str(rows), actor=AUDITOR, rule="auditor-read-only")


def test_an_auditor_attaches_no_file(store: Store) -> None:
    ref = store.new()
    add_auditor(store)
    store.refused("attach", ref, __file__, actor=AUDITOR, rule="auditor-read-only")
    assert not (store.path / "attachments").exists()


def test_an_auditor_reads_everything(store: Store) -> None:
    ref = store.new()
    store.ok("note", ref, "客户情绪激动")
    add_auditor(store)
    assert store.json("show", ref, actor=AUDITOR)["ref"] == ref
    assert [e["type"] for e in store.json("history", ref, actor=AUDITOR)] == ["Received", "Noted"]
    assert [c["ref"] for c in store.json("list", actor=AUDITOR)] == [ref]
    assert store.json("stats", actor=AUDITOR)
    assert store.json("verify", actor=AUDITOR)["ok"] is True
    log = store.ok("log", actor=AUDITOR).stdout.splitlines()
    assert len(log) == store.event_count()


def test_an_auditor_cannot_own_a_case(store: Store) -> None:
    ref = store.new()
    add_auditor(store)
    store.refused("assign", ref, AUDITOR, rule="auditor-read-only")
    store.refused(
        "new", "--customer", "a", "--contact", "b", "--channel", "phone", "--category", "other",
        "--summary", "s", "--owner", AUDITOR, rule="auditor-read-only",
    )  # fmt: skip


def test_auditor_is_a_role_the_config_accepts_and_checks(store: Store) -> None:
    edit_config(store, lambda d: d["staff"].__setitem__("x", {"role": "auditors"}))
    r = store.invoke("list")
    assert r.exit_code == 2 and "staff.x.role" in r.stderr and "auditor" in r.stderr


# -- the roles that escalation, reopening and migration need ---------------------------


def test_tier_3_needs_a_supervisor_or_manager(store: Store) -> None:
    ref = store.new()
    store.refused(
        "escalate", ref, "--tier", "3", "--reason", "媒体", rule="tier-3-needs-supervisor"
    )
    store.ok("escalate", ref, "--tier", "2", "--reason", "一线无法处理")  # tier 2: anyone
    store.ok("escalate", ref, "--tier", "3", "--reason", "威胁媒体曝光", actor=SERVICE_MANAGER)
    assert store.show(ref)["tier"] == 3
    other = store.new()
    store.ok("escalate", other, "--tier", "3", "--reason", "律师来函", actor=MANAGER)


def test_reopening_a_closed_case_needs_a_supervisor(store: Store) -> None:
    ref = closed_case(store)
    store.refused("reopen", ref, "--reason", "复发", rule="closed-reopen-needs-supervisor")
    store.ok("reopen", ref, "--reason", "客户反映复发", actor=DIRECTOR)
    assert store.show(ref)["status"] == "in_progress"
    resolved = store.new()
    store.ok("resolve", resolved, "--summary", "x")
    store.ok("reopen", resolved, "--reason", "未修好")  # a resolved case: its handler may


def test_migrate_needs_a_manager(store: Store, tmp_path: Path) -> None:
    store.new()
    target = str(tmp_path / "copy.sqlite")
    for actor in (ADVISER, SERVICE_MANAGER):
        r = store.invoke("migrate", "--to", "sqlite", "--target", target, actor=actor)
        assert r.exit_code == 4 and "migrate-needs-manager" in r.stderr, r.stderr
    assert not Path(target).exists()
    store.ok("migrate", "--to", "sqlite", "--target", target, actor=MANAGER)


# -- actors missing from the staff list ------------------------------------------------


def test_unknown_actors_are_refused_for_reading_too(store: Store) -> None:
    ref = store.new()
    assert store.show(ref)["ref"] == ref
    assert store.json("show", ref, actor="路人")["ref"] == ref  # allowed by default
    edit_config(store, lambda d: d["shop"].__setitem__("allow_unknown_staff", False))
    for args in (("show", ref), ("list",), ("history", ref), ("note", ref, "x")):
        r = store.invoke(*args, actor="路人")
        assert r.exit_code == 4 and "staff-only" in r.stderr, (args, r.stderr)
        assert r.stdout == ""
    store.ok("note", ref, "x")  # staff still work
