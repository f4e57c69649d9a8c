"""The shop's one working calendar (``events.calendar``), used by ``ack`` and the SLA clock.

Expectations are computed by hand: 2026-11-22 is a Sunday, 2026-11-23 a
Monday; Europe/Berlin moves its clocks forward on 2026-03-29 and back on
2026-10-25.
"""

from __future__ import annotations

import tomllib
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import tomli_w
from conftest import ADVISER, Store, make_store
from hypothesis import given, settings
from hypothesis import strategies as st

from complaintctl import config as configuration
from complaintctl.app import persistence_env
from events.application import ComplaintsApp
from events.calendar import WorkingCalendar
from events.policy import Policy
from projections.settings import ReadSettings
from projections.sla import Clock

SH = ZoneInfo("Asia/Shanghai")
BERLIN = ZoneInfo("Europe/Berlin")
H = 3600.0
MON_TO_SAT = frozenset(range(1, 7))
SUNDAY_2330 = datetime(2026, 11, 22, 23, 30, tzinfo=SH)
TUESDAY_0000 = datetime(2026, 11, 24, 0, 0, tzinfo=SH)


def at(text: str, zone: ZoneInfo = SH) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=zone)


# -- the Sunday 23:30 case -------------------------------------------------------------


def test_sunday_2330_plus_24_working_hours_is_tuesday_midnight() -> None:
    """The shop's days are local days: Sunday's last half hour does not count, Monday's
    24 hours all do (stepping whole hours from 23:30 gave Monday 23:30)."""
    cal = WorkingCalendar(SH, "working", MON_TO_SAT)
    assert cal.add_hours(SUNDAY_2330, 24) == TUESDAY_0000
    assert cal.elapsed(SUNDAY_2330, TUESDAY_0000) == 24 * H


def test_the_write_side_and_the_sla_clock_share_the_calendar() -> None:
    policy = Policy(
        reply_basis="working", timezone="Asia/Shanghai", working_days=(1, 2, 3, 4, 5, 6)
    )
    clock = Clock.of(policy, ReadSettings())
    assert clock.calendar is policy.calendar  # one calendar, built once per policy
    assert policy.reply_deadline(SUNDAY_2330, "general") == TUESDAY_0000
    case = {
        "status": "received",
        "severity": "general",
        "received_at": SUNDAY_2330.isoformat(),
        "acknowledged_at": None,
        "_": {"statuses": [[SUNDAY_2330.isoformat(), "received"]], "promises": []},
    }
    assert dict(clock.deadlines(case))["acknowledge"] == TUESDAY_0000


def _sunday_store(tmp_path: Path) -> Store:
    """A car-service store (Monday to Saturday, Shanghai) on the working basis, 24 hours."""
    store = make_store(tmp_path / "store")
    path = store.path / configuration.CONFIG_NAME
    data = tomllib.loads(path.read_text("utf-8"))
    assert data["shop"]["working_days"] == [1, 2, 3, 4, 5, 6]
    data["reply"] |= {"basis": "working", "hours": 24}
    data["privacy"]["encrypt_personal"] = False
    path.write_text(tomli_w.dumps(data), "utf-8")
    return store


def test_sunday_2330_through_the_cli_every_reader_agrees(tmp_path: Path) -> None:
    store = _sunday_store(tmp_path)
    ref = store.new(received_at="2026-11-22T23:30")
    due = TUESDAY_0000.astimezone(UTC).isoformat()
    assert store.show(ref)["received_at"] == SUNDAY_2330.isoformat()
    sla = store.json("sla", ref)
    assert {d["kind"]: d["due"] for d in sla["deadlines"]}["acknowledge"] == due
    overdue = {r["ref"]: r for r in store.json("overdue")["overdue"]}
    assert (overdue[ref]["deadline"], overdue[ref]["due"]) == ("acknowledge", due)

    # The write side: acknowledged at that same Sunday 23:30, the default promised reply
    # time comes from the same calendar, and every reader shows it.
    cfg = configuration.load(store.path / configuration.CONFIG_NAME)
    env = persistence_env(store.path, cfg.backend, cfg.store)
    app = ComplaintsApp(env, policy=cfg.policy, clock=lambda: SUNDAY_2330)
    try:
        app.acknowledge(ref, ADVISER)
    finally:
        app.close()
    assert datetime.fromisoformat(store.show(ref)["reply_by"]) == TUESDAY_0000
    sla = store.json("sla", ref)
    assert {d["kind"]: d["due"] for d in sla["deadlines"]}["reply"] == due
    assert datetime.fromisoformat(sla["promises"][0]["reply_by"]) == TUESDAY_0000
    overdue = {r["ref"]: r for r in store.json("overdue")["overdue"]}
    assert (overdue[ref]["deadline"], overdue[ref]["due"]) == ("reply", due)


# -- bases, weekdays, holidays ---------------------------------------------------------


def test_the_calendar_basis_counts_real_hours_across_a_daylight_saving_change() -> None:
    cal = WorkingCalendar(BERLIN)
    start = at("2026-03-28T12:00", BERLIN)
    # 24 real hours later the wall clock says 13:00: an hour was skipped that night.
    assert cal.add_hours(start, 24) == at("2026-03-29T13:00", BERLIN)
    assert cal.elapsed(start, at("2026-03-29T12:00", BERLIN)) == 23 * H


def test_a_working_day_is_a_local_day_of_23_or_25_hours() -> None:
    cal = WorkingCalendar(BERLIN, "working", frozenset(range(1, 8)))
    spring, autumn = date(2026, 3, 29), date(2026, 10, 25)
    lo, hi = cal.day_bounds(spring)
    assert (hi - lo) == timedelta(hours=23)
    lo, hi = cal.day_bounds(autumn)
    assert (hi - lo) == timedelta(hours=25)
    # 24 counted hours from the autumn day's midnight end before its last hour.
    assert cal.add_hours(at("2026-10-25T00:00", BERLIN), 24) == at("2026-10-25T23:00", BERLIN)


def test_weekends_and_holidays_do_not_count() -> None:
    cal = WorkingCalendar(SH, "working", holidays=frozenset({date(2026, 11, 23)}))
    friday_18 = at("2026-11-20T18:00")
    # 6 hours of Friday, then Saturday, Sunday and the Monday holiday skipped: 18 of Tuesday.
    assert cal.add_hours(friday_18, 24) == at("2026-11-24T18:00")
    assert cal.elapsed(friday_18, at("2026-11-24T09:00")) == 15 * H
    assert not cal.is_working_day(date(2026, 11, 23))
    assert cal.is_working_day(date(2026, 11, 24))


def test_adding_nothing_outside_working_time_gives_the_next_working_midnight() -> None:
    cal = WorkingCalendar(SH, "working")
    assert cal.add(at("2026-11-21T10:00"), 0) == at("2026-11-23T00:00")
    assert cal.add(at("2026-11-23T10:00"), 0) == at("2026-11-23T10:00")


def test_long_additions_end_even_with_one_working_day_a_week_and_many_holidays() -> None:
    mondays = frozenset(date(2026, 11, 30) + timedelta(weeks=w) for w in range(10))
    cal = WorkingCalendar(SH, "working", frozenset({1}), mondays)
    # Monday 2026-11-23 counts; the next ten Mondays are holidays; then 2027-02-08.
    assert cal.add_hours(at("2026-11-23T00:00"), 48) == at("2027-02-09T00:00")


def test_a_calendar_without_working_days_or_with_a_bad_basis_is_refused() -> None:
    with pytest.raises(ValueError, match="no working days"):
        WorkingCalendar(SH, "working", frozenset()).add(SUNDAY_2330, H)
    with pytest.raises(ValueError, match="basis"):
        WorkingCalendar(SH, "weekly")


# -- pauses ----------------------------------------------------------------------------


def test_pauses_are_not_counted_and_push_the_deadline() -> None:
    cal = WorkingCalendar(SH, "working", MON_TO_SAT)
    # Paused from Saturday 20:00 to Monday 02:00: 4 hours of Saturday, 2 of Monday lost.
    pause = (at("2026-11-21T20:00"), at("2026-11-23T02:00"))
    start = at("2026-11-21T12:00")
    # Saturday 12:00 to Monday 12:00 holds 12 + 12 working hours, 6 of them paused.
    assert cal.active(start, at("2026-11-23T12:00"), [pause]) == (24 - 6) * H
    assert cal.deadline(start, 24 * H, [pause]) == at("2026-11-23T18:00")
    # An open pause stops the clock; one after the deadline changes nothing.
    assert cal.deadline(start, 24 * H, [(at("2026-11-21T20:00"), None)]) is None
    assert cal.deadline(start, 2 * H, [pause]) == at("2026-11-21T14:00")


# -- add and elapsed are one arithmetic ------------------------------------------------

_DAYS = st.frozensets(st.integers(1, 7), min_size=1)
_HOLIDAYS = st.frozensets(st.dates(date(2026, 1, 1), date(2027, 12, 31)), max_size=20)
_STARTS = st.datetimes(datetime(2026, 1, 1), datetime(2026, 12, 31), timezones=st.just(UTC))


@settings(max_examples=200, deadline=None)
@given(days=_DAYS, holidays=_HOLIDAYS, start=_STARTS, seconds=st.integers(1, 400 * 3600))
def test_elapsed_undoes_add(
    days: frozenset[int], holidays: frozenset[date], start: datetime, seconds: int
) -> None:
    cal = WorkingCalendar(BERLIN, "working", days, holidays)
    due = cal.add(start, seconds)
    assert cal.elapsed(start, due) == seconds
    assert cal.is_working_day(due.astimezone(BERLIN).date()) or due.astimezone(BERLIN).hour == 0
