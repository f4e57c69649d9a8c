"""``report daily`` names the cases behind its figures, and a past day stays as it was.

The story is told now on a real store and then moved three days back
(:func:`aging.age_store`), so the report of that day is a past day's report;
what happens afterwards must not change it.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from aging import age_store
from conftest import DIRECTOR, MANAGER, Store, make_store

SH = ZoneInfo("Asia/Shanghai")
DAYS_BACK = 3


def _last_line(store: Path) -> dict[str, Any]:
    lines = (store / "events.jsonl").read_bytes().splitlines()
    last: dict[str, Any] = json.loads(lines[-1])
    return last


@pytest.fixture
def past_day(tmp_path: Path) -> tuple[Store, dict[str, str], str]:
    """A day's story three days ago: an overdue case, a call-back for the next day, a major
    consumer-association case escalated, a group, a remedy granted."""
    store = make_store(tmp_path / "store")
    today = datetime.now(SH).date()
    tomorrow_10 = f"{today + timedelta(days=1)}T10:00"
    late = store.new(customer="王先生", contact="13800000000")
    store.ok("ack", late, "--reply-by", "+1m")  # promised a call in a minute: missed
    outside = store.new(customer="刘女士", contact="13700000000", channel="consumer-association")
    store.ok("ack", outside, "--reply-by", tomorrow_10)
    store.ok("escalate", outside, "--tier", "2", "--reason", "消协转办", actor=DIRECTOR)
    member = store.new(customer="赵先生", contact="13900000000", category="billing")
    store.ok("link", member, late, "--group", "11月运输破损")
    paid = store.new(customer="孙先生", contact="13600000000", category="warranty")
    store.ok("propose", paid, "--remedy", "refund", "--amount", "300", "--currency", "CNY")
    store.ok("accept", paid)
    age_store(store.path, DAYS_BACK)
    day = (today - timedelta(days=DAYS_BACK)).isoformat()
    refs = {"late": late, "outside": outside, "member": member, "paid": paid}
    return store, refs, day


def test_the_daily_report_names_the_cases(past_day: tuple[Store, dict[str, str], str]) -> None:
    store, refs, day = past_day
    head = _last_line(store.path)
    r = store.json("report", "daily", "--date", day)
    assert r["shop"] == "Car service workshop" and r["date"] == day and r["complete"]
    assert r["head"] == {"position": head["position"], "hash": head["hash"]}
    assert r["totals"]["received"] == 4 and r["overdue"] >= 1
    late = next(o for o in r["overdue_cases"] if o["ref"] == refs["late"])
    assert (late["customer"], late["owner"], late["deadline"]) == ("王先生", "张伟", "reply")
    assert late["hours_late"] > 0
    assert [c["ref"] for c in r["callbacks_due_tomorrow"]] == [refs["outside"]]
    assert refs["outside"] in [m["ref"] for m in r["major_cases"]]  # major by its channel
    assert [m["ref"] for m in r["outside_cases"]] == [refs["outside"]]
    assert [(e["ref"], e["to_tier"]) for e in r["escalations"]] == [(refs["outside"], 2)]
    (group,) = r["groups"]
    assert group["name"] == "11月运输破损"
    assert sorted(m["ref"] for m in group["members"]) == sorted([refs["late"], refs["member"]])
    assert r["remedies"]["by_currency"] == [{"currency": "CNY", "cases": 1, "amount": "300"}]
    assert r["trend"][-1] == {
        "date": day,
        "received": 4,
        "acknowledged": 2,
        "resolved": 0,
        "closed": 0,
        "escalated": 1,
    }
    assert len(r["trend"]) == 7
    text = store.ok("report", "daily", "--date", day).stdout
    assert refs["late"] in text and "call back by" in text and "王先生" in text
    assert f"position {head['position']}, hash {head['hash']}" in text


def test_a_past_day_is_the_same_however_often_it_is_run(
    past_day: tuple[Store, dict[str, str], str],
) -> None:
    store, refs, day = past_day
    before = {fmt: store.ok("report", "daily", "--date", day, "--format", fmt).stdout
              for fmt in ("json", "table", "csv", "html")}  # fmt: skip
    # Life goes on: the late case is called back and resolved, another case comes in.
    store.ok("contact", refs["late"], "--outcome", "reached")
    store.ok("resolve", refs["late"], "--summary", "已退款")
    store.ok("reopen", refs["late"], "--reason", "客户不满意", actor=MANAGER)
    store.ok("contact", refs["outside"], "--outcome", "reached")
    store.new(customer="周女士", contact="13500000000", channel="media")
    store.ok("rebuild")
    for fmt, text in before.items():
        assert store.ok("report", "daily", "--date", day, "--format", fmt).stdout == text, fmt
    today = store.json("report", "daily")
    assert today["complete"] is False and today["head"]["position"] > before_position(before)


def before_position(before: dict[str, str]) -> int:
    position: int = json.loads(before["json"])["head"]["position"]
    return position


def test_fail_on_overdue_exits_8_and_names_no_bug(
    past_day: tuple[Store, dict[str, str], str],
) -> None:
    store, _refs, day = past_day
    r = store.invoke("report", "daily", "--date", day, "--fail-on-overdue")
    assert r.exit_code == 8 and "overdue" in r.stderr
    quiet = store.invoke("report", "daily", "--date", "2020-01-01", "--fail-on-overdue")
    assert quiet.exit_code == 0


def test_date_words(store: Store) -> None:
    now = datetime.now(SH).date()
    assert store.json("report", "daily", "--date", "yesterday")["date"] == str(
        now - timedelta(days=1)
    )
    assert store.json("report", "daily", "--date", "today")["date"] == str(now)
    assert store.json("report", "daily", "--date", "-7d")["date"] == str(now - timedelta(days=7))
    assert store.invoke("report", "daily", "--date", "someday").exit_code == 2


def test_the_head_on_sqlite_is_the_logs_computed_chain(tmp_path: Path) -> None:
    store = make_store(tmp_path / "store", backend="sqlite")
    ref = store.new()
    store.ok("ack", ref)
    events = [json.loads(x) for x in store.ok("log").stdout.splitlines()]
    r = store.json("report", "daily")
    assert r["head"] == {"position": events[-1]["position"], "hash": events[-1]["hash"]}
    assert store.json("report", "daily", "--date", "2020-01-01")["head"] == {
        "position": 0,
        "hash": None,
    }
