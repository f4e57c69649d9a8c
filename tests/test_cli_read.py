"""The reading commands through the real CLI, on a real store, against hand-computed figures.

The story (car-service preset, Asia/Shanghai, reply within 24 h, major 4 h):

1. 王先生 (13800000001), walk-in, misquote, received 80 hours ago by 张伟,
   never acknowledged: overdue (acknowledge, 24 h).
2. 李女士 (13900000002), phone, warranty: acknowledged, refund of 300 CNY
   proposed and accepted, resolved; followed up later, satisfaction 5.
3. 王先生 again (same contact), phone, billing, major: escalated to tier 2,
   assessed valid with 张伟 at fault; open, due within 4 hours.
4. 欧阳娜娜 (13700000004), email, parts: withdrawn.

Cases 1 and 3 form the group 11月运输破损.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import sqlite3
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from uuid import UUID
from zoneinfo import ZoneInfo

import orjson
import pytest
from conftest import ADVISER, DIRECTOR, MANAGER, SERVICE_MANAGER, Store, make_store
from wcwidth import wcswidth

SH = ZoneInfo("Asia/Shanghai")
KEYS = {
    "ref",
    "status",
    "customer",
    "contact",
    "channel",
    "category",
    "severity",
    "owner",
    "tier",
    "received_at",
    "version",
}


@pytest.fixture
def story(store: Store) -> dict[str, str]:
    s = store
    c1 = s.new(customer="王先生", contact="13800000001", received_at="-80h")
    c2 = s.new(customer="李女士", contact="13900000002", channel="phone", category="warranty")
    s.ok("ack", c2, "--reply-by", "+2h")
    s.ok("propose", c2, "--remedy", "refund", "--amount", "300", "--currency", "CNY")
    s.ok("accept", c2)
    s.ok("resolve", c2, "--summary", "已退款")
    c3 = s.new(
        "--severity",
        "major",
        "--severity-reason",
        "客户威胁曝光",
        customer="王先生",
        contact="13800000001",
        channel="phone",
        category="billing",
    )
    s.ok("escalate", c3, "--tier", "2", "--reason", "客户多次来电", actor=SERVICE_MANAGER)
    s.ok("assess", c3, "--valid", "--root-cause", "报价流程无复核", "--at-fault", ADVISER)
    c4 = s.new(customer="欧阳娜娜", contact="13700000004", channel="email", category="parts")
    s.ok("withdraw", c4, "--reason", "客户撤回")
    s.ok("link", c1, c3, "--group", "11月运输破损")
    return {"c1": c1, "c2": c2, "c3": c3, "c4": c4}


def refs(rows: list[dict[str, Any]]) -> list[str]:
    return [r["ref"] for r in rows]


def test_list_filters_and_the_keys_of_show(store: Store, story: dict[str, str]) -> None:
    c1, c2, c3, c4 = story["c1"], story["c2"], story["c3"], story["c4"]
    everything = store.json("list")
    # Major cases first (c3), then oldest received first.
    assert refs(everything) == [c3, c1, c2, c4]
    assert all(set(c) >= KEYS for c in everything)
    shown = store.show(c3)
    listed = next(c for c in everything if c["ref"] == c3)
    assert {k: listed[k] for k in KEYS} == {k: shown[k] for k in KEYS}
    assert refs(store.json("list", "--status", "open")) == [c3, c1]
    assert refs(store.json("list", "--status", "resolved", "--status", "withdrawn")) == [c2, c4]
    assert refs(store.json("list", "--severity", "major")) == [c3]
    assert refs(store.json("list", "--category", "warranty")) == [c2]
    assert refs(store.json("list", "--customer", "13800000001")) == [c3, c1]
    assert refs(store.json("list", "--group", "11月运输破损")) == [c3, c1]
    assert refs(store.json("list", "--overdue")) == [c1]
    assert refs(store.json("list", "--status", "open", "--limit", "1")) == [c3]
    assert refs(store.json("list", "--since", "-1h")) == [c3, c2, c4]
    assert refs(store.json("list", "--until", "-1h")) == [c1]
    assert store.json("list", "--owner", "nobody") == []


def _display_columns(line: str) -> dict[int, str]:
    """Each character of a line by the terminal column it starts at (wide ones take two)."""
    out: dict[int, str] = {}
    col = 0
    for ch in line:
        out[col] = ch
        col += max(wcswidth(ch), 0)
    return out


def test_list_formats_and_chinese_columns_line_up(store: Store, story: dict[str, str]) -> None:
    table = store.ok("list").stdout.splitlines()
    assert len(table) == 2 + 4
    rule = table[1]  # dashes under each column: where every column starts
    starts = [i for i, ch in enumerate(rule) if ch == "-" and (i == 0 or rule[i - 1] == " ")]
    assert len(starts) == 10
    for line in [table[0], *table[2:]]:
        cols = _display_columns(line)
        for start in starts:
            # Every cell starts exactly under its dashes, Chinese text counting double.
            assert cols.get(start, " ") != " ", (line, start)
            assert start == 0 or cols.get(start - 1) == " ", (line, start)
    assert "欧阳娜娜" in table[-1]
    rows = list(csv.DictReader(io.StringIO(store.ok("list", "--format", "csv").stdout)))
    # The major case (c3) first.
    assert [r["customer"] for r in rows] == ["王先生", "王先生", "李女士", "欧阳娜娜"]
    lines = store.ok("list", "--format", "jsonl").stdout.splitlines()
    assert [json.loads(x)["ref"] for x in lines] == [story[k] for k in ("c3", "c1", "c2", "c4")]
    md = store.ok("list", "--format", "markdown").stdout
    assert md.splitlines()[0].startswith("| ref")


def test_user_text_never_reaches_the_terminal_raw(store: Store) -> None:
    store.new(customer="evil\x1b[2J客户", contact="1\x07")
    out = store.ok("list").stdout
    assert "\x1b" not in out and "\x07" not in out
    assert "\\x1b[2J" in out
    assert store.json("list")[0]["customer"] == "evil\x1b[2J客户"  # JSON keeps the value


def test_customer_history_and_repeat_flag(store: Store, story: dict[str, str]) -> None:
    wang = store.json("customer", "13800000001")
    assert wang["repeat_complainant"] is True
    assert refs(wang["cases"]) == [story["c1"], story["c3"]]
    assert wang["customers"][0]["cases"] == 2 and wang["customers"][0]["open"] == 2
    li = store.json("customer", "李女士")
    assert li["repeat_complainant"] is False and refs(li["cases"]) == [story["c2"]]
    assert refs(store.json("customer", "欧阳")["cases"]) == [story["c4"]]  # a part of the name
    assert "REPEAT COMPLAINANT" in store.ok("customer", "王先生").stdout
    r = store.invoke("customer", "nobody-at-all")
    assert r.exit_code == 3


def test_show_as_of(store: Store, story: dict[str, str]) -> None:
    c2 = story["c2"]
    history = store.json("history", c2)
    received, acked = history[0]["occurred_at"], history[1]["occurred_at"]
    then = store.json("show", c2, "--as-of", received)
    assert then["status"] == "received" and then["version"] == 1
    assert set(then) >= KEYS
    mid = datetime.fromisoformat(acked) - timedelta(microseconds=1)
    assert store.json("show", c2, "--as-of", mid.isoformat())["version"] == 1
    assert store.json("show", c2, "--as-of", acked)["status"] == "acknowledged"
    assert store.json("show", c2, "--as-of", "+1h")["status"] == "resolved"
    assert "as of" in store.ok("show", c2, "--as-of", acked).stdout
    assert store.invoke("show", c2, "--as-of", "-100d").exit_code == 3
    assert store.invoke("show", c2, "--as-of", "yesterday-ish").exit_code == 2
    assert store.invoke("show", "C-2026-99999", "--as-of", "+1h").exit_code == 3
    past = store.json("list", "--as-of", acked)
    assert refs(past) == [story["c1"], c2]
    assert past[1]["status"] == "acknowledged"


def test_overdue_and_followups(store: Store, story: dict[str, str]) -> None:
    result = store.json("overdue")
    assert refs(result["overdue"]) == [story["c1"]]
    assert result["overdue"][0]["deadline"] == "acknowledge"
    assert 55 < result["overdue"][0]["hours"] < 57  # 80 h since receipt, 24 h allowed
    assert refs(result["due_soon"]) == [story["c3"]]  # major: acknowledge within 4 h
    assert refs(store.json("overdue", "--within", "0")["due_soon"]) == []
    # Resolved just now: the follow-up falls due in 3 days (72 hours).
    assert store.json("followups") == []
    due = store.json("followups", "--within", "73")
    assert refs(due) == [story["c2"]]
    store.ok("followup", story["c2"], "--outcome", "reached", "--satisfaction", "5", actor=DIRECTOR)
    assert store.json("followups", "--within", "73") == []


def test_stats_by_hand(store: Store, story: dict[str, str]) -> None:
    store.ok("followup", story["c2"], "--outcome", "reached", "--satisfaction", "5", actor=DIRECTOR)
    s = store.json("stats", "--by", "category")
    t = s["total"]
    assert t["received"] == 4
    assert t["valid_share"] == 100.0  # one assessed, valid
    assert t["escalations"] == {"tier 2": 1}
    assert t["remedies_granted"] == {"count": 1, "total": {"CNY": "300"}}
    assert t["satisfaction"]["mean"] == 5.0
    assert t["satisfaction"]["distribution"]["5"] == 1
    assert t["repeat_complainants"] == 1
    assert t["reopen_rate_pct"] == 0.0
    assert t["acknowledged_within_target_pct"] == 100.0  # case 2, at once
    assert t["within_sla_pct"] == 100.0
    assert t["top_root_causes"] == [{"root_cause": "报价流程无复核", "cases": 1}]
    assert {g["key"]: g["received"] for g in s["groups"]} == {
        "misquote": 1,
        "warranty": 1,
        "billing": 1,
        "parts": 1,
    }
    faults = store.json("stats", "--by", "at-fault")["groups"]
    assert {"kind": "staff", "key": ADVISER, "valid_complaints": 1} in faults
    assert {"kind": "department", "key": "service", "valid_complaints": 1} in faults
    quota = store.json("stats", "--by", "followups")["groups"]
    # Every writing member of the staff has a row, those with no follow-up too.
    rows = {q["key"]: (q["followups"], q["quota"], q["met"]) for q in quota}
    assert rows[DIRECTOR] == (1, 20, False)
    assert len(rows) > 1 and all(n == 0 for k, (n, _q, _m) in rows.items() if k != DIRECTOR)
    assert store.json("stats", "--since", "+1h")["total"]["received"] == 0
    assert "misquote" in store.ok("stats", "--by", "category").stdout
    assert store.invoke("stats", "--by", "colour").exit_code == 2


def test_group_summary(store: Store, story: dict[str, str]) -> None:
    g = store.json("group", "11月运输破损")
    assert refs(g["members"]) == [story["c3"], story["c1"]]  # the major case first
    assert g["open"] == 2 and g["statuses"] == {"received": 1, "in_progress": 1}
    assert store.invoke("group", "no such group").exit_code == 3


def _today() -> str:
    return datetime.now(SH).date().isoformat()


def test_report_daily_in_every_format(store: Store, story: dict[str, str]) -> None:
    c3 = story["c3"]
    store.ok("ack", c3)
    store.ok("ack", c3, "--reply-by", "+8h")  # a new promise: still one answered case
    store.ok("escalate", c3, "--tier", "3", "--reason", "媒体曝光", actor=MANAGER)
    r = store.json("report", "daily", "--date", _today())
    assert r["totals"]["received"] == 3  # case 1 was received 80 hours ago
    assert r["totals"]["acknowledged"] == 2  # cases 2 and 3
    assert r["totals"]["resolved"] == 1
    assert r["totals"]["escalated"] == 1  # case 3, twice
    assert r["totals"]["overdue"] == 1
    assert r["overdue_by_owner"] == [{"owner": ADVISER, "cases": 1}]
    assert r["backlog"]["open"] == 2
    ages = {b["age"]: b["cases"] for b in r["backlog"]["by_age"]}
    assert ages["< 1 day"] == 1 and ages["3-7 days"] == 1
    by_cat = {g["key"]: g for g in r["by_category"]}
    assert by_cat["billing"]["escalated"] == 1 and by_cat["warranty"]["resolved"] == 1
    text = store.ok("report", "daily").stdout
    assert "By category" in text and "warranty" in text
    md = store.ok("report", "daily", "--format", "markdown").stdout
    assert md.startswith("# Daily complaints report")
    rows = list(csv.DictReader(io.StringIO(store.ok("report", "daily", "--format", "csv").stdout)))
    assert {"date", "section", "key", "metric", "value"} == set(rows[0])
    page = store.ok("report", "daily", "--format", "html").stdout
    assert page.startswith("<!DOCTYPE html>") and "<svg" not in page.lower()
    assert "<script" not in page and "src=" not in page and "href=" not in page
    # Inline styles only (mail clients drop style sheets); the one block is the printer's A4.
    assert page.count("<style") == 1 and "<style>@page{size:A4" in page
    assert store.invoke("report", "daily", "--fail-on-overdue").exit_code == 8
    assert store.invoke("report", "daily", "--date", "23/11/2026").exit_code == 2


def test_report_fail_on_overdue_is_quiet_when_all_is_well(store: Store) -> None:
    store.new()
    assert store.invoke("report", "daily", "--fail-on-overdue").exit_code == 0


def test_handover_record_and_accept_are_events(store: Store, story: dict[str, str]) -> None:
    h = store.json("handover", "--shift", "night")
    owners = {o["owner"]: refs(o["cases"]) for o in h["open_by_owner"]}
    assert owners == {ADVISER: [story["c3"], story["c1"]]}  # the major case first
    assert refs(h["overdue"]) == [story["c1"]]
    before = store.event_count()
    rec = store.json("handover", "--shift", "night", "--record", "--note", "王先生今晚回电")
    assert store.event_count() == before + 1
    hid = rec["recorded"]["id"]
    r = store.invoke("handover", "--shift", "night", "--accept")  # by who handed over
    assert r.exit_code == 4
    acc = store.json("handover", "--shift", "night", "--accept", actor=DIRECTOR)
    assert acc["id"] == hid and acc["accepted_by"] == DIRECTOR
    assert store.event_count() == before + 2
    listed = store.json("handover", "--shift", "night")["handovers"]
    assert listed[0]["accepted_by"] == DIRECTOR and listed[0]["note"] == "王先生今晚回电"
    assert store.invoke("handover", "--shift", "night", "--accept", actor=MANAGER).exit_code == 3
    assert store.invoke("handover", "--shift", "lunch").exit_code == 2
    assert "Open cases by owner" in store.ok("handover", "--shift", "day").stdout


def test_log_lines_carry_the_hash_of_the_store(store: Store, story: dict[str, str]) -> None:
    lines = [json.loads(x) for x in store.ok("log").stdout.splitlines()]
    assert len(lines) == store.event_count()
    assert [x["position"] for x in lines] == list(range(1, len(lines) + 1))
    stored = [json.loads(x) for x in (store.path / "events.jsonl").read_text().splitlines()]
    assert [x["hash"] for x in lines] == [x["hash"] for x in stored if "position" in x]
    received = [x for x in lines if x["type"] == "Received"]
    assert [x["ref"] for x in received] == [story[k] for k in ("c1", "c2", "c3", "c4")]
    first = received[0]
    assert {"position", "ref", "type", "recorded_at", "actor", "data", "hash"} <= set(first)
    assert first["actor"] == ADVISER and first["data"]["customer"] == "王先生"
    assert store.ok("log", "--since", "+1h").stdout == ""
    assert len(store.json("log")) == len(lines)


def test_rebuild_and_a_damaged_or_outdated_cache(store: Store, story: dict[str, str]) -> None:
    r = store.json("rebuild")
    assert r["events"] == store.event_count() and r["cases"] == 4
    cache = store.path / "cache" / "projections.sqlite"
    cache.write_bytes(b"this is not a database" * 100)
    got = store.invoke("list", "--json")
    assert got.exit_code == 0 and len(json.loads(got.stdout)) == 4
    assert "rebuilding" in got.stderr
    db = sqlite3.connect(cache)
    db.execute("UPDATE meta SET value = '0' WHERE key = 'format'")
    db.commit()
    db.close()
    assert len(store.json("list")) == 4
    store.new()  # caught up from the checkpoint on the next read
    assert len(store.json("list")) == 5
    cache.unlink()
    assert len(store.json("list")) == 5


def test_every_reading_command_has_help_with_an_example(store: Store) -> None:
    for cmd in (
        ["list"],
        ["customer"],
        ["overdue"],
        ["followups"],
        ["stats"],
        ["group"],
        ["report", "daily"],
        ["handover"],
        ["log"],
        ["rebuild"],
        ["show"],
        ["sla"],
    ):
        out = store.ok(*cmd, "--help").stdout
        assert "Example" in out, cmd


def test_the_reading_commands_on_the_sqlite_backend(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Through the library's recorder; log hashes are the chain of docs/projections.md."""
    monkeypatch.setenv("COMPLAINTCTL_BACKEND", "sqlite")
    s = make_store(tmp_path / "sq")
    c1 = s.new(customer="王先生")
    s.ok("ack", c1)
    c2 = s.new(customer="李女士", contact="13900000002")
    assert refs(s.json("list")) == [c1, c2]
    assert s.json("show", c1, "--as-of", "+1h")["status"] == "acknowledged"
    lines = [json.loads(x) for x in s.ok("log").stdout.splitlines()]
    db = sqlite3.connect(tmp_path / "sq" / "events.sqlite")
    stored = db.execute(
        "SELECT rowid, originator_id, originator_version, topic, state"
        " FROM stored_events ORDER BY rowid"
    ).fetchall()
    db.close()
    prev = "0" * 64
    for line, (nid, oid, version, topic, state) in zip(lines, stored, strict=True):
        head = orjson.dumps(
            {"position": nid, "originator_id": str(UUID(oid)), "version": version, "topic": topic}
        )
        prev = hashlib.sha256(prev.encode() + head + state).hexdigest()
        assert line["hash"] == prev
    assert s.json("rebuild")["cases"] == 2


def test_the_sla_clock_of_one_case(store: Store, story: dict[str, str]) -> None:
    c1 = store.json("sla", story["c1"])
    assert c1["hours_to_acknowledge"] is None
    kinds = {d["kind"]: d["overdue"] for d in c1["deadlines"]}
    assert kinds == {"acknowledge": True, "resolve": False}  # 80 h of 24 and of 168
    c2 = store.json("sla", story["c2"])
    assert c2["deadlines"] == [] and c2["acknowledged_within_target"] is True
    assert [p["state"] for p in c2["promises"]] == ["kept"]  # the proposal reached the customer
    assert c2["hours_to_resolve"] is not None and c2["resolved_within_target"] is True
    assert c2["paused_hours"] >= 0 and c2["followup_due"] is not None
    received = store.json("history", story["c2"])[0]["occurred_at"]
    early = store.json("sla", story["c2"], "--as-of", received)
    assert early["promises"] == [] and [d["kind"] for d in early["deadlines"]] == [
        "acknowledge",
        "resolve",
    ]
    text = store.ok("sla", story["c1"]).stdout
    assert "OVERDUE" in text and "to acknowledge" in text
    assert store.invoke("sla", "C-2026-99999").exit_code == 3


def test_a_damaged_log_line_fails_reading_with_exit_6(store: Store, story: dict[str, str]) -> None:
    log = store.path / "events.jsonl"
    lines = log.read_bytes().split(b"\n")
    lines[3] = lines[3].replace(b'"data":{', b'"data":[', 1)  # same length, not JSON any more
    log.write_bytes(b"\n".join(lines))
    for index in store.path.glob("*.index.sqlite*"):
        index.unlink()
    r = store.invoke("rebuild")
    assert r.exit_code == 6
    assert "not JSON" in r.stderr or "damaged" in r.stderr


def test_show_as_csv_carries_the_times_the_table_shows(store: Store, story: dict[str, str]) -> None:
    """The key/value lines (CSV, the case file) name when the case was acknowledged and
    resolved, as the table and ``export`` do (render.fields: one list for all three)."""
    ref = story["c2"]
    shown = store.ok("show", ref, "--format", "csv").stdout
    lines = {row[0]: row[1] for row in csv.reader(io.StringIO(shown))}
    case = store.show(ref)
    exported = csv.DictReader(io.StringIO(store.ok("export", "--format", "csv").stdout))
    row = next(r for r in exported if r["ref"] == ref)
    for key in ("received_at", "acknowledged_at", "resolved_at"):
        assert case[key], key
        assert row[key] and lines[key].startswith(row[key]), key  # show adds the zone's name
