"""The SLA clock over the shop's calendar: weekends, holidays, pauses, daylight saving.

Pure functions, so every expectation here is computed by hand from a
calendar: 2026-11-20 is a Friday, 2026-11-23 a Monday. The calendar itself
(``events.calendar``) has its own tests in ``test_calendar.py``.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from events.calendar import WorkingCalendar
from events.policy import Policy
from projections.settings import ReadSettings
from projections.sla import Clock, pauses_of

SH = ZoneInfo("Asia/Shanghai")
H = 3600.0


def at(text: str, zone: ZoneInfo = SH) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=zone)


def working(*holidays: date, days: tuple[int, ...] = (1, 2, 3, 4, 5)) -> WorkingCalendar:
    return WorkingCalendar(SH, "working", frozenset(days), frozenset(holidays))


def test_calendar_basis_counts_every_hour_across_a_weekend() -> None:
    cal = WorkingCalendar(SH)
    assert cal.elapsed(at("2026-11-20T18:00"), at("2026-11-23T09:00")) == 63 * H
    assert cal.add(at("2026-11-20T18:00"), 24 * H) == at("2026-11-21T18:00")


def test_working_basis_skips_the_weekend() -> None:
    cal = working()
    # Friday 18:00 to Monday 09:00: 6 hours of Friday, 9 of Monday.
    assert cal.elapsed(at("2026-11-20T18:00"), at("2026-11-23T09:00")) == 15 * H
    # 24 working hours from Friday 18:00: 6 on Friday, 18 on Monday.
    assert cal.add(at("2026-11-20T18:00"), 24 * H) == at("2026-11-23T18:00")


def test_a_start_on_a_weekend_waits_for_monday() -> None:
    cal = working()
    assert cal.add(at("2026-11-21T10:00"), 2 * H) == at("2026-11-23T02:00")
    assert cal.elapsed(at("2026-11-21T10:00"), at("2026-11-22T23:00")) == 0


def test_holidays_do_not_count() -> None:
    cal = working(date(2026, 11, 23))  # Monday off
    assert cal.elapsed(at("2026-11-20T18:00"), at("2026-11-24T09:00")) == 15 * H
    assert cal.add(at("2026-11-20T18:00"), 24 * H) == at("2026-11-24T18:00")
    assert not cal.is_working_day(date(2026, 11, 23))
    assert cal.is_working_day(date(2026, 11, 24))


def test_a_six_day_week() -> None:
    cal = working(days=(1, 2, 3, 4, 5, 6))
    assert cal.add(at("2026-11-20T18:00"), 24 * H) == at("2026-11-21T18:00")


def test_the_working_clock_agrees_with_the_write_models_reply_deadline() -> None:
    policy = Policy(reply_basis="working", timezone="Asia/Shanghai", reply_hours=24)
    start = at("2026-11-20T18:00")
    assert Clock.of(policy, ReadSettings()).calendar.add(start, 24 * H) == policy.reply_deadline(
        start, "general"
    )


def test_daylight_saving_day_has_23_hours() -> None:
    berlin = ZoneInfo("Europe/Berlin")
    cal = WorkingCalendar(berlin, "working", frozenset(range(1, 8)), frozenset())
    # 2026-03-29: clocks go forward at 02:00; the local day is 23 hours long.
    start = datetime(2026, 3, 29, 0, 0, tzinfo=berlin)
    end = datetime(2026, 3, 30, 0, 0, tzinfo=berlin)
    assert cal.elapsed(start, end) == 23 * H


def test_pauses_stop_the_clock_and_move_the_deadline() -> None:
    cal = WorkingCalendar(SH)
    start = at("2026-11-20T09:00")
    pause = (at("2026-11-20T12:00"), at("2026-11-20T15:00"))
    assert cal.active(start, at("2026-11-20T17:00"), [pause]) == 5 * H
    assert cal.deadline(start, 8 * H, [pause]) == at("2026-11-20T20:00")
    # A pause after the deadline changes nothing; a running pause stops the clock.
    assert cal.deadline(start, 2 * H, [pause]) == at("2026-11-20T11:00")
    assert cal.deadline(start, 8 * H, [(at("2026-11-20T12:00"), None)]) is None


def test_a_pause_over_a_weekend_on_the_working_clock() -> None:
    cal = working()
    start = at("2026-11-20T00:00")  # Friday
    # Paused Friday 12:00 to Monday 12:00: 12 working hours lost (Friday and Monday).
    pause = (at("2026-11-20T12:00"), at("2026-11-23T12:00"))
    assert cal.active(start, at("2026-11-23T18:00"), [pause]) == 18 * H
    assert cal.deadline(start, 24 * H, [pause]) == at("2026-11-24T00:00")


def test_pauses_come_from_the_status_timeline() -> None:
    case = {
        "_": {
            "statuses": [
                ["2026-11-20T01:00:00+00:00", "received"],
                ["2026-11-20T02:00:00+00:00", "awaiting_customer"],
                ["2026-11-20T05:00:00+00:00", "in_progress"],
                ["2026-11-20T06:00:00+00:00", "awaiting_customer"],
            ]
        }
    }
    got = pauses_of(case, ("awaiting_customer",))
    utc = ZoneInfo("UTC")
    assert got == [
        (datetime(2026, 11, 20, 2, tzinfo=utc), datetime(2026, 11, 20, 5, tzinfo=utc)),
        (datetime(2026, 11, 20, 6, tzinfo=utc), None),
    ]


def _case(**over: object) -> dict[str, object]:
    base: dict[str, object] = {
        "status": "acknowledged",
        "severity": "general",
        "received_at": "2026-11-20T01:00:00+00:00",
        "acknowledged_at": "2026-11-20T03:00:00+00:00",
        "decision_due": None,
        "followups": [],
        "_": {
            "statuses": [["2026-11-20T01:00:00+00:00", "received"]],
            "promises": [
                {
                    "reply_by": "2026-11-21T01:00:00+00:00",
                    "set_at": "2026-11-20T03:00:00+00:00",
                    "kept_at": None,
                }
            ],
            "resolutions": [],
        },
    }
    base.update(over)
    return base


def test_clock_deadlines_measures_and_followups() -> None:
    policy = Policy(timezone="Asia/Shanghai", reply_hours=24)
    clock = Clock.of(policy, ReadSettings(resolve_hours=48, followup_days=3))
    case = _case()
    kinds = dict(clock.deadlines(case))
    assert set(kinds) == {"reply", "resolve"}
    assert kinds["resolve"] == datetime.fromisoformat("2026-11-22T01:00:00+00:00")
    now = datetime.fromisoformat("2026-11-21T02:00:00+00:00")
    m = clock.measures(case, now)
    assert m["hours_to_acknowledge"] == 2.0
    assert m["acknowledged_within_target"] is True
    assert m["promises"][0]["state"] == "missed"
    assert [o["kind"] for o in m["overdue"]] == ["reply"]
    done = _case(
        status="resolved",
        _={
            "statuses": [["2026-11-20T01:00:00+00:00", "received"]],
            "promises": [],
            "resolutions": ["2026-11-20T13:00:00+00:00"],
        },
    )
    assert clock.deadlines(done) == []
    assert clock.followup_due(done) == datetime.fromisoformat(
        "2026-11-20T13:00:00+00:00"
    ) + timedelta(days=3)
    assert clock.measures(done, now)["hours_to_resolve"] == 12.0
