"""The worked cases of DOMAIN.md, each told from receipt to archive through the real CLI."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime, timedelta

import pytest
from conftest import ADVISER, DIRECTOR, MANAGER, SERVICE_MANAGER, Store


@pytest.fixture
def store(any_store: Store) -> Store:
    """The car-service stories run on every backend: file, SQLite and PostgreSQL."""
    return any_store


def types(store: Store, ref: str) -> list[str]:
    return [e["type"] for e in store.json("history", ref)]


def test_misquoted_blower_motor(store: Store) -> None:
    """Quoted about 200 for a blower motor that cost over 1,000: our misquote, we pay the gap."""
    ref = store.new(
        "--signed",
        customer="王先生",
        contact="138 0000 0000",
        account="沪A·12345",
        channel="walk-in",
        category="misquote",
        summary="空调异响,报价鼓风机约200元,更换前发现实际1000多元",
        demand="按原报价维修",
        demand_amount="800",
        received_at="2026-09-07T10:00",
        occurred_at="2026-09-05",
        mood="angry",
    )
    assert re.fullmatch(r"C-\d{4}-\d{5}", ref)
    case = store.show(ref.lower())  # references are case-insensitive
    assert case["status"] == "received"
    assert case["received_at"] == "2026-09-07T10:00:00+08:00"  # business time, shop zone
    assert case["created_at"] != case["received_at"]  # the recorded time is separate
    assert case["signed_by_customer"] is True and case["first_ask_owner"] == ADVISER

    store.ok("ack", ref, "--reply-by", "2026-09-08T10:00", "--message", "当面致歉")
    store.ok("transfer", ref, "parts", "--co-handle", "--reason", "核对零件价格")
    store.ok("investigate", ref, "服务顾问查错零件号", actor=DIRECTOR)
    store.ok(
        "assess", ref, "--valid", "--root-cause", "报价未核对", "--at-fault", ADVISER,
        "--at-fault", "service", actor=DIRECTOR,
    )  # fmt: skip
    out = store.ok(
        "propose", ref, "--remedy", "fee-waiver", "--amount", "800", "--currency", "CNY",
        "--detail", "差价由店方承担",
    ).stdout  # fmt: skip
    assert "needs approval by tier 2" in out
    store.refused("accept", ref, rule="remedy-needs-approval")
    store.refused("approve", ref, rule="approval-needs-higher-tier", actor=DIRECTOR)
    store.ok("approve", ref, actor=SERVICE_MANAGER)
    store.ok("accept", ref, "--reason", "客户同意")
    store.ok("resolve", ref, "--summary", "按200元更换鼓风机")
    store.ok("close", ref)
    store.ok("followup", ref, "--outcome", "reached", "--satisfaction", "5", "--channel", "phone")
    store.ok(
        "review", ref, "--root-cause", "报价无复核", "--lesson", "以系统价格为准",
        "--action", "报价双人复核", "--action-owner", SERVICE_MANAGER, actor=SERVICE_MANAGER,
    )  # fmt: skip
    store.ok("archive", ref, actor=MANAGER)

    case = store.show(ref)
    assert case["status"] == "archived"
    assert case["owner"] == ADVISER and case["departments"][0]["mode"] == "co-handle"
    assert case["at_fault_staff"] == [ADVISER] and case["at_fault_departments"] == ["service"]
    assert case["proposals"][0]["approved_by"] == SERVICE_MANAGER
    assert case["proposals"][0]["amount"] == "800" and case["proposals"][0]["state"] == "accepted"
    assert case["followups"][0]["satisfaction"] == 5
    assert case["reviews"][0]["action_owner"] == SERVICE_MANAGER
    history = store.json("history", ref)
    assert [e["type"] for e in history] == [
        "Received",
        "Acknowledged",
        "CoHandled",
        "Investigated",
        "Assessed",
        "RemedyProposed",
        "RemedyApproved",
        "RemedyAccepted",
        "Resolved",
        "Closed",
        "FollowedUp",
        "Reviewed",
        "Archived",
    ]
    assert [e["version"] for e in history] == list(range(1, 14))
    positions = [e["position"] for e in history]  # global: the counter and customer file too
    assert positions == sorted(positions) and len(set(positions)) == 13
    assert all(e["ref"] == ref and e["recorded_at"] >= e["occurred_at"] for e in history)
    assert history[6]["actor"] == SERVICE_MANAGER and history[-1]["actor"] == MANAGER
    # An archived file is only read, unless a manager reopens it.
    store.refused("note", ref, "再次来电", rule="archived-read-only")
    store.refused("reopen", ref, "--reason", "复发", rule="archived-reopen-needs-manager")
    store.ok("reopen", ref, "--reason", "客户反映复发", actor=MANAGER)
    assert store.show(ref)["status"] == "in_progress"
    table = store.ok("history", ref).stdout
    assert f"{SERVICE_MANAGER} approved remedy 1" in table  # history in plain words


def test_gift_ran_out_and_staff_argued(store: Store) -> None:
    """The promised torch had run out; the real complaint: staff argued instead of apologising."""
    ref = store.new(
        channel="phone",
        category="appointment",
        summary="电话确认有手电筒礼品,到店后说已发完,接待人员与客户争执",
        demand="要手电筒礼品并道歉",
        mood="upset",
    )
    store.ok("ack", ref)
    case = store.show(ref)
    received = datetime.fromisoformat(case["received_at"])
    promised = datetime.fromisoformat(case["reply_by"])
    assert timedelta(hours=23) < promised - received < timedelta(hours=25)  # config default 24 h
    store.ok("contact", ref, "--outcome", "no-answer", "--channel", "phone")
    store.ok("contact", ref, "--outcome", "reached", "--channel", "phone", "--summary", "已致歉")
    store.ok(
        "classify", ref, "--category", "service-attitude", "--reason", "实质是接待态度",
        actor=DIRECTOR,
    )  # fmt: skip
    store.ok("assess", ref, "--valid", "--root-cause", "接待人员争辩", "--at-fault", "reception")
    store.ok("propose", ref, "--remedy", "gift", "--detail", "店内自备礼品")
    store.ok("reject", ref, "--reason", "只要手电筒")
    store.ok("propose", ref, "--remedy", "apology-visit", "--detail", "主管上门致歉并补送手电筒")
    store.ok("accept", ref)
    store.ok("resolve", ref, "--summary", "主管上门致歉,补送手电筒")
    store.ok("followup", ref, "--outcome", "reached", "--satisfaction", "4")
    store.ok("close", ref)
    store.ok(
        "review", ref, "--root-cause", "礼品库存未通知前台", "--lesson", "先道歉再解释",
        "--action", "服务礼仪培训", "--action-owner", DIRECTOR, actor=DIRECTOR,
    )  # fmt: skip
    store.ok("archive", ref)
    case = store.show(ref)
    assert case["category"] == "service-attitude"
    assert [p["state"] for p in case["proposals"]] == ["rejected", "accepted"]
    assert [c["outcome"] for c in case["contacts"]] == ["no-answer", "reached"]
    assert case["status"] == "archived"


def test_warranty_refund_stalls_and_follow_up_reopens(store: Store) -> None:
    """A warranty refused (car misclassified as a driving-school car); the refund then stalled."""
    ref = store.new(
        category="warranty",
        channel="phone",
        summary="蓄电池保修被拒,理由是教练车,实为私家车",
        demand="保修退款",
        demand_amount="1200",
    )
    store.ok("ack", ref, "--reply-by", "+2d")
    store.ok("investigate", ref, "车辆被误登记为驾校用车")
    store.ok("assess", ref, "--valid", "--root-cause", "车辆用途登记错误", "--at-fault", "warranty")
    store.ok("propose", ref, "--remedy", "refund", "--amount", "1200")
    store.ok("approve", ref, actor=SERVICE_MANAGER)
    store.ok("accept", ref)
    store.ok("resolve", ref, "--summary", "同意退款")
    # Months later: the refund never arrived because the old battery was missing.
    store.ok(
        "followup", ref, "--outcome", "reached", "--satisfaction", "1",
        "--leftover", "退款因旧电池未交回而停滞",
    )  # fmt: skip
    case = store.show(ref)
    assert case["status"] == "in_progress" and case["reopen_count"] == 1
    assert types(store, ref)[-2:] == ["FollowedUp", "Reopened"]
    store.ok("escalate", ref, "--tier", "2", "--reason", "客户多次来电")
    store.refused(
        "escalate", ref, "--tier", "1", "--reason", "降级", rule="only-manager-lowers-tier"
    )
    store.ok("note", ref, "-", input="旧电池已由厂家回收,\n凭回收单退款")
    store.ok("resolve", ref, "--summary", "凭回收单完成退款", actor=SERVICE_MANAGER)
    store.ok("close", ref)
    store.ok("followup", ref, "--outcome", "reached", "--satisfaction", "4")
    store.ok("archive", ref)
    case = store.show(ref)
    assert case["status"] == "archived" and case["tier"] == 2
    assert case["notes"][0]["text"] == "旧电池已由厂家回收,\n凭回收单退款"


def test_goods_damaged_in_transport(store: Store) -> None:
    """300,000 shipped, 3,000 repair plus 81,000 wrecked; settled at 4,000 plus re-shipment."""
    ref = store.new(
        customer="某贸易公司",
        contact="021-00000000",
        channel="letter",
        category="other",
        summary="30万元货物运输破损,七成完好,修复3000元,报废81000元",
        demand="赔偿84000元",
        demand_amount="84000",
    )
    case = store.show(ref)
    assert case["severity"] == "major" and case["severity_by"] == "rule"
    assert any("demand 84000" in r for r in case["major_reasons"])
    other = store.new(customer="另一家公司", contact="021-11111111", summary="同批货物破损")
    store.ok("link", ref, other, "--group", "同批运输破损")
    assert store.show(other)["groups"] == ["同批运输破损"] and store.show(other)["links"] == [ref]
    store.ok("ack", ref)
    store.ok("escalate", ref, "--tier", "2", "--reason", "重大投诉")
    store.ok("investigate", ref, "承运方装卸不当", actor=SERVICE_MANAGER)
    store.ok("assess", ref, "--valid", "--root-cause", "承运方装卸", "--at-fault", "logistics")
    store.ok("propose", ref, "--remedy", "compensation", "--amount", "3000", actor=SERVICE_MANAGER)
    store.ok("reject", ref, "--reason", "不够")
    store.ok(
        "propose", ref, "--remedy", "compensation", "--amount", "4000.00",
        "--detail", "另行补发货物", actor=SERVICE_MANAGER,
    )  # fmt: skip
    store.ok("accept", ref)  # within the tier-2 limit: no approval needed
    store.ok("resolve", ref, "--summary", "赔偿4000元并补发")
    store.ok("close", ref)
    store.ok("archive", ref)
    case = store.show(ref)
    assert case["proposals"][1]["amount"] == "4000.00"
    assert case["proposals"][1]["needs_approval"] is False
    assert case["status"] == "archived"


def test_karaoke_room_given_away(store_factory: Callable[[str], Store]) -> None:
    """A booked room given to later guests; a discount demanded, the consumer body threatened."""
    store = store_factory("retail")
    ref = store.new(
        customer="刘女士",
        contact="139 1111 2222",
        channel="phone",
        category="booking",
        summary="预订的包厢被安排给后到客人",
        demand="打折,否则投诉到消协",
        actor="小刘",
    )
    store.ok("ack", ref, actor="小刘")
    store.ok("classify", ref, "--severity", "major", "--reason", "威胁向消协投诉", actor="小刘")
    case = store.show(ref)
    assert case["severity"] == "major" and case["severity_by"] == "小刘"
    assert "威胁向消协投诉" in case["major_reasons"]
    store.ok("propose", ref, "--remedy", "fee-waiver", "--amount", "300", actor="小刘")
    store.refused("accept", ref, actor="小刘", rule="remedy-needs-approval")
    store.ok("approve", ref, actor="赵经理")
    store.ok("accept", ref, actor="小刘")
    store.ok("resolve", ref, "--summary", "当晚消费减免300元", actor="小刘")
    store.ok("close", ref, actor="小刘")
    store.ok("archive", ref, actor="小刘")
    assert store.show(ref)["status"] == "archived"


def test_insurance_surrender_with_regulatory_clock(store_factory: Callable[[str], Store]) -> None:
    """A policy surrendered early; half the difference (2,459.79) demanded, media threatened."""
    store = store_factory("bank")
    ref = store.new(
        customer="张女士",
        contact="137 0000 1111",
        account="P-88001234",
        channel="phone",
        category="surrender",
        summary="提前退保损失较大",
        demand="补偿差额的一半,否则找媒体",
        demand_amount="2459.79",
        received_at="2026-11-02",
        actor="agent-01",
    )
    case = store.show(ref)
    assert case["severity"] == "major" and case["severity_by"] == "rule"
    assert case["demand_amount"] == "2459.79"
    assert case["decision_due"] == "2026-11-17T00:00:00+08:00"  # 15 calendar days
    store.ok("extend", ref, "--reason", "需调取投保录音", actor="agent-01")
    store.ok("extend", ref, "--reason", "客户补充材料", actor="agent-01")
    assert store.show(ref)["decision_due"] == "2027-01-01T00:00:00+08:00"  # 60 days
    store.refused("extend", ref, "--reason", "再延", actor="agent-01", rule="no-further-extension")
    store.ok("ack", ref, actor="agent-01")
    store.ok("attach", ref, __file__, "--kind", "recording", actor="agent-01")
    store.ok(
        "assess", ref, "--not-valid", "--root-cause", "客户自行提前退保,条款已告知",
        actor="claims-manager",
    )  # fmt: skip
    store.ok("escalate", ref, "--tier", "3", "--reason", "威胁媒体曝光", actor="claims-manager")
    store.ok(
        "propose", ref, "--remedy", "apology-visit", "--detail", "解释条款", actor="compliance-head"
    )
    store.ok("accept", ref, actor="agent-01")
    store.ok("resolve", ref, "--summary", "上门解释条款,客户理解", actor="agent-01")
    store.ok("close", ref, actor="agent-01")
    store.ok("archive", ref, actor="agent-01")
    case = store.show(ref)
    assert case["valid"] is False and case["tier"] == 3
    assert case["attachments"][0]["kind"] == "recording"
    assert case["status"] == "archived"
    assert store.ok("verify").exit_code == 0
