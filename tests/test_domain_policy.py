"""The shop's clock and limits: reply deadlines, working days, the regulatory clock, times typed."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from complaintctl.config import parse
from complaintctl.presets import preset
from complaintctl.timeparse import parse_time
from events import Policy, RuleRefused, StaffMember

SHANGHAI = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)  # a Monday, 10:00 in Shanghai


def test_reply_deadline_counts_calendar_hours_by_default() -> None:
    p = Policy(reply_hours=24, reply_hours_major=4)
    assert p.reply_deadline(NOW, "general") == NOW + timedelta(hours=24)
    assert p.reply_deadline(NOW, "major") == NOW + timedelta(hours=4)


def test_reply_deadline_on_working_days_skips_weekends_and_holidays() -> None:
    p = Policy(
        reply_hours=24,
        reply_basis="working",
        timezone="Asia/Shanghai",
        working_days=(1, 2, 3, 4, 5),
        holidays=(date(2026, 11, 30),),
    )
    friday = datetime(2026, 11, 27, 10, 0, tzinfo=SHANGHAI)
    due = p.reply_deadline(friday, "general")
    # Friday 10:00 + 24 working hours: Sat, Sun and the Monday holiday do not count.
    assert due == datetime(2026, 12, 1, 10, 0, tzinfo=SHANGHAI)


def test_the_regulatory_clock_and_its_extensions() -> None:
    cfg = parse(preset("bank"))
    received = datetime(2026, 11, 2, tzinfo=SHANGHAI)
    p = cfg.policy
    assert p.decision_deadline(received) == received + timedelta(days=15)
    assert p.decision_deadline(received, 1) == received + timedelta(days=30)
    assert p.decision_deadline(received, 2) == received + timedelta(days=60)
    assert Policy().decision_deadline(received) is None


def test_remedy_limits_by_tier() -> None:
    p = parse(preset("car-service")).policy
    assert p.within_limit(1, Decimal("500"), "CNY")
    assert not p.within_limit(1, Decimal("500.01"), "CNY")
    assert p.required_tier(Decimal("500.01"), "CNY") == 2
    assert p.required_tier(Decimal("5000.01"), "CNY") == 3
    assert p.required_tier(None, None) == 1
    assert p.within_limit(3, Decimal("1e9"), "USD")  # the top tier has no limit


def test_unknown_actors_are_tier_one_agents_unless_the_shop_says_otherwise() -> None:
    assert Policy().staff_member("路人") == StaffMember("路人", 1, "agent")
    with pytest.raises(RuleRefused) as e:
        Policy(allow_unknown_staff=False).staff_member("路人")
    assert e.value.rule == "staff-only"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-11-23T10:00", datetime(2026, 11, 23, 10, 0, tzinfo=SHANGHAI)),
        ("2026-11-23", datetime(2026, 11, 23, 0, 0, tzinfo=SHANGHAI)),
        ("2026-11-23T10:00+00:00", datetime(2026, 11, 23, 10, 0, tzinfo=UTC)),
        ("2026-11-23T10:00Z", datetime(2026, 11, 23, 10, 0, tzinfo=UTC)),
        ("+24h", NOW + timedelta(hours=24)),
        ("+2d", NOW + timedelta(days=2)),
        ("-30m", NOW - timedelta(minutes=30)),
        ("now", NOW),
    ],
)
def test_times_a_person_types(text: str, expected: datetime) -> None:
    value = parse_time(text, SHANGHAI, NOW)
    assert value == expected and value.tzinfo is not None


@pytest.mark.parametrize("text", ["someday", "2026-13-01", "+24", "24h", "", "12/03", "明天 25:00"])
def test_times_that_are_not_times(text: str) -> None:
    with pytest.raises(ValueError, match="not a time"):
        parse_time(text, SHANGHAI, NOW)
