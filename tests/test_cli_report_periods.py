"""``report weekly`` and ``report monthly``: a simulated week told with ``--at``.

The week is last ISO week (in the shop's zone); every action is dated with
``--at`` (``--received-at`` for receipt), so the story happened then. What is
done afterwards (now) must not change last week's report.
"""

from __future__ import annotations

import csv
import io
import json
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from conftest import ADVISER, DIRECTOR, MANAGER, SERVICE_MANAGER, Store, make_store

SH = ZoneInfo("Asia/Shanghai")


def _at(day: date, hhmm: str) -> str:
    return f"{day.isoformat()}T{hhmm}"


def tell_week(store: Store) -> dict[str, Any]:
    """Last week: five cases received (one on Sunday night), one the week before followed
    up in it, one on this Monday at midnight (not in it)."""
    today = datetime.now(SH).date()
    mon = today - timedelta(days=today.weekday() + 7)
    day = [mon + timedelta(days=i) for i in range(7)]
    store.ok("config", "set", "shop.followup_quota", "2", actor=MANAGER)
    # The week before: resolved then, followed up (satisfaction 5) in the week.
    old = store.new("--received-at", _at(mon - timedelta(days=3), "10:00"), customer="周先生")
    store.ok("ack", old, "--at", _at(mon - timedelta(days=3), "11:00"))
    store.ok("resolve", old, "--summary", "已处理", "--at", _at(mon - timedelta(days=2), "10:00"))
    store.ok(
        "followup", old, "--outcome", "reached", "--satisfaction", "5",
        "--at", _at(day[0], "10:00"), actor=DIRECTOR,
    )  # fmt: skip
    # Monday: a misquote, valid, 张伟 at fault; answered in 1 h, resolved, satisfaction 4.
    c1 = store.new("--received-at", _at(day[0], "09:00"), customer="王先生")
    store.ok("ack", c1, "--at", _at(day[0], "10:00"))
    store.ok(
        "assess", c1, "--valid", "--root-cause", "报价错误", "--at-fault", ADVISER,
        "--at", _at(day[0], "15:00"),
    )  # fmt: skip
    store.ok("resolve", c1, "--summary", "退差价", "--at", _at(day[1], "10:00"))
    store.ok(
        "followup", c1, "--outcome", "reached", "--satisfaction", "4",
        "--at", _at(day[2], "10:00"), actor=DIRECTOR,
    )  # fmt: skip
    # Tuesday: the same cause again, with a media threat; satisfaction 2, reopened.
    c2 = store.new(
        "--received-at", _at(day[1], "09:00"), "--media-threat",
        customer="李女士", contact="13900000001",
    )  # fmt: skip
    store.ok("ack", c2, "--at", _at(day[1], "09:30"))
    store.ok(
        "assess", c2, "--valid", "--root-cause", "报价错误", "--at-fault", ADVISER,
        "--at", _at(day[1], "11:00"),
    )  # fmt: skip
    store.ok("resolve", c2, "--summary", "道歉", "--at", _at(day[2], "10:00"))
    store.ok(
        "followup", c2, "--outcome", "reached", "--satisfaction", "2",
        "--leftover", "仍不满意", "--at", _at(day[3], "10:00"), actor=DIRECTOR,
    )  # fmt: skip
    if store.show(c2)["status"] != "in_progress":  # a leftover may already reopen it
        store.ok("reopen", c2, "--reason", "仍不满意", "--at", _at(day[3], "11:00"))
    # Wednesday: service attitude, promised a call-back by 12:00, not answered in the week.
    c3 = store.new(
        "--received-at", _at(day[2], "11:00"), category="service-attitude",
        customer="赵先生", contact="13900000002",
    )  # fmt: skip
    store.ok("ack", c3, "--reply-by", _at(day[2], "12:00"), "--at", _at(day[2], "11:30"))
    # Thursday: a warranty case owned by 王强, not valid.
    c4 = store.new(
        "--received-at", _at(day[3], "14:00"), "--owner", SERVICE_MANAGER,
        category="warranty", customer="钱女士", contact="13900000003",
    )  # fmt: skip
    store.ok("assess", c4, "--not-valid", "--at", _at(day[3], "16:00"), actor=SERVICE_MANAGER)
    # Sunday 23:30 is still the week; this Monday 00:00 is not.
    c5 = store.new("--received-at", _at(day[6], "23:30"), customer="孙先生", contact="139004")
    after = store.new("--received-at", _at(today - timedelta(days=today.weekday()), "00:00"))
    week = f"{mon.isocalendar()[0]}-W{mon.isocalendar()[1]:02d}"
    return {
        "week": week,
        "monday": mon,
        "refs": {"old": old, "c1": c1, "c2": c2, "c3": c3, "c4": c4, "c5": c5, "after": after},
    }


@pytest.fixture
def week(tmp_path: Path) -> tuple[Store, dict[str, Any]]:
    store = make_store(tmp_path / "store")
    return store, tell_week(store)


def _staff(r: dict[str, Any], name: str) -> dict[str, Any]:
    found: dict[str, Any] = next(s for s in r["staff"] if s["name"] == name)
    return found


def check_week(r: dict[str, Any], story: dict[str, Any]) -> None:
    refs = story["refs"]
    mon: date = story["monday"]
    assert (r["period"], r["label"], r["complete"]) == ("week", story["week"], True)
    assert (r["first_day"], r["last_day"]) == (mon.isoformat(), (mon + timedelta(6)).isoformat())
    assert r["totals"]["received"] == 5  # not the case of this Monday 00:00
    assert [t["key"] for t in r["trend"]] == [(mon + timedelta(i)).isoformat() for i in range(7)]
    assert [t["received"] for t in r["trend"]] == [1, 1, 1, 1, 0, 0, 1]
    assert sum(t["followed_up"] for t in r["trend"]) == 3
    assert r["categories"][0] == {
        "category": "misquote", "received": 3, "share_pct": 60.0, "valid": 2, "major": 1,
        "open": 2,
    }  # fmt: skip
    assert r["root_causes"] == [
        {"root_cause": "报价错误", "cases": 2, "refs": [refs["c1"], refs["c2"]]}
    ]
    assert r["hours_to_acknowledge"]["count"] == 3  # c4 and c5 never answered
    assert (r["hours_to_acknowledge"]["median"], r["hours_to_acknowledge"]["p90"]) == (0.5, 1.0)
    # c2 was reopened: no longer resolved; c1 took Monday 09:00 to Tuesday 10:00.
    assert r["hours_to_resolve"] == {"median": 25.0, "p90": 25.0, "count": 1}
    assert r["answered_within_target"] == {"cases": 3, "within": 3, "pct": 100.0}
    assert r["reopen"] == {"cases": 5, "reopened": 1, "pct": 20.0}
    # ack promises a reply within the day (24 h): c1 resolved in it, c2 half an hour late;
    # c3's call-back by 12:00 never came.
    assert r["promises"] == {"kept": 1, "missed": 2, "pending": 0, "kept_pct": 33.3}
    assert r["satisfaction"]["count"] == 3 and r["satisfaction"]["mean"] == 3.67
    zhang = _staff(r, ADVISER)
    assert zhang["valid_complaints"] == 2 and zhang["valid_refs"] == [refs["c1"], refs["c2"]]
    assert zhang["media_exposures"] == 1
    assert zhang["satisfaction"] == 3.67 and zhang["satisfaction_count"] == 3
    assert (zhang["followups"], zhang["followup_quota"], zhang["quota_met"]) == (0, 2, False)
    li = _staff(r, DIRECTOR)
    assert (li["followups"], li["quota_met"], li["valid_complaints"]) == (3, True, 0)
    wang = _staff(r, SERVICE_MANAGER)  # a case, nothing caused, no follow-ups: still listed
    assert (wang["cases_owned"], wang["valid_complaints"], wang["followups"]) == (1, 0, 0)
    assert {s["name"] for s in r["staff"]} >= {ADVISER, DIRECTOR, SERVICE_MANAGER, MANAGER}


def test_the_weekly_report_of_a_simulated_week(week: tuple[Store, dict[str, Any]]) -> None:
    store, story = week
    r = store.json("report", "weekly", "--week", story["week"])
    assert r["shop"] == "汽车维修服务站"
    check_week(r, story)
    assert store.json("report", "weekly", "--week", "last") == r


def test_a_past_week_stays_as_it_was(week: tuple[Store, dict[str, Any]]) -> None:
    store, story = week
    refs = story["refs"]
    before = store.ok("report", "weekly", "--week", story["week"], "--json").stdout
    # Later (now): c3 answered and resolved, c4 reclassified, c1 followed up again.
    store.ok("contact", refs["c3"], "--outcome", "reached")
    store.ok("resolve", refs["c3"], "--summary", "已道歉")
    store.ok("classify", refs["c4"], "--category", "misquote", actor=SERVICE_MANAGER)
    store.ok("followup", refs["c1"], "--outcome", "reached", "--satisfaction", "1", actor=DIRECTOR)
    store.new(customer="新客户", contact="13911111111")
    after = store.ok("report", "weekly", "--week", story["week"], "--json").stdout
    assert json.loads(after) == json.loads(before)


def test_a_past_week_stays_as_it_was_when_most_cases_changed_since(
    week: tuple[Store, dict[str, Any]],
) -> None:
    """More than half the store's cases changed since: one pass over the log, same answer."""
    store, story = week
    before = store.json("report", "weekly", "--week", story["week"])
    for ref in story["refs"].values():
        store.ok("note", ref, "之后补充的备注")
    store.ok("followup", story["refs"]["c1"], "--outcome", "unreachable", actor=DIRECTOR)
    assert store.json("report", "weekly", "--week", story["week"]) == before


def test_the_monthly_report_trends_by_week(week: tuple[Store, dict[str, Any]]) -> None:
    store, story = week
    mon: date = story["monday"]
    month = mon.strftime("%Y-%m")
    r = store.json("report", "monthly", "--month", month)
    assert (r["period"], r["label"], r["first_day"]) == ("month", month, f"{month}-01")
    assert r["trend"][0]["first_day"] == f"{month}-01"
    assert all(t["key"].startswith(("20", "19")) and "-W" in t["key"] for t in r["trend"])
    assert sum(t["received"] for t in r["trend"]) == r["totals"]["received"]
    week_row = next(t for t in r["trend"] if t["key"] == story["week"])
    in_month = [mon + timedelta(i) for i in range(7) if (mon + timedelta(i)).month == mon.month]
    assert week_row["first_day"] == in_month[0].isoformat()
    assert _staff(r, DIRECTOR)["followup_quota"] == 8  # four weeks of 2


@pytest.mark.parametrize(
    ("args", "option"),
    [
        (("weekly", "--week", "2026-W60"), "--week"),
        (("weekly", "--week", "next year"), "--week"),
        (("monthly", "--month", "2026-13"), "--month"),
        (("monthly", "--month", "11/2026"), "--month"),
    ],
)
def test_a_bad_period_is_bad_input(store: Store, args: tuple[str, ...], option: str) -> None:
    before = store.event_count()
    r = store.invoke("report", *args)
    assert r.exit_code == 2 and option in r.stderr and r.stdout == ""
    assert store.event_count() == before


def test_every_format_of_the_weekly_report(
    week: tuple[Store, dict[str, Any]], tmp_path: Path
) -> None:
    store, story = week
    w = story["week"]
    text = store.ok("report", "weekly", "--week", w).stdout
    assert "Staff assessment" in text and "Recurring root causes" in text and "报价错误" in text
    assert ADVISER in text and SERVICE_MANAGER in text
    md = store.ok("report", "weekly", "--week", w, "--format", "markdown").stdout
    assert md.startswith("# Weekly complaints report") and "## Hot categories" in md
    raw = store.invoke("report", "weekly", "--week", w, "--format", "csv", "--encoding", "gbk")
    assert raw.exit_code == 0
    rows = list(csv.DictReader(io.StringIO(raw.stdout_bytes.decode("gbk"))))
    assert set(rows[0]) == {"period", "section", "key", "metric", "value"}
    assert {"period": w, "section": "staff", "key": ADVISER, "metric": "valid_complaints",
            "value": "2"} in rows  # fmt: skip
    assert {"totals", "trend", "categories", "root_causes", "staff", "head"} <= {
        row["section"] for row in rows
    }
    assert not any("(n=" in row["value"] or "/" in row["value"] for row in rows)
    page = store.ok("report", "weekly", "--week", w, "--format", "html").stdout
    low = page.lower()
    assert "<svg" not in low and "<script" not in low
    assert low.count("<style") == 1 and "<style>@page{size:a4" in low  # the printer's only
    assert story["refs"]["c1"] in page and "&lt;" not in ADVISER
    jl = store.ok("report", "weekly", "--week", w, "--format", "jsonl").stdout
    assert json.loads(jl)["label"] == w


def test_the_weekly_workbook_has_a_sheet_per_section(
    week: tuple[Store, dict[str, Any]], tmp_path: Path
) -> None:
    openpyxl = pytest.importorskip("openpyxl")
    store, story = week
    raw = store.invoke("report", "weekly", "--week", story["week"], "--format", "xlsx")
    assert raw.exit_code == 0
    path = tmp_path / "week.xlsx"
    path.write_bytes(raw.stdout_bytes)
    book = openpyxl.load_workbook(path)
    assert book.sheetnames[:3] == ["Report", "Totals", "Trend by day"]
    assert "Staff assessment" in book.sheetnames
    trend = book["Trend by day"]
    assert isinstance(trend["A2"].value, datetime)  # a real date
    assert trend["A2"].value.date() == story["monday"]
    staff = book["Staff assessment"]
    assert [c.value for c in staff[1]][:2] == ["name", "department"]


def test_the_weekly_report_in_chinese(week: tuple[Store, dict[str, Any]]) -> None:
    store, story = week
    text = store.ok("--lang", "zh", "report", "weekly", "--week", story["week"]).stdout
    assert "周报" in text and "员工考核" in text and "报价不符" in text
    data = store.json("--lang", "zh", "report", "weekly", "--week", story["week"])
    assert data["categories"][0]["category"] == "misquote"  # JSON never changes


def test_the_weekly_report_on_postgres(tmp_path: Path, pg_schema: dict[str, Any]) -> None:
    store = make_store(tmp_path / "store", backend="postgres", **pg_schema)
    story = tell_week(store)
    check_week(store.json("report", "weekly", "--week", story["week"]), story)


def test_a_week_with_no_cases_lists_the_staff_with_nothing(store: Store) -> None:
    r = store.json("report", "weekly")
    assert r["totals"]["received"] == 0 and r["categories"] == [] and r["root_causes"] == []
    assert r["hours_to_resolve"] == {"median": None, "p90": None, "count": 0}
    assert r["complete"] is False  # this week, so far
    names = [s["name"] for s in r["staff"]]
    assert {ADVISER, DIRECTOR, SERVICE_MANAGER, MANAGER} <= set(names)
    assert all(s["followups"] == 0 and not s["quota_met"] for s in r["staff"])
    assert "(none)" in store.ok("report", "monthly").stdout
