"""The smaller defects of the shop's trial, each through the CLI on a real store.

Every test runs on the file store, SQLite and PostgreSQL (``any_store``).
"""

from __future__ import annotations

from datetime import timedelta

import shoptime
from conftest import DIRECTOR, MANAGER, SERVICE_MANAGER, Store


def test_hours_to_resolve_skip_the_time_a_case_sat_resolved(any_store: Store) -> None:
    s = any_store
    base = shoptime.ago()  # one instant: a minute turning between two options moved one

    def iso(days: float = 0, hours: float = 0) -> str:
        return shoptime.iso(base - timedelta(days=days, hours=hours))

    ref = s.new("--at", iso(days=10))
    s.ok("ack", ref, "--at", iso(days=10, hours=-1))
    s.ok("resolve", ref, "--summary", "fixed", "--at", iso(days=9))  # 24 h after receipt
    s.ok("followup", ref, "--outcome", "reached", "--leftover", "仍有异响", "--at", iso(days=2))
    s.ok("resolve", ref, "--summary", "fixed again", "--at", iso(days=2, hours=-2))
    clock = s.json("sla", ref)
    assert clock["hours_to_resolve"] == 26.0  # not 8 days: 7 of them it sat resolved
    assert clock["resolved_within_target"] is True  # the target is 168 h


def test_currency_codes_are_iso_4217(any_store: Store) -> None:
    s = any_store
    ref = s.new("--demand-amount", "5", "--currency", "rmb")
    case = s.show(ref)
    assert case["demand_currency"] == "CNY" and case["severity"] == "general"
    assert case["major_reasons"] == []
    s.refused(
        "new",
        "--customer",
        "李",
        "--contact",
        "1",
        "--channel",
        "walk-in",
        "--category",
        "misquote",
        "--summary",
        "x",
        "--demand-amount",
        "5",
        "--currency",
        "XYZ",
        code=2,
    )
    s.refused("propose", ref, "--remedy", "refund", "--amount", "5", "--currency", "ABC", code=2)
    s.ok("propose", ref, "--remedy", "refund", "--amount", "5", "--currency", "RMB")
    assert s.show(ref)["proposals"][0]["currency"] == "CNY"


def test_a_stated_major_reason_is_kept_on_a_case_already_major(any_store: Store) -> None:
    s = any_store
    ref = s.new("--vip")
    s.ok("classify", ref, "--severity", "major", "--reason", "客户是律师", actor=DIRECTOR)
    case = s.show(ref)
    assert case["major_reasons"] == ["VIP customer", "客户是律师"]
    assert case["severity_by"] == "rule"


def test_empty_summary_and_escalation_reason_are_refused(any_store: Store) -> None:
    s = any_store
    r = s.refused(
        "new",
        "--customer",
        "李",
        "--contact",
        "1",
        "--channel",
        "walk-in",
        "--category",
        "misquote",
        "--summary",
        "  ",
        code=2,
    )
    assert "summary" in r.stderr
    ref = s.new()
    s.refused("escalate", ref, "--tier", "2", "--reason", "", code=2)


def test_a_classify_that_changes_nothing_writes_nothing(any_store: Store) -> None:
    s = any_store
    ref = s.new()
    before = s.event_count()
    r = s.ok("classify", ref, "--category", "misquote", "--severity", "general")
    assert "nothing changed" in r.stdout + r.stderr
    assert s.event_count() == before
    assert s.json("classify", ref, "--category", "misquote")["version"] == 1
    s.ok("classify", ref, "--category", "warranty")
    assert s.event_count() == before + 1


def test_an_ack_message_that_contradicts_the_promise_is_refused(any_store: Store) -> None:
    s = any_store
    ref = s.new("--vip")  # major: the car-service preset promises 4 hours
    r = s.refused(
        "ack", ref, "--message", "承诺24小时内答复", rule="ack-message-contradicts-promise"
    )
    assert "24 h" in r.stderr and "--reply-by" in r.stderr
    s.refused("ack", ref, "--message", "we will answer within 2 days", rule="ack-message")
    s.ok("ack", ref, "--message", "承诺4小时内答复")
    ref2 = s.new(contact="other")
    s.ok("ack", ref2, "--message", "二十四小时内答复")  # general: 24 h
    s.ok("ack", ref2, "--message", "承诺2天内答复", "--reply-by", "+48h")
    s.ok("ack", ref2, "--message", "稍后回电")  # no window named: nothing to compare


def test_satisfaction_one_without_leftover_is_flagged_for_a_supervisor(
    any_store: Store,
) -> None:
    s = any_store
    ref = s.new()
    s.ok("resolve", ref, "--summary", "done")
    s.ok("followup", ref, "--outcome", "reached", "--satisfaction", "1")
    case = s.show(ref)
    assert case["supervisor_flag"]["reason"].startswith("satisfaction 1")
    assert "supervisor" in s.ok("show", ref).stdout
    listed = {c["ref"]: c for c in s.json("list")}
    assert listed[ref]["supervisor_flag"] is not None
    assert "supervisor" in s.ok("list").stdout
    flagged = [f for f in s.json("followups") if f["ref"] == ref]
    assert flagged and flagged[0]["flag"].startswith("satisfaction 1")
    s.ok("followup", ref, "--outcome", "reached", "--satisfaction", "4", actor=DIRECTOR)
    assert s.show(ref)["supervisor_flag"] is None
    assert [f for f in s.json("followups") if f["ref"] == ref] == []


def test_stats_by_followups_lists_staff_with_none(any_store: Store) -> None:
    s = any_store
    ref = s.new()
    s.ok("resolve", ref, "--summary", "done")
    s.ok("followup", ref, "--outcome", "reached", "--satisfaction", "5", actor=DIRECTOR)
    rows = s.json("stats", "--by", "followups")["groups"]
    done = {r["key"]: r["followups"] for r in rows}
    assert done[DIRECTOR] == 1
    assert done[MANAGER] == 0 and done[SERVICE_MANAGER] == 0
    assert all(r["met"] is False for r in rows)
