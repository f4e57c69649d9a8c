"""Customers (the same contact or the same account is the same person) and outside parties,
through the real CLI on the file store and on SQLite."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import Store, make_store


@pytest.fixture(params=["file", "sqlite"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Store:
    return make_store(tmp_path / "store", backend=request.param)


def test_a_plate_given_once_does_not_split_a_customer(store: Store) -> None:
    first = store.new(contact="138 0000 0000", account="沪A·12345")
    second = store.new(contact="13800000000")  # the same phone, no plate this time
    third = store.new(contact="021-5555", account="沪A·12345")  # the plate, another phone
    # The repeat rule (3 within 90 days in the preset) sees all three.
    case = store.show(third)
    assert case["severity"] == "major"
    assert any("complaint 3 of this customer" in r for r in case["major_reasons"])
    for query in ("沪A·12345", "13800000000", "021-5555"):
        found = store.json("customer", query)
        assert [c["ref"] for c in found["cases"]] == [first, second, third], query
        (person,) = found["customers"]
        assert person["cases"] == 3 and person["accounts"] == ["沪A·12345"]
        assert person["repeat_within_rule"] is True
    out = store.ok("customer", "沪a·12345").stdout  # case-insensitive
    assert "REPEAT COMPLAINANT" in out and "[沪A·12345]" in out
    other = store.new(customer="李女士", contact="13911111111")
    assert [c["ref"] for c in store.json("customer", "李女士")["cases"]] == [other]
    store.refused("customer", "nobody-at-all", code=3)


def test_a_consumer_association_takes_up_an_existing_case(store: Store) -> None:
    """The karaoke room: the customer went to the consumer association; one case, not two."""
    ref = store.new(channel="phone", summary="预订包间被转给他人")
    other = store.new(contact="13900000000")
    assert store.show(ref)["severity"] == "general"
    store.ok("external", ref, "--party", "consumer-association", "--reference", "消协-118")
    store.refused(
        "external", ref, "--party", "consumer-association", "--reference", "消协-118",
        rule="outside-party-known",
    )  # fmt: skip
    store.ok(
        "external", ref, "--party", "consumer-association", "--reference", "消协-118",
        "--reply", "已书面答复",
    )  # fmt: skip
    case = store.show(ref)
    assert case["severity"] == "major" and case["severity_by"] == "rule"
    assert case["outside_parties"] == [
        {
            "party": "consumer-association",
            "reference": "消协-118",
            "at": case["outside_parties"][0]["at"],
            "replies": [
                {
                    "text": "已书面答复",
                    "by": "张伟",
                    "at": case["outside_parties"][0]["replies"][0]["at"],
                }
            ],
        }
    ]
    assert "consumer-association involved (消协-118)" in case["major_reasons"]
    assert "已书面答复" in store.ok("show", ref).stdout
    # It comes first, before older and other cases.
    assert [c["ref"] for c in store.json("list")][:1] == [ref]
    assert other in {c["ref"] for c in store.json("list")}
    store.refused("external", ref, "--party", "media", "--reference", "x", code=2)


def test_an_external_route_after_a_rejected_proposal(store: Store) -> None:
    ref = store.new()
    store.refused("route", ref, "--to", "arbitration", rule="route-needs-rejected-proposal")
    store.ok("propose", ref, "--remedy", "refund", "--amount", "100")
    store.ok("reject", ref, "--reason", "要求全额")
    store.ok("route", ref, "--to", "arbitration", "--reference", "沪仲2026-77")
    store.refused("route", ref, "--to", "court", rule="route-already-open")
    store.refused("close", ref, rule="close-requires-resolved")  # kept open
    case = store.show(ref)
    assert case["status"] == "in_progress"
    assert case["external_route"]["route"] == "arbitration"
    assert case["external_route"]["concluded_at"] is None
    store.ok("route", ref, "--concluded", "仲裁裁定赔偿300元")
    assert store.show(ref)["external_route"]["outcome"] == "仲裁裁定赔偿300元"
    store.refused("route", ref, "--concluded", "again", rule="no-open-route")
    store.refused("route", ref, code=2)
    store.ok("propose", ref, "--remedy", "refund", "--amount", "300")
    store.ok("accept", ref)
    store.ok("resolve", ref, "--summary", "按裁决退款")
    store.ok("close", ref)


def test_review_actions_have_an_owner_a_due_date_and_a_done_state(store: Store) -> None:
    ref = store.new()
    store.ok("propose", ref, "--remedy", "gift")
    store.ok("accept", ref)
    store.ok("resolve", ref, "--summary", "ok")
    store.ok("close", ref)
    store.ok(
        "review", ref, "--root-cause", "报价流程无复核", "--lesson", "报价前查系统",
        "--action", "报价双人复核", "--action-owner", "王强", "--action-due", "2026-01-01",
    )  # fmt: skip
    store.ok("review", ref, "--root-cause", "x", "--lesson", "y", "--action", "培训")
    open_ = store.json("actions", "--open")
    assert [(a["number"], a["owner"], a["late"]) for a in open_] == [
        (1, "王强", True),
        (2, None, False),
    ]
    assert [a["number"] for a in store.json("actions", "--owner", "王强")] == [1]
    store.ok("action-done", ref, "1", "--note", "已培训")
    store.refused("action-done", ref, "1", rule="action-already-done")
    store.refused("action-done", ref, "3", code=2)
    assert [a["number"] for a in store.json("actions", "--open")] == [2]
    everything = store.json("actions")
    assert [(a["number"], a["done"]) for a in everything] == [(2, False), (1, True)]
    assert "Review actions" in store.ok("show", ref).stdout
    assert "报价双人复核" in store.ok("actions", "--format", "csv").stdout


def test_major_by_every_trigger_with_its_reason(store: Store) -> None:
    media = store.new("--media-threat", contact="1")
    assert "threat of media exposure" in store.show(media)["major_reasons"]
    lawyer = store.new("--customer-type", "lawyer", contact="2")
    assert "influential customer (lawyer)" in store.show(lawyer)["major_reasons"]
    plain = store.new("--customer-type", "teacher", contact="3")
    assert store.show(plain)["severity"] == "general"
    # Large demand: compared in the shop's currency only.
    usd = store.new(contact="4", demand_amount="5", currency="USD")
    assert store.show(usd)["severity"] == "general"
    # Later: classify --vip / --media-threat / --customer-type, each reason kept.
    ref = store.new(contact="5")
    store.ok("classify", ref, "--vip", "--reason", "区人大代表")
    store.ok("classify", ref, "--media-threat", "--reason", "称要找电视台")
    store.refused("classify", ref, "--vip", rule="nothing-to-classify")
    store.refused("classify", ref, "--customer-type", "teacher", code=2)
    case = store.show(ref)
    assert case["severity"] == "major" and case["severity_by"] == "张伟"
    assert [t["trigger"] for t in case["major_triggers"]] == ["vip", "media-threat"]
    assert "VIP customer (by 张伟: 区人大代表)" in case["major_reasons"]
    assert "threat of media exposure: 称要找电视台" in case["major_reasons"]
    # Passed around: three transfers or changes of owner.
    moved = store.new(contact="6")
    store.ok("transfer", moved, "parts")
    store.ok("assign", moved, "李娜")
    assert store.show(moved)["severity"] == "general"
    store.ok("transfer", moved, "service")
    case = store.show(moved)
    assert case["severity"] == "major" and case["severity_by"] == "rule"
    assert "passed around: 3 transfers or changes of owner" in case["major_reasons"]
    # A group complaint of three customers: every member becomes major.
    a, b, c = (store.new(contact=f"7{i}") for i in range(3))
    store.ok("link", a, b, "--group", "同批破损")
    assert store.show(a)["severity"] == "general"
    store.ok("link", c, "--group", "同批破损")
    assert all(store.show(r)["severity"] == "major" for r in (a, b, c))
    assert "group complaint 同批破损: 3 customers" in store.show(a)["major_reasons"]
    # Major cases come first in list and overdue.
    listed = [x["ref"] for x in store.json("list")]
    majors = [x["ref"] for x in store.json("list", "--severity", "major")]
    assert listed[: len(majors)] == majors


def test_major_rules_are_configurable(store: Store) -> None:
    import tomllib

    import tomli_w

    cfg = store.path / "complaintctl.toml"
    data = tomllib.loads(cfg.read_text("utf-8"))
    data.setdefault("major", {}).update(
        {"transfers": 1, "group_size": 2, "influential_types": ["teacher"]}
    )
    cfg.write_text(tomli_w.dumps(data), "utf-8")
    ref = store.new("--customer-type", "teacher")
    assert "influential customer (teacher)" in store.show(ref)["major_reasons"]
    moved = store.new(contact="9")
    store.ok("assign", moved, "李娜")
    assert store.show(moved)["severity"] == "major"
    data["major"]["transfers"] = 0
    cfg.write_text(tomli_w.dumps(data), "utf-8")
    r = store.invoke("list")
    assert r.exit_code == 2 and "major.transfers" in r.stderr


def test_outside_party_and_major_cases_come_first_in_overdue_and_handover(store: Store) -> None:
    old = store.new(contact="1", received_at="-80h")
    major = store.new("--media-threat", contact="2", received_at="-60h")
    body = store.new(contact="3", received_at="-50h")
    store.ok("external", body, "--party", "regulator", "--reference", "12315-9")
    late = [r["ref"] for r in store.json("overdue")["overdue"]]
    assert late == [body, major, old]
    h = store.json("handover", "--shift", "day")
    assert [c["ref"] for c in h["open_by_owner"][0]["cases"]] == [body, major, old]
    assert [o["ref"] for o in h["overdue"]] == [body, major, old]
