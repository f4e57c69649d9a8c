"""The write model on its own (in-memory store): details the CLI stories do not show."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from complaintctl.sources import app_source
from events import (
    ComplaintsApp,
    GroupNotFound,
    InvalidInput,
    NewCase,
    Policy,
    RuleRefused,
    StaffMember,
    case_id,
)
from events.customers import customer_key
from events.numbering import counter_id
from projections.case import public
from projections.caselog import read_case
from projections.models import ReadModels

STAFF = {
    "agent": StaffMember("agent", 1, "agent"),
    "lead": StaffMember("lead", 2, "supervisor"),
    "boss": StaffMember("boss", 3, "manager"),
}


@pytest.fixture
def app() -> ComplaintsApp:
    return ComplaintsApp(
        {"PERSISTENCE_MODULE": "eventsourcing.popo"},
        policy=Policy(staff=STAFF, allow_unknown_staff=False),
        clock=lambda: datetime(2026, 11, 23, 2, 0, tzinfo=UTC),
    )


def _case(app: ComplaintsApp, ref: str) -> dict[str, Any]:
    """The case as ``show --json`` prints it: its events, folded."""
    return public(read_case(app_source(app), ref, app.keyring))


def _history(app: ComplaintsApp, ref: str, tmp: Path) -> list[dict[str, Any]]:
    return ReadModels(app_source(app), tmp, app.policy, keyring=app.keyring).history(ref)


def _new(app: ComplaintsApp, **kw: object) -> str:
    fields: dict[str, object] = {
        "customer": "王先生",
        "contact": "138",
        "channel": "phone",
        "category": "billing",
        "summary": "s",
    } | kw
    return app.receive(NewCase(**fields), "agent")  # type: ignore[arg-type]


def test_numbers_run_in_order_per_year(app: ComplaintsApp) -> None:
    refs = [_new(app, contact=str(i)) for i in range(3)]
    assert refs == ["C-2026-00001", "C-2026-00002", "C-2026-00003"]
    assert _case(app, "c-2026-00002")["ref"] == "C-2026-00002"
    assert app.check_case(" c-2026-00002") == "C-2026-00002"
    assert case_id(" c-2026-00002 ") == case_id("C-2026-00002")


def test_a_new_proposal_replaces_the_pending_one_only_when_told(
    app: ComplaintsApp, tmp_path: Path
) -> None:
    ref = _new(app)
    app.propose(ref, "agent", "gift", detail="a torch")
    with pytest.raises(RuleRefused, match="proposal-open"):
        app.propose(ref, "agent", "refund", Decimal("120.50"))
    case = _case(app, app.propose(ref, "agent", "refund", Decimal("120.50"), mode="replace"))
    first, second = case["proposals"]
    assert first["state"] == "superseded" and second["state"] == "pending"
    assert second["currency"] == "CNY"  # the shop's currency when none is given
    assert _history(app, ref, tmp_path)[-1]["data"]["supersedes"] == 1
    assert case["status"] == "awaiting_customer" and case["pending_proposal"] == 2


def test_approving_a_proposal_within_the_limit_is_recorded_with_the_tier(
    app: ComplaintsApp, tmp_path: Path
) -> None:
    ref = _new(app)
    app.propose(ref, "agent", "refund", Decimal("10"), "CNY")
    app.approve(ref, "lead")
    last = _history(app, ref, tmp_path)[-1]
    assert last["data"] == {"proposal": 1, "approver_tier": 2, "actor": "lead"}
    assert last["version"] == 3 and last["ref"] == ref and last["occurred_at"]


def test_groups_collect_members_once(app: ComplaintsApp) -> None:
    a, b, c = (_new(app, contact=str(i)) for i in range(3))
    app.link([a, b], "agent", group="同批破损")
    app.link([b.lower(), c], "agent", group="同批破损 ")
    assert app.get_group("同批破损")["members"] == [a, b, c]
    assert _case(app, b)["links"] == [a, c]
    assert _case(app, c)["groups"] == ["同批破损"]
    with pytest.raises(GroupNotFound):
        app.get_group("nothing")


def test_same_customer_by_account_else_contact() -> None:
    assert customer_key("王", "138 0000 0000", None) == customer_key("王先生", "13800000000", "")
    assert customer_key("王", "138", "VIN-1") == customer_key("李", "139", "vin-1")
    assert customer_key("王", "138", "VIN-1") != customer_key("王", "138", None)


def test_unknown_staff_cannot_be_made_owner(app: ComplaintsApp) -> None:
    ref = _new(app)
    with pytest.raises(RuleRefused) as e:
        app.assign(ref, "stranger", "agent")
    assert e.value.rule == "staff-only"


def test_a_follow_up_without_reaching_the_customer_has_no_satisfaction(
    app: ComplaintsApp,
) -> None:
    ref = _new(app)
    app.resolve(ref, "agent", "done")
    with pytest.raises(InvalidInput):
        app.follow_up(ref, "agent", "unreachable", satisfaction=3)
    case = _case(app, app.follow_up(ref, "agent", "refused"))
    assert case["status"] == "resolved" and case["followups"][0]["outcome"] == "refused"


def test_the_counter_is_snapshotted_and_numbering_carries_on(tmp_path: Path) -> None:
    env = {"PERSISTENCE_MODULE": "complaintctl.filestore", "FILESTORE_PATH": str(tmp_path)}
    app = ComplaintsApp(env)
    app.snapshot_every = 3
    refs = [_new(app, contact=str(i)) for i in range(7)]
    year = int(refs[0].split("-")[1])
    assert app.snapshots is not None
    assert [s.originator_version for s in app.snapshots.get(counter_id(year))] == [3, 6]
    fresh = ComplaintsApp(env)  # loads the counter from its latest snapshot
    assert _new(fresh, contact="x") == refs[-1][:-5] + "00008"
