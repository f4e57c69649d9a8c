"""Working days as China keeps them: official holidays and the weekend days worked in their
place (调休) from chinese-calendar, plus the shop's own holidays and working dates."""

from __future__ import annotations

import sys
import tomllib
from collections.abc import Callable
from datetime import date
from zoneinfo import ZoneInfo

import pytest
import tomli_w
from conftest import Store

from complaintctl import config as configuration
from events.calendar import WorkingCalendar, china_works

CN = WorkingCalendar(zone=ZoneInfo("Asia/Shanghai"), basis="working", official="cn")


def test_official_holidays_and_swapped_working_days() -> None:
    assert not CN.is_working_day(date(2026, 10, 1))  # National Day, a Thursday
    assert not CN.is_working_day(date(2026, 10, 7))
    assert CN.is_working_day(date(2026, 10, 10))  # a Saturday worked for the holiday (调休)
    assert CN.is_working_day(date(2026, 10, 8))  # an ordinary Thursday
    assert not CN.is_working_day(date(2026, 10, 11))  # an ordinary Sunday
    plain = WorkingCalendar(basis="working")
    assert plain.is_working_day(date(2026, 10, 1)) and not plain.is_working_day(date(2026, 10, 10))


def test_a_year_the_package_does_not_know_falls_back_to_the_weekdays() -> None:
    assert china_works(date(2099, 10, 1)) is None
    assert CN.is_working_day(date(2099, 10, 1))  # a Thursday


def test_the_shops_own_dates_win() -> None:
    own = WorkingCalendar(
        basis="working",
        official="cn",
        holidays=frozenset({date(2026, 10, 8)}),
        workdays=frozenset({date(2026, 10, 3)}),
    )
    assert not own.is_working_day(date(2026, 10, 8))
    assert own.is_working_day(date(2026, 10, 3))


def test_an_unknown_official_calendar_is_refused() -> None:
    with pytest.raises(ValueError, match="official"):
        WorkingCalendar(official="xx")


def _with_calendar(store: Store, table: dict[str, object]) -> None:
    cfg = store.path / configuration.CONFIG_NAME
    data = tomllib.loads(cfg.read_text("utf-8"))
    data["calendar"] = table
    cfg.write_text(tomli_w.dumps(data), "utf-8")


def _ack_due(store: Store, ref: str) -> str:
    clock = store.json("sla", ref, actor="agent-01")
    return str(next(d["due"] for d in clock["deadlines"] if d["kind"] == "acknowledge"))


@pytest.mark.parametrize(
    ("table", "due"),
    [
        ({}, "2026-10-01T04:00:00+00:00"),  # 12 h of Sep 30, then 12 h of Thursday Oct 1
        ({"holidays": "cn"}, "2026-10-08T04:00:00+00:00"),  # Oct 1-7 are the holiday
        ({"holidays": "cn", "workdays": ["2026-10-07"]}, "2026-10-07T04:00:00+00:00"),
    ],
)
def test_the_sla_clock_keeps_the_chinese_calendar(
    store_factory: Callable[[str], Store], table: dict[str, object], due: str
) -> None:
    store = store_factory("bank")  # reply.basis = working, 24 h, Monday to Friday
    _with_calendar(store, table)
    ref = store.new(
        channel="phone", category="claims", received_at="2026-09-30T12:00", actor="agent-01"
    )
    assert _ack_due(store, ref).replace("Z", "+00:00") == due


def test_a_bad_calendar_table_is_refused(store: Store) -> None:
    _with_calendar(store, {"holidays": "us"})
    r = store.invoke("list")
    assert r.exit_code == 2 and "calendar.holidays" in r.stderr
    _with_calendar(store, {"workdays": ["tomorrow"]})
    r = store.invoke("list")
    assert r.exit_code == 2 and "calendar.workdays[0]" in r.stderr


def test_the_package_is_imported_only_when_a_day_is_asked_about() -> None:
    import subprocess

    code = (
        "import sys; from complaintctl.config import parse; from complaintctl.presets import "
        "preset; p = preset('bank'); p['calendar'] = {'holidays': 'cn'}; c = parse(p); "
        "cal = c.policy.calendar; print('chinese_calendar' in sys.modules)"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    assert out.strip() == "False"
