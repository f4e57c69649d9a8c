"""Every business rule: refused with exit 4, the rule named, and nothing written."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest
import tomli_w
from conftest import ADVISER, DIRECTOR, MANAGER, SERVICE_MANAGER, Store, make_store


@pytest.fixture(params=["file", "sqlite"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Store:
    """Every rule is checked on the file store and on SQLite (PostgreSQL: the stories)."""
    return make_store(tmp_path / "store", backend=request.param)


def resolved_case(store: Store) -> str:
    ref = store.new()
    store.ok("resolve", ref, "--summary", "done")
    return ref


def closed_case(store: Store) -> str:
    ref = resolved_case(store)
    store.ok("close", ref)
    return ref


def archived_case(store: Store) -> str:
    ref = closed_case(store)
    store.ok("archive", ref)
    return ref


# -- the order of the lifecycle ----------------------------------------------------


def test_no_close_before_resolved(store: Store) -> None:
    ref = store.new()
    store.refused("close", ref, rule="close-requires-resolved")
    store.ok("ack", ref)
    store.refused("close", ref, rule="close-requires-resolved")


def test_no_archive_before_closed(store: Store) -> None:
    ref = resolved_case(store)
    store.refused("archive", ref, rule="archive-requires-closed")
    assert store.show(ref)["status"] == "resolved"


@pytest.mark.parametrize(
    "args",
    [
        ("assign", "{ref}", DIRECTOR),
        ("propose", "{ref}", "--remedy", "gift"),
        ("escalate", "{ref}", "--tier", "2", "--reason", "x"),
        ("resolve", "{ref}", "--summary", "again"),
        ("withdraw", "{ref}", "--reason", "x"),
        ("ack", "{ref}"),
        ("contact", "{ref}", "--outcome", "reached"),
    ],
)
def test_closed_case_takes_only_a_few_actions(store: Store, args: tuple[str, ...]) -> None:
    ref = closed_case(store)
    store.refused(*(a.format(ref=ref) for a in args), rule="closed-case-limited")


def test_closed_case_takes_note_attach_followup_review_archive(
    store: Store, tmp_path: Path
) -> None:
    ref = closed_case(store)
    evidence = tmp_path / "signed.pdf"
    evidence.write_bytes(b"%PDF-1.4 signed")
    store.ok("note", ref, "客户来电致谢")
    store.ok("attach", ref, str(evidence), "--kind", "signed-form")
    store.ok("followup", ref, "--outcome", "unreachable")
    store.ok("review", ref, "--root-cause", "rc", "--lesson", "l")
    store.ok("archive", ref)
    assert store.show(ref)["status"] == "archived"


@pytest.mark.parametrize(
    "args",
    [
        ("note", "{ref}", "text"),
        ("followup", "{ref}", "--outcome", "reached"),
        ("review", "{ref}", "--root-cause", "a", "--lesson", "b"),
        ("archive", "{ref}"),
    ],
)
def test_archived_case_is_read_only(store: Store, args: tuple[str, ...]) -> None:
    ref = archived_case(store)
    store.refused(*(a.format(ref=ref) for a in args), rule="archived-read-only", actor=MANAGER)


def test_only_a_manager_reopens_an_archived_case(store: Store) -> None:
    ref = archived_case(store)
    store.refused("reopen", ref, "--reason", "x", rule="archived-reopen-needs-manager")
    store.refused(
        "reopen", ref, "--reason", "x", rule="archived-reopen-needs-manager", actor=SERVICE_MANAGER
    )
    store.ok("reopen", ref, "--reason", "复发", actor=MANAGER)
    assert store.show(ref)["status"] == "in_progress"


def test_reopen_needs_a_finished_case(store: Store) -> None:
    ref = store.new()
    store.refused("reopen", ref, "--reason", "x", rule="reopen-requires-finished")


@pytest.mark.parametrize("command", ["approve", "accept", "reject"])
def test_no_answer_or_approval_without_a_pending_proposal(store: Store, command: str) -> None:
    ref = store.new()
    store.refused(command, ref, rule="needs-pending-proposal", actor=MANAGER)
    store.ok("propose", ref, "--remedy", "gift")
    store.ok("accept", ref)
    store.refused(command, ref, rule="needs-pending-proposal", actor=MANAGER)


def test_follow_up_only_after_resolution(store: Store) -> None:
    ref = store.new()
    store.refused("followup", ref, "--outcome", "reached", rule="followup-requires-resolution")
    store.ok("resolve", ref, "--summary", "done")
    store.ok("followup", ref, "--outcome", "reached", "--satisfaction", "5")


def test_follow_up_with_a_leftover_problem_reopens(store: Store) -> None:
    ref = closed_case(store)
    out = store.ok("followup", ref, "--outcome", "reached", "--leftover", "仍有异响").stdout
    assert "reopened" in out
    case = store.show(ref)
    assert case["status"] == "in_progress" and case["followups"][0]["leftover"] == "仍有异响"
    last = store.json("history", ref)[-1]
    assert last["type"] == "Reopened" and last["data"]["trigger"] == "followup"
    assert last["data"]["from_status"] == "closed"


def test_resolved_case_needs_reopen_before_new_work(store: Store) -> None:
    ref = resolved_case(store)
    store.refused("propose", ref, "--remedy", "gift", rule="resolved-case-limited")


def test_no_resolve_while_a_proposal_awaits_the_customer(store: Store) -> None:
    ref = store.new()
    store.ok("propose", ref, "--remedy", "gift")
    store.refused("resolve", ref, "--summary", "x", rule="resolve-with-pending-proposal")


def test_withdrawn_case_is_limited(store: Store) -> None:
    ref = store.new()
    store.ok("withdraw", ref, "--reason", "客户撤回")
    store.refused("propose", ref, "--remedy", "gift", rule="withdrawn-case-limited")
    store.ok("note", ref, "客户来电确认撤回")
    store.ok("archive", ref)


# -- remedy limits -------------------------------------------------------------------


def test_remedy_above_the_limit_needs_higher_tier_approval(store: Store) -> None:
    ref = store.new()
    store.ok("propose", ref, "--remedy", "refund", "--amount", "500.01", "--currency", "CNY")
    proposal = store.show(ref)["proposals"][0]
    assert proposal["needs_approval"] is True and proposal["required_tier"] == 2
    store.refused("accept", ref, rule="remedy-needs-approval")
    store.refused("approve", ref, rule="approval-needs-higher-tier")
    store.refused("approve", ref, rule="approval-needs-higher-tier", actor=DIRECTOR)
    store.ok("approve", ref, actor=SERVICE_MANAGER)
    store.refused("approve", ref, rule="already-approved", actor=MANAGER)
    store.ok("accept", ref)


def test_remedy_within_the_limit_needs_no_approval(store: Store) -> None:
    ref = store.new()
    store.ok("propose", ref, "--remedy", "refund", "--amount", "500")
    store.ok("accept", ref)


def test_remedy_above_tier_two_limit_needs_the_general_manager(store: Store) -> None:
    ref = store.new()
    store.ok("propose", ref, "--remedy", "compensation", "--amount", "6000", actor=SERVICE_MANAGER)
    store.refused("approve", ref, rule="approval-needs-higher-tier", actor=SERVICE_MANAGER)
    store.ok("approve", ref, actor=MANAGER)
    store.ok("accept", ref)


def test_remedy_in_another_currency_needs_the_top_tier(store: Store) -> None:
    ref = store.new()
    store.ok("propose", ref, "--remedy", "refund", "--amount", "10", "--currency", "USD")
    assert store.show(ref)["proposals"][0]["required_tier"] == 3


# -- escalation --------------------------------------------------------------------


def test_escalation_goes_up_only_a_manager_lowers_it(store: Store) -> None:
    ref = store.new()
    store.refused("escalate", ref, "--tier", "1", "--reason", "x", rule="escalation-goes-up")
    store.refused(
        "escalate", ref, "--tier", "3", "--reason", "媒体", rule="tier-3-needs-supervisor"
    )
    store.ok(
        "escalate", ref, "--tier", "3", "--reason", "媒体", actor=DIRECTOR
    )  # two tiers at once
    store.refused(
        "escalate", ref, "--tier", "2", "--reason", "x", rule="only-manager-lowers-tier",
        actor=SERVICE_MANAGER,
    )  # fmt: skip
    store.ok("escalate", ref, "--tier", "1", "--reason", "已平息", actor=MANAGER)
    assert [e["type"] for e in store.json("history", ref)][-2:] == ["Escalated", "Deescalated"]
    assert store.show(ref)["tier"] == 1


# -- major flags -------------------------------------------------------------------


def test_vip_flag_makes_it_major(store: Store) -> None:
    ref = store.new("--vip")
    case = store.show(ref)
    assert (case["severity"], case["severity_by"]) == ("major", "rule")
    assert case["major_reasons"] == ["VIP customer"]


@pytest.mark.parametrize("channel", ["media", "regulator", "consumer-association"])
def test_influential_channels_make_it_major(store: Store, channel: str) -> None:
    case = store.show(store.new(channel=channel))
    assert case["severity"] == "major" and case["major_reasons"] == [f"channel {channel}"]


def test_a_demand_above_the_threshold_makes_it_major(store: Store) -> None:
    assert store.show(store.new(demand_amount="20000"))["severity"] == "general"
    case = store.show(store.new(demand_amount="20000.01", contact="other"))
    assert case["severity"] == "major" and case["severity_by"] == "rule"


def test_the_same_customers_third_complaint_within_90_days_is_major(store: Store) -> None:
    first = store.new(received_at="2026-01-01")
    store.new(received_at="2026-05-01")  # 120 days later: the window starts again
    third = store.new(received_at="2026-05-02")
    assert store.show(first)["severity"] == "general"
    case = store.show(third)
    assert case["severity"] == "general"
    fourth = store.new(received_at="2026-05-03", contact="138 0000 0000")  # same, spaced
    case = store.show(fourth)
    assert case["severity"] == "major"
    assert case["major_reasons"] == ["complaint 3 of this customer within 90 days"]
    assert store.show(store.new(contact="999"))["severity"] == "general"


def test_a_person_flags_major_with_reason(store: Store) -> None:
    ref = store.new()
    store.refused("classify", ref, "--severity", "major", rule="severity-change-needs-reason")
    store.ok("classify", ref, "--severity", "major", "--reason", "律师身份", actor=DIRECTOR)
    case = store.show(ref)
    assert case["severity_by"] == DIRECTOR and case["major_reasons"] == ["律师身份"]
    event = store.json("history", ref)[-1]
    assert event["data"]["previous_severity"] == "general" and event["actor"] == DIRECTOR


def test_vip_list_in_the_config(store: Store) -> None:
    path = store.path / "complaintctl.toml"
    data = tomllib.loads(path.read_text("utf-8"))
    data["major"]["vip_customers"] = ["李局长"]
    path.write_text(tomli_w.dumps(data), "utf-8")
    assert store.show(store.new(customer="李局长"))["major_reasons"] == ["VIP customer"]


# -- roles ---------------------------------------------------------------------------


def test_unknown_staff_refused_when_the_shop_says_so(store: Store) -> None:
    path = store.path / "complaintctl.toml"
    data = tomllib.loads(path.read_text("utf-8"))
    store.new(actor="临时工")  # allowed by default, as a tier-1 agent
    data["shop"]["allow_unknown_staff"] = False
    path.write_text(tomli_w.dumps(data), "utf-8")
    store.refused(
        "new", "--customer", "a", "--contact", "b", "--channel", "phone", "--category", "other",
        "--summary", "s", actor="临时工", rule="staff-only",
    )  # fmt: skip
    store.new(actor=ADVISER)


def test_assign_to_the_same_owner_is_refused(store: Store) -> None:
    ref = store.new()
    store.refused("assign", ref, ADVISER, rule="assign-changes-owner")
    store.ok("assign", ref, SERVICE_MANAGER)
    case = store.show(ref)
    assert case["owner"] == SERVICE_MANAGER and case["first_ask_owner"] == ADVISER


def test_no_decision_extension_without_a_regulatory_clock(store: Store) -> None:
    ref = store.new()
    store.refused("extend", ref, "--reason", "x", rule="no-further-extension")
