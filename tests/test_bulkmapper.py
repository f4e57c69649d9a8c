"""``events.bulkmapper``: the same stored events as the library's mapper, and when a store
may take the states as they are."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from typing import Any
from uuid import uuid4

from eventsourcing.domain import Aggregate
from eventsourcing.persistence import DatetimeAsISO, DecimalAsStr, Mapper, UUIDAsHex

from events.bulkmapper import mapped, stored_events
from events.transcoding import FastJSONTranscoder


class Thing(Aggregate):
    class Happened(Aggregate.Event):
        at: datetime
        also: datetime
        value: Any


def _mapper() -> Mapper[Any]:
    t = FastJSONTranscoder()
    for transcoding in (DatetimeAsISO(), DecimalAsStr(), UUIDAsHex()):
        t.register(transcoding)
    return Mapper(transcoder=t)


def _event(at: datetime, also: datetime, value: Any) -> Any:
    return Thing.Happened(
        originator_id=uuid4(), originator_version=1, timestamp=at, at=at, also=also, value=value
    )


def test_shared_and_equal_datetimes_are_written_as_the_library_writes_them() -> None:
    """One datetime object in many events is written once; an equal instant in another
    zone is still written in its own zone."""
    utc = datetime(2026, 12, 1, 0, 0, tzinfo=UTC)
    beijing = utc.astimezone(timezone(timedelta(hours=8)))
    assert utc == beijing and utc.isoformat() != beijing.isoformat()
    events = [_event(utc, beijing, 1), _event(beijing, utc, "x"), _event(utc, utc, None)]
    mapper = _mapper()
    got, plain = mapped(mapper, events)
    assert got == [mapper.to_stored_event(e) for e in events]
    assert b"+08:00" in got[0].state and b"+08:00" in got[1].state
    assert plain


def test_a_state_the_library_writes_its_own_way_is_not_vouched_for() -> None:
    mapper = _mapper()
    at = datetime(2026, 12, 1, tzinfo=UTC)
    events = [_event(at, at, 1), _event(at, at, float("nan"))]  # orjson would write null
    got, plain = mapped(mapper, events)
    assert got == stored_events(mapper, events) == [mapper.to_stored_event(e) for e in events]
    assert b"NaN" in got[1].state
    assert not plain
