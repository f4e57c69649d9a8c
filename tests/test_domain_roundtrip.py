"""Every event type survives the store: written here, read back by a fresh process, same state."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import orjson
import pytest
from conftest import ADVISER, MANAGER, SERVICE_MANAGER, Store, make_store, run_cli
from eventsourcing.persistence import StoredEvent

from complaintctl.app import open_app
from complaintctl.sources import app_source
from events import NewCase, case_id
from projections.caselog import read_case

EVENT_TYPES = [
    "Received",
    "Acknowledged",
    "Assigned",
    "Transferred",
    "CoHandled",
    "Classified",
    "Noted",
    "CustomerContacted",
    "Investigated",
    "Assessed",
    "Escalated",
    "Deescalated",
    "RemedyProposed",
    "RemedyApproved",
    "RemedyRejected",
    "RemedyAccepted",
    "Resolved",
    "FollowedUp",
    "Reopened",
    "Closed",
    "Reviewed",
    "Archived",
    "Withdrawn",
    "Linked",
    "Attached",
    "DecisionExtended",
]


def _life(store: Store, evidence: Path) -> list[str]:
    """Cases that between them raise every event type, with awkward values on purpose."""
    a = store.new(
        "--signed", demand_amount="1234.50", currency="CNY", received_at="2026-11-20T09:30+08:00",
        occurred_at="2026-11-19", mood="愤怒", account="VIN-001",
    )  # fmt: skip
    b = store.new(customer="李四", contact="139", summary="多行\n文本\t和 \x1b[31m 转义")
    store.ok("ack", a, "--reply-by", "2026-11-21T09:30", "--message", "已致歉")
    store.ok("assign", a, SERVICE_MANAGER)
    store.ok("link", a.lower(), b, "--group", "同批")
    store.ok("transfer", a, "parts", "--reason", "查价")
    store.ok("transfer", a, "workshop", "--co-handle")
    store.ok("classify", a, "--category", "parts", "--severity", "major", "--reason", "律师")
    store.ok("note", a, "备注 ✓")
    store.ok("contact", a, "--outcome", "no-answer", "--channel", "sms", "--summary", "未接")
    store.ok("investigate", a, "零件号错误")
    store.ok("assess", a, "--valid", "--root-cause", "rc", "--at-fault", "A", "--at-fault", "B")
    store.ok("escalate", a, "--tier", "3", "--reason", "升级", actor=SERVICE_MANAGER)
    store.ok("escalate", a, "--tier", "2", "--reason", "降级", actor=MANAGER)
    store.ok("propose", a, "--remedy", "compensation", "--amount", "9999.99", "--detail", "d")
    store.ok("approve", a, actor=MANAGER)
    store.ok("reject", a, "--reason", "no")
    store.ok("propose", a, "--remedy", "replacement")
    store.ok("accept", a)
    store.ok("resolve", a, "--summary", "换新")
    store.ok("followup", a, "--outcome", "reached", "--satisfaction", "2", "--leftover", "仍异响")
    store.ok("resolve", a, "--summary", "再修")
    store.ok("close", a)
    store.ok(
        "review", a, "--root-cause", "rc", "--lesson", "l", "--action", "a", "--action-owner", "o"
    )
    store.ok("archive", a)
    store.ok("attach", b, str(evidence), "--kind", "photo")
    store.ok("withdraw", b, "--reason", "撤回")
    return [a, b]


@pytest.fixture(scope="module")
def written(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """Write the cases once; read them back in-process and from a fresh process."""
    base = tmp_path_factory.mktemp("roundtrip")
    evidence = base / "photo.jpg"
    evidence.write_bytes(bytes(range(256)))
    store = make_store(base / "car")
    refs = _life(store, evidence)
    bank = make_store(base / "bank", "bank")
    c = bank.new(channel="phone", category="claims", actor="agent-01")
    bank.ok("extend", c, "--reason", "鉴定", actor="agent-01")
    out: dict[str, Any] = {"here": {}, "fresh": {}}
    for key, s, ref in [("car:" + r, store, r) for r in refs] + [("bank:" + c, bank, c)]:
        out["here"][key] = {"show": s.json("show", ref), "history": s.json("history", ref)}
        fresh = {}
        for what in ("show", "history"):
            p = run_cli(s.path, what, ref, "--json", actor=ADVISER)
            assert p.returncode == 0, p.stderr
            fresh[what] = json.loads(p.stdout)
        out["fresh"][key] = fresh
    return out


@pytest.mark.parametrize("event_type", EVENT_TYPES)
def test_event_type_round_trips(written: dict[str, Any], event_type: str) -> None:
    found = 0
    for ref, here in written["here"].items():
        fresh = written["fresh"][ref]["history"]
        for mine, theirs in zip(here["history"], fresh, strict=True):
            assert mine == theirs
            if mine["type"] == event_type:
                found += 1
                assert mine["actor"], "every event records its actor"
                assert mine["topic"] == f"complaints:{event_type}"
    assert found, f"no {event_type} event was written"


def test_case_state_is_the_same_in_a_fresh_process(written: dict[str, Any]) -> None:
    for ref, here in written["here"].items():
        assert here["show"] == written["fresh"][ref]["show"]


def test_values_come_back_exactly(written: dict[str, Any]) -> None:
    a, b = list(written["here"])[:2]
    case = written["fresh"][a]["show"]
    assert case["demand_amount"] == "1234.50"  # Decimal, never float
    assert case["received_at"] == "2026-11-20T09:30:00+08:00"
    assert case["proposals"][0]["amount"] == "9999.99"
    assert case["at_fault"] == ["A", "B"]
    other = written["fresh"][b]["show"]
    assert other["summary"] == "多行\n文本\t和 \x1b[31m 转义"
    assert other["attachments"][0]["size"] == 256


def test_an_assessed_event_from_before_the_staff_department_split_still_loads(
    tmp_path: Path,
) -> None:
    """Old logs stay readable: fields added later have defaults."""
    app = open_app(tmp_path)
    ref = app.receive(
        NewCase(customer="a", contact="b", channel="phone", category="other", summary="s"), "w"
    )
    old_payload = {
        "timestamp": {"_type_": "datetime_iso", "_data_": "2026-01-02T03:04:05+00:00"},
        "valid": True,
        "root_cause": "old",
        "at_fault": ["张伟"],
        "actor": "w",
    }
    app.recorder.insert_events(
        [StoredEvent(case_id(ref), 2, "complaints:Assessed", orjson.dumps(old_payload))]
    )
    case = read_case(app_source(app), ref, app.keyring)
    assert case["at_fault"] == ["张伟"] and case["at_fault_staff"] == []
    assert case["valid"] is True and case["version"] == 2
