"""The counts a report reads, kept by the cache (``projections.reportcounts``, issue 14 goal 7).

Kept on each catch-up, they must be what a rebuild counts, and what counting
the ``activity`` rows of each day and the open cases of each age gives: a case
escalated twice in a day is one escalated case, a case received on an earlier
day counts on that day, a case resolved leaves the backlog.
"""

from __future__ import annotations

import sqlite3
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from conftest import DIRECTOR, MANAGER, SERVICE_MANAGER, Store
from test_report_indexed import _both

from complaintctl import config as configuration
from complaintctl.app import persistence_env
from complaintctl.keyring import open_keyring
from complaintctl.sources import open_source
from projections.cachefiles import cache_path
from projections.models import ReadModels
from projections.reportcounts import day_bounds, day_of

SH = ZoneInfo("Asia/Shanghai")


def _kept(store: Path) -> tuple[list[tuple[Any, ...]], ...]:
    """The cache's day counts and marks and its open cases per hour, sorted."""
    with sqlite3.connect(cache_path(store)) as db:
        counts = sorted(db.execute("SELECT day, kind, cases FROM day_counts"))
        marks = sorted(db.execute("SELECT day, kind, case_id FROM day_marks"))
        hours = sorted(db.execute("SELECT hour, cases FROM open_hours WHERE cases != 0"))
    return counts, marks, hours


def _trends(store: Path, day: date) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """(the trend from the kept counts, the trend counted from the activity rows)."""
    cfg = configuration.parse(configuration.read(store / configuration.CONFIG_NAME))
    keys = open_keyring(store, persistence_env(store, "file", cfg.store))
    rm = ReadModels(open_source(store), store, cfg.policy, cfg.read, keyring=keys)
    try:
        return rm.reports.trend(day), rm.reports.trend(day, indexed=False)
    finally:
        rm.close()
        keys.close()


def test_counts_kept_on_catch_up_are_a_rebuilds(store: Store) -> None:
    now = datetime.now(SH)
    today = now.date()
    report = ("report", "daily", "--json")
    twice = store.new(customer="周先生", contact="13800000001")
    store.ok(*report)  # each report catches the cache up: counts kept a few events at a time
    store.ok("escalate", twice, "--tier", "2", "--reason", "客户要求", actor=DIRECTOR)
    store.ok(*report)
    store.ok("escalate", twice, "--tier", "3", "--reason", "再次投诉", actor=SERVICE_MANAGER)
    earlier = store.new(
        "--received-at", (now - timedelta(days=3)).strftime("%Y-%m-%dT%H:%M"),
        customer="吴女士", contact="13800000002",
    )  # fmt: skip
    older = store.new(
        "--received-at", (now - timedelta(days=9)).strftime("%Y-%m-%dT%H:%M"),
        customer="郑先生", contact="13800000003",
    )  # fmt: skip
    store.ok(*report)
    for ref in (earlier, older):
        store.ok("ack", ref)
        store.ok("resolve", ref, "--summary", "已处理")
    store.ok("reopen", earlier, "--reason", "客户不满意", actor=DIRECTOR)
    store.ok("resolve", earlier, "--summary", "再次处理")  # resolved twice today: one case
    before = store.json("report", "daily")
    trend = {t["date"]: t for t in before["trend"]}
    assert trend[today.isoformat()] == {
        "date": today.isoformat(),
        "received": 1,
        "acknowledged": 2,
        "resolved": 2,
        "closed": 0,
        "escalated": 1,
    }
    assert trend[(today - timedelta(days=3)).isoformat()]["received"] == 1
    assert sum(t["received"] for t in before["trend"]) == 2  # nine days ago: not this week
    kept, counted = _trends(store.path, today)
    assert kept == counted == before["trend"]
    caught_up = _kept(store.path)
    assert ((today - timedelta(days=9)).isoformat(), "received", 1) in caught_up[0]
    store.ok("rebuild")
    assert _kept(store.path) == caught_up
    assert store.json("report", "daily")["trend"] == before["trend"]


def test_a_past_days_trend_holds_after_the_store_moves_on(store: Store) -> None:
    """A day's trend (here the day the events were dated to) after later catch-ups."""
    day = (datetime.now(SH) - timedelta(days=2)).date()
    ref = store.new(
        "--received-at", f"{day}T10:00", customer="冯女士", contact="13800000004"
    )  # fmt: skip
    before = store.json("report", "daily", "--date", day.isoformat())["trend"]
    store.ok("escalate", ref, "--tier", "2", "--reason", "客户要求", actor=DIRECTOR)
    store.new(customer="陈先生", contact="13800000005")
    assert store.json("report", "daily", "--date", day.isoformat())["trend"] == before
    assert before[-1]["received"] == 1
    kept, counted = _trends(store.path, day)
    assert kept == counted == before


def test_a_day_is_the_reports_day_where_midnight_is_skipped() -> None:
    """Zones whose clocks jump at midnight (Havana, Santiago, Beirut): every instant of a
    year falls in the day whose bounds hold it, as the report's queries bound a day."""
    for name in ("America/Havana", "America/Santiago", "Asia/Beirut", "Asia/Shanghai", "UTC"):
        zone = ZoneInfo(name)
        t = datetime(2024, 1, 1, tzinfo=UTC).timestamp()
        for _ in range(366 * 24 * 4):
            d = day_of(t, zone)
            start, end = day_bounds(d, zone)
            assert start.timestamp() <= t < end.timestamp(), (name, t, d)
            t += 900


def test_the_backlog_at_the_edges_of_its_ages(store: Store) -> None:
    """Cases minutes either side of each age bound (the partial hours counted over the
    index), one resolved and one withdrawn since: the kept hours give the full read's
    backlog, on catch-up and after a rebuild."""
    now = datetime.now(SH)
    refs = []
    for i, minutes in enumerate((3, 23 * 60 + 55, 24 * 60 + 5, 72 * 60 - 2, 72 * 60 + 2,
                                 168 * 60 - 1, 168 * 60 + 61, 720 * 60 - 30, 720 * 60 + 30,
                                 2000 * 60)):  # fmt: skip
        at = (now - timedelta(minutes=minutes)).strftime("%Y-%m-%dT%H:%M")
        refs.append(store.new("--received-at", at, customer=f"客户{i}", contact=f"1381{i:07d}"))
    for hours in (24, 72):  # received on the hour: the first instant of a bound's partial hour
        at = (now - timedelta(hours=hours)).strftime("%Y-%m-%dT%H:00")
        store.new("--received-at", at, customer=f"整点{hours}", contact=f"1382{hours:07d}")
    store.ok("report", "daily", "--json")
    store.ok("resolve", refs[1], "--summary", "已处理")
    store.ok("withdraw", refs[7], "--reason", "客户撤诉", actor=DIRECTOR)
    indexed, full, used = _both(store.path, now.date())
    assert used and indexed == full
    assert indexed["backlog"]["open"] == 10
    caught_up = _kept(store.path)
    assert sum(n for _h, n in caught_up[2]) == 10
    store.ok("rebuild")
    assert _kept(store.path) == caught_up


def test_a_zone_change_counts_the_days_again(store: Store) -> None:
    """A settings change recomputes what depends on the settings (projections.redate),
    and the trend's days are the zone's: a case received at 23:30 in Shanghai is on the
    next day in Tokyo. The counts after the change are the ones a rebuild makes."""
    day = (datetime.now(SH) - timedelta(days=2)).date()
    store.new("--received-at", f"{day}T23:30", customer="冯女士", contact="13800000004")
    before = store.json("report", "daily")["trend"]
    assert {t["date"]: t["received"] for t in before}[day.isoformat()] == 1
    store.ok("config", "set", "shop.timezone", "Asia/Tokyo", actor=MANAGER)
    after = store.json("report", "daily")["trend"]
    received = {t["date"]: t["received"] for t in after}
    assert received[(day + timedelta(days=1)).isoformat()] == 1
    assert received[day.isoformat()] == 0
    redated = _kept(store.path)
    store.ok("rebuild")
    assert _kept(store.path) == redated
    assert store.json("report", "daily")["trend"] == after
