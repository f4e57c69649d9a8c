"""Times in the test shop's zone, as a person types them for ``--at`` (one home for the tests)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

ZONE = ZoneInfo("Asia/Shanghai")  # the car-service preset's


def ago(**delta: float) -> datetime:
    """A time in the shop's zone, this long ago (to the minute)."""
    return (datetime.now(ZONE) - timedelta(**delta)).replace(second=0, microsecond=0)


def iso(at: datetime) -> str:
    return at.isoformat(timespec="minutes")


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).astimezone(UTC)
