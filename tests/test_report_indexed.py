"""``report daily`` through indexed queries gives the report the fold of every open case gives.

The report of today reads only the cases it names (late or due by tomorrow, a
follow-up due, touched today, in a group, major or outside-body and open) and
counts the backlog over an index (issue 14: flat in the number of open cases);
checked here against the full read on a real store made through the CLI.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from conftest import DIRECTOR, MANAGER, Store
from test_cli_report_daily import past_day  # noqa: F401  (a fixture)

from complaintctl import config as configuration
from complaintctl.app import persistence_env
from complaintctl.keyring import open_keyring
from complaintctl.sources import open_source
from projections.cases import REFOLD_SHARE
from projections.models import ReadModels

SH = ZoneInfo("Asia/Shanghai")


def _both(store: Path, day: date) -> tuple[dict[str, Any], dict[str, Any], bool]:
    """(indexed report, full report, whether the indexed queries were used) at one instant."""
    cfg = configuration.parse(configuration.read(store / configuration.CONFIG_NAME))
    keys = open_keyring(store, persistence_env(store, "file", cfg.store))
    now = datetime.now(UTC)
    rm = ReadModels(
        open_source(store), store, cfg.policy, cfg.read, clock=lambda: now, keyring=keys
    )
    try:
        indexed = rm.reports.report_daily(day)
        full = rm.reports.report_daily(day, indexed=False)
        start, end = rm.reports.day_bounds(day)
        used = rm.reports.report_states(start, end, min(now, end)) is not None
    finally:
        rm.close()
        keys.close()
    return indexed, full, used


def test_todays_report_is_the_full_reads(store: Store) -> None:
    now = datetime.now(SH)
    ages = (2, 23, 30, 80, 200, 800, 2000)  # hours: every backlog bucket
    refs = [
        store.new(
            "--received-at", (now - timedelta(hours=h)).strftime("%Y-%m-%dT%H:%M"),
            customer=f"客户{h}", contact=f"1380000{h:04d}",
        )
        for h in ages
    ]  # fmt: skip
    store.ok("ack", refs[0], "--reply-by", "+1m")  # a promise that will be missed
    store.ok("ack", refs[1], "--reply-by", f"{(now + timedelta(days=1)).date()}T10:00")
    store.ok("resolve", refs[2], "--summary", "已处理")  # a follow-up falls due
    store.ok("escalate", refs[3], "--tier", "2", "--reason", "客户要求", actor=DIRECTOR)
    store.ok("link", refs[4], refs[5], "--group", "同批配件")
    store.new(customer="媒体", contact="13900000001", channel="media")  # major, outside
    store.ok("withdraw", refs[6], "--reason", "客户撤诉", actor=MANAGER)
    indexed, full, used = _both(store.path, now.date())
    assert used
    assert indexed == full
    assert indexed["backlog"]["open"] == 6  # five of the seven (one resolved, one withdrawn), media
    assert sum(b["cases"] for b in indexed["backlog"]["by_age"]) == 6
    assert indexed["overdue"] >= 1 and indexed["followups_due"] == 0


def test_a_past_days_report_is_the_full_reads(
    past_day: tuple[Store, dict[str, str], str],  # noqa: F811
) -> None:
    store, _refs, day = past_day
    indexed, full, used = _both(store.path, date.fromisoformat(day))
    assert used  # nothing changed since that day
    assert indexed == full
    assert indexed["overdue"] >= 1 and indexed["groups"]


def _changed_share(store: Path, day: date) -> float:
    """The share of the store's cases changed since the end of ``day``."""
    cfg = configuration.parse(configuration.read(store / configuration.CONFIG_NAME))
    keys = open_keyring(store, persistence_env(store, "file", cfg.store))
    rm = ReadModels(open_source(store), store, cfg.policy, cfg.read, keyring=keys)
    try:
        _start, end = rm.reports.day_bounds(day)
        return len(rm.cases.changed_since(end)) / rm.cases.count()
    finally:
        rm.close()
        keys.close()


def test_a_past_days_report_holds_on_both_refold_paths(
    past_day: tuple[Store, dict[str, str], str],  # noqa: F811
) -> None:
    """A few cases changed since the day: each refolded through the index; more than half
    (:data:`projections.cases.REFOLD_SHARE`): one pass over the log. The same report."""
    store, refs, day = past_day
    d = date.fromisoformat(day)
    before = store.ok("report", "daily", "--date", day, "--json").stdout
    store.ok("contact", refs["late"], "--outcome", "reached")
    store.ok("resolve", refs["late"], "--summary", "已退款")
    assert 0 < _changed_share(store.path, d) <= REFOLD_SHARE  # one case of four: refolded
    assert store.ok("report", "daily", "--date", day, "--json").stdout == before
    store.ok("contact", refs["outside"], "--outcome", "reached")
    store.ok("ack", refs["member"])
    store.new(customer="周女士", contact="13500000000", channel="media")
    assert _changed_share(store.path, d) > REFOLD_SHARE  # four cases of five: one pass
    assert store.ok("report", "daily", "--date", day, "--json").stdout == before
