"""``events.transcoding.FastJSONTranscoder`` writes the library's bytes, or lets it write them."""

from __future__ import annotations

import enum
from datetime import UTC, date, datetime
from decimal import Decimal
from uuid import uuid4

import pytest
from eventsourcing.persistence import (
    DatetimeAsISO,
    DecimalAsStr,
    JSONTranscoder,
    TranscodingNotRegisteredError,
    UUIDAsHex,
)

from events.transcoding import FastJSONTranscoder


class Kind(enum.StrEnum):
    A = "a"


def _pair() -> tuple[JSONTranscoder, FastJSONTranscoder]:
    library, fast = JSONTranscoder(), FastJSONTranscoder()
    for t in (library, fast):
        for transcoding in (DatetimeAsISO(), DecimalAsStr(), UUIDAsHex()):
            t.register(transcoding)
    return library, fast


@pytest.mark.parametrize(
    "state",
    [
        {"text": '王先生 "quoted" \\ \n\t\x01\u2028', "n": -3, "ok": True, "none": None},
        {"at": datetime(2026, 12, 1, 8, 30, tzinfo=UTC), "amount": Decimal("1.50")},
        {"list": [1, 2.5, 1e16, -0.0, {"at": datetime(2020, 1, 1)}], "nested": {"a": [[]]}},
        {"id": uuid4(), "ids": [uuid4()]},  # a UUID: orjson would write it as text
        {"kind": Kind.A},  # a str subclass
        {"big": 2**70},  # beyond orjson's 64 bits
        {1: "a key that is not text"},
        {"nan": float("nan"), "inf": float("inf")},
        {"tuple": (1, "two")},
    ],
)
def test_the_same_bytes_as_the_library(state: dict[object, object]) -> None:
    library, fast = _pair()
    assert fast.encode(state) == library.encode(state)
    assert fast.decode(fast.encode(state)) == library.decode(library.encode(state))


def test_what_the_library_cannot_encode_fails_alike() -> None:
    library, fast = _pair()
    for t in (library, fast):
        with pytest.raises(TranscodingNotRegisteredError):
            t.encode({"day": date(2026, 12, 1)})  # no transcoding registered for date
