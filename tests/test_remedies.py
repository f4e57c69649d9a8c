"""Remedies as the seeds settle them: proposals in parts and options, approval per currency,
compensation bounded by the documented loss, and a remedy being carried out.

Every test runs through the real CLI on the file store and on SQLite (the transport
and battery cases also on PostgreSQL).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from conftest import ADVISER, MANAGER, SERVICE_MANAGER, Store, make_store
from pgsupport import pg_schema  # noqa: F401  (fixture)


@pytest.fixture(params=["file", "sqlite"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Store:
    return make_store(tmp_path / "store", backend=request.param)


@pytest.fixture(params=["file", "sqlite", "postgres"])
def every_store(request: pytest.FixtureRequest, tmp_path: Path) -> Store:
    settings: dict[str, Any] = {}
    if request.param == "postgres":
        settings = dict(request.getfixturevalue("pg_schema"))
    return make_store(tmp_path / "store", backend=request.param, **settings)


def types(store: Store, ref: str) -> list[str]:
    return [e["type"] for e in store.json("history", ref)]


def test_transport_case_settled_in_two_parts(every_store: Store) -> None:
    """3,000 repair plus 81,000 wrecked; settled at 4,000 compensation plus re-shipment."""
    store = every_store
    ref = store.new(
        customer="某贸易公司",
        contact="021-00000000",
        channel="letter",
        category="other",
        summary="30万元货物运输破损,七成完好,修复3000元,报废81000元",
        demand="赔偿84000元",
        demand_amount="84000",
    )
    store.ok("assess", ref, "--valid", "--root-cause", "承运方装卸", "--loss", "84000")
    assert store.show(ref)["loss"]["amount"] == "84000"
    store.ok("propose", ref, "--remedy", "compensation", "--amount", "3000", actor=SERVICE_MANAGER)
    store.ok("reject", ref, "--reason", "不够")
    store.ok("propose", ref, "--remedy", "compensation", "--amount", "4000", actor=SERVICE_MANAGER)
    # A second proposal never silently replaces the open one.
    store.refused(
        "propose", ref, "--remedy", "replacement", "--amount", "81000", rule="proposal-open"
    )
    out = store.ok(
        "propose", ref, "--add", "--remedy", "replacement", "--amount", "81000",
        "--detail", "补发损毁货物", actor=SERVICE_MANAGER,
    ).stdout  # fmt: skip
    assert "needs approval by tier 3" in out  # 85,000 in all: above tier 2's 5,000
    proposal = store.show(ref)["proposals"][1]
    assert [p["kind"] for p in proposal["options"][0]["parts"]] == ["compensation", "replacement"]
    assert proposal["options"][0]["total"] == {"CNY": "85000"}
    store.refused("accept", ref, rule="remedy-needs-approval")
    store.refused("approve", ref, rule="approval-needs-higher-tier", actor=SERVICE_MANAGER)
    store.ok("approve", ref, actor=MANAGER)
    store.ok("accept", ref)
    case = store.show(ref)
    assert case["remedy_state"] == "in_progress" and case["proposals"][1]["accepted_option"] == 1
    stats = store.json("stats")["total"]["remedies_granted"]
    assert stats == {"count": 2, "total": {"CNY": "85000"}}  # not 81,000, not 4,000
    store.ok("resolve", ref, "--summary", "赔偿4000元并补发")
    assert store.show(ref)["remedy_state"] == "carried_out"
    assert types(store, ref).count("RemedyPartAdded") == 1


def test_battery_refund_being_carried_out(every_store: Store) -> None:
    """The refund was agreed, then stalled for months on the old battery: visible meanwhile."""
    store = every_store
    ref = store.new(category="warranty", channel="phone", summary="蓄电池保修被拒")
    store.ok("assess", ref, "--valid", "--root-cause", "车辆用途登记错误")
    store.ok("propose", ref, "--remedy", "refund", "--amount", "1200")
    store.ok("approve", ref, actor=SERVICE_MANAGER)
    store.ok("accept", ref)
    other = store.new(contact="13900000000")
    case = store.show(ref)
    assert case["status"] == "in_progress" and case["remedy_state"] == "in_progress"
    assert re.search(r"remedy_state +in_progress", store.ok("show", ref).stdout)
    listed = store.json("list", "--remedy-state", "in_progress")
    assert [c["ref"] for c in listed] == [ref] and other not in {c["ref"] for c in listed}
    clock = store.json("sla", ref)
    assert clock["remedy_state"] == "in_progress" and clock["remedy_accepted_at"]
    assert clock["remedy_days_in_progress"] is not None
    assert "remedy" in store.ok("sla", ref).stdout
    store.ok("resolve", ref, "--summary", "凭回收单完成退款")
    assert store.json("list", "--remedy-state", "in_progress") == []
    assert store.json("sla", ref)["remedy_days_in_progress"] is None


def test_alternatives_the_customer_chooses_from(store: Store) -> None:
    ref = store.new()
    store.ok("propose", ref, "--remedy", "refund", "--amount", "300")
    out = store.ok(
        "propose", ref, "--alternative", "--remedy", "free-service", "--detail", "免费保养一次"
    ).stdout
    assert "option 2" in out
    store.ok("propose", ref, "--add", "--remedy", "apology-visit")  # a part of option 2
    p = store.show(ref)["proposals"][0]
    assert [[x["kind"] for x in o["parts"]] for o in p["options"]] == [
        ["refund"],
        ["free-service", "apology-visit"],
    ]
    store.refused("accept", ref, code=2, rule="--option")
    store.refused("accept", ref, "--option", "3", code=2)
    store.ok("accept", ref, "--option", "2")
    case = store.show(ref)
    assert case["proposals"][0]["accepted_option"] == 2
    granted = store.json("stats")["total"]["remedies_granted"]
    assert granted == {"count": 2, "total": {}}  # the refund was not the option taken
    assert "2*" in store.ok("show", ref).stdout


def test_replace_withdraws_the_open_proposal_and_keeps_it_in_history(store: Store) -> None:
    ref = store.new()
    store.refused("propose", ref, "--add", "--remedy", "gift", rule="no-open-proposal")
    store.ok("propose", ref, "--remedy", "gift", "--detail", "a torch")
    store.ok("approve", ref, actor=SERVICE_MANAGER)
    store.refused("propose", ref, "--remedy", "refund", "--amount", "50", rule="proposal-open")
    store.ok("propose", ref, "--replace", "--remedy", "refund", "--amount", "50")
    first, second = store.show(ref)["proposals"]
    assert first["state"] == "superseded" and second["supersedes"] == 1
    assert second["state"] == "pending"
    assert types(store, ref).count("RemedyProposed") == 2


def test_approval_covers_the_whole_proposal_per_currency(store: Store) -> None:
    ref = store.new()
    # 400 + 400 CNY: each part within tier 1's 500, the proposal is not.
    store.ok("propose", ref, "--remedy", "refund", "--amount", "400")
    assert store.show(ref)["proposals"][0]["needs_approval"] is False
    store.ok("propose", ref, "--add", "--remedy", "gift", "--amount", "400")
    p = store.show(ref)["proposals"][0]
    assert p["needs_approval"] is True and p["required_tier"] == 2
    # Alternatives are not added up: the customer takes one of them.
    other = store.new(contact="13900000001")
    store.ok("propose", other, "--remedy", "refund", "--amount", "400")
    store.ok("propose", other, "--alternative", "--remedy", "gift", "--amount", "450")
    assert store.show(other)["proposals"][0]["needs_approval"] is False
    # An approval given stands only while the whole stays within the approver's limit.
    store.ok("approve", ref, actor=SERVICE_MANAGER)
    store.ok("propose", ref, "--add", "--remedy", "compensation", "--amount", "4000")
    assert store.show(ref)["proposals"][0]["approved_by"] == SERVICE_MANAGER  # 4,800 <= 5,000
    store.ok("propose", ref, "--add", "--remedy", "compensation", "--amount", "500")
    assert store.show(ref)["proposals"][0]["approved_by"] is None  # 5,300: above it
    store.refused("accept", ref, rule="remedy-needs-approval")
    store.ok("approve", ref, actor=MANAGER)
    store.ok("accept", ref)
    # Another currency is never added to CNY: it needs the unlimited tier by itself.
    usd = store.new(contact="13900000002")
    store.ok("propose", usd, "--remedy", "refund", "--amount", "10", "--currency", "USD")
    store.ok("propose", usd, "--add", "--remedy", "gift", "--amount", "10")
    p = store.show(usd)["proposals"][0]
    assert p["options"][0]["total"] == {"CNY": "10", "USD": "10"} and p["required_tier"] == 3


def test_compensation_is_bounded_by_the_documented_loss(store: Store) -> None:
    ref = store.new()
    store.ok("assess", ref, "--valid", "--loss", "1000")
    store.refused(
        "propose", ref, "--remedy", "compensation", "--amount", "1200", actor=MANAGER,
        rule="compensation-above-loss",
    )  # fmt: skip
    store.ok("propose", ref, "--remedy", "compensation", "--amount", "600", actor=SERVICE_MANAGER)
    store.refused(
        "propose", ref, "--add", "--remedy", "compensation", "--amount", "500",
        actor=SERVICE_MANAGER, rule="compensation-above-loss",
    )  # fmt: skip
    # Other kinds of remedy are not compensation: not bounded by the loss.
    store.ok("propose", ref, "--add", "--remedy", "replacement", "--amount", "900")
    store.refused(
        "propose", ref, "--add", "--remedy", "compensation", "--amount", "500",
        "--override-reason", "x", actor=SERVICE_MANAGER, rule="override-needs-manager",
    )  # fmt: skip
    store.ok(
        "propose", ref, "--add", "--remedy", "compensation", "--amount", "500",
        "--override-reason", "律师函后总经理特批", actor=MANAGER,
    )  # fmt: skip
    p = store.show(ref)["proposals"][0]
    assert p["overrides"] == [
        {"rule": "compensation-above-loss", "reason": "律师函后总经理特批", "by": MANAGER}
    ]
    assert "override compensation-above-loss" in store.ok("show", ref).stdout
    # A loss in another currency bounds nothing in CNY: refused too.
    usd = store.new(contact="13900000003")
    store.ok("assess", usd, "--valid", "--loss", "100", "--currency", "USD")
    store.refused(
        "propose", usd, "--remedy", "compensation", "--amount", "100",
        rule="compensation-above-loss",
    )  # fmt: skip


def test_no_compensation_on_a_case_not_valid(store: Store) -> None:
    ref = store.new()
    store.ok("assess", ref, "--not-valid", "--root-cause", "客户自身操作不当")
    store.refused(
        "propose", ref, "--remedy", "compensation", "--amount", "100",
        rule="compensation-on-invalid-case",
    )  # fmt: skip
    store.ok("propose", ref, "--remedy", "apology-visit", "--detail", "上门解释")  # explain
    store.ok(
        "propose", ref, "--replace", "--remedy", "compensation", "--amount", "100",
        "--override-reason", "老客户关系维护", actor=MANAGER,
    )  # fmt: skip
    last = store.json("history", ref)[-1]
    assert last["data"]["override"] == "compensation-on-invalid-case"
    assert last["actor"] == MANAGER


def test_remedy_rules_on_bad_input(store: Store) -> None:
    ref = store.new()
    store.refused("assess", ref, "--valid", "--loss", "-1", code=2)
    store.refused("assess", ref, "--valid", "--currency", "USD", code=2, rule="--loss")
    assert ADVISER  # the default actor: a tier-1 agent
