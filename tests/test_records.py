"""events.records: value classes that behave as the dataclasses they replace."""

from __future__ import annotations

import dataclasses
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any, ClassVar

import pytest

from events.calendar import WorkingCalendar
from events.policy import MajorRules, Policy, StaffMember, Tier
from events.records import FrozenInstanceError, field, frozen, record, replace


@frozen
class Point:
    x: int
    y: int = 0
    tags: list[str] = field(default_factory=list)
    note: str = field(default="", repr=False)
    hidden: dict[str, int] = field(default_factory=dict, init=False, repr=False, compare=False)
    KIND: ClassVar[str] = "point"


@dataclasses.dataclass(frozen=True)
class DPoint:
    x: int
    y: int = 0
    tags: list[str] = dataclasses.field(default_factory=list)
    note: str = dataclasses.field(default="", repr=False)
    hidden: dict[str, int] = dataclasses.field(
        default_factory=dict, init=False, repr=False, compare=False
    )
    KIND: ClassVar[str] = "point"


@record
class Box:
    size: int
    items: list[int] = field(default_factory=list)


def test_frozen_as_a_frozen_dataclass() -> None:
    cases: list[tuple[tuple[Any, ...], dict[str, Any]]] = [
        ((1,), {}),
        ((1, 2), {}),
        ((1,), {"y": 5, "note": "n"}),
        ((), {"x": 3, "tags": ["a"]}),
    ]
    for args, kwargs in cases:
        p, d = Point(*args, **kwargs), DPoint(*args, **kwargs)
        assert repr(p) == repr(d).replace("DPoint", "Point")
        assert (p.x, p.y, p.tags, p.note, p.hidden) == (d.x, d.y, d.tags, d.note, d.hidden)
        assert p == Point(*args, **kwargs)
        assert p.__match_args__ == d.__match_args__ == ("x", "y", "tags", "note")
    assert Point(1) != Point(2)
    assert Point(1) != DPoint(1)
    assert Point(1).tags is not Point(1).tags  # a factory per instance
    p = Point(1)
    p.hidden["a"] = 1
    assert p == Point(1)  # compare=False
    for unhashable in (Point(1), DPoint(1)):  # a list field: as the dataclass, no hash
        with pytest.raises(TypeError):
            hash(unhashable)
    with pytest.raises(FrozenInstanceError):
        p.x = 3  # type: ignore[misc]
    with pytest.raises(AttributeError):
        del p.x  # type: ignore[misc]
    assert "KIND" not in Point.__match_args__
    for bad_args, bad_kwargs in [
        ((), {}),
        ((1, 2, [], "", 5), {}),
        ((1,), {"x": 2}),
        ((1,), {"z": 1}),
    ]:
        with pytest.raises(TypeError):
            Point(*bad_args, **bad_kwargs)
        with pytest.raises(TypeError):
            DPoint(*bad_args, **bad_kwargs)


def test_record_is_mutable_and_unhashable() -> None:
    b = Box(1)
    b.size = 2
    b.items.append(3)
    assert b == Box(2, [3])
    assert repr(b) == "Box(size=2, items=[3])"
    with pytest.raises(TypeError):
        hash(b)


def test_replace_copies_the_other_fields() -> None:
    p = Point(1, 2, ["a"], note="n")
    q = replace(p, y=5)
    assert (q.x, q.y, q.tags, q.note) == (1, 5, ["a"], "n")
    with pytest.raises(TypeError):
        replace(p, z=1)


def test_the_policy_classes_keep_their_values_and_checks() -> None:
    policy = Policy(staff={"a": StaffMember("a", 2, "manager")})
    assert policy.tiers[1] == Tier(1, "front line", Decimal("500"))
    assert policy.major == MajorRules()
    assert Policy() == Policy() and Policy().tiers is not Policy().tiers
    assert policy.staff_member("a").is_manager
    assert replace(policy, reply_hours=2).reply_hours == 2
    assert policy.calendar is policy.calendar  # cached_property still works on a frozen value
    with pytest.raises(ValueError, match="basis"):
        WorkingCalendar(basis="lunar")
    cal = WorkingCalendar(holidays=frozenset({date(2026, 10, 1)}))
    assert cal == WorkingCalendar(holidays=frozenset({date(2026, 10, 1)}))
    assert hash(cal) == hash(WorkingCalendar(holidays=frozenset({date(2026, 10, 1)})))


def test_the_plain_classes_pickle_and_copy_as_the_dataclasses_did() -> None:
    """A rebuild's workers and batch sessions pickle or copy some of these."""
    import copy
    import pickle
    from pathlib import Path

    from complaintctl.filestore.index import Tail
    from complaintctl.filestore.lines import Line, Link
    from complaintctl.filestore.options import LogOptions
    from complaintctl.filestore.reader import Cursor
    from complaintctl.filestore.verify import VerifyReport

    values: list[Any] = [
        Policy(staff={"a": StaffMember("a")}),
        WorkingCalendar(),
        LogOptions(Path("x"), True, 1.0, False),
        Tail(5, 1, "h", 2, 3),
        Cursor(1, 2, 3, "h"),
        Link(0, 10, Line({"a": 1}, None, "h", b"x"), "", True, "p"),
        VerifyReport("f", notes=["n"]),
    ]
    for value in values:
        assert pickle.loads(pickle.dumps(value)) == value, value
        assert copy.deepcopy(value) == value, value
        assert repr(value).startswith(type(value).__name__ + "(")
    with pytest.raises(AttributeError):
        values[2].fsync = False


def test_the_read_sides_classes_as_the_dataclasses_they_were() -> None:
    """Checkpoint (pickled to a rebuild's workers), the SLA clock, the list filters."""
    import copy
    import pickle
    from dataclasses import FrozenInstanceError as DataclassFrozen

    from projections.cases import Filters
    from projections.settings import ReadSettings
    from projections.sla import Clock
    from projections.source import GENESIS, Checkpoint

    cp = Checkpoint(3, 40, 20, "h")
    assert cp == Checkpoint(3, 40, 20, "h") != Checkpoint(3, 40, 20, "i")
    assert Checkpoint() == Checkpoint(0, 0, -1, GENESIS)
    assert repr(cp) == "Checkpoint(position=3, offset=40, last_line_start=20, last_hash='h')"
    assert pickle.loads(pickle.dumps(cp)) == cp and copy.copy(cp) == cp
    with pytest.raises(TypeError):
        hash(cp)  # mutable: unhashable, as the dataclass was
    cp.position = 4  # and assignable
    assert cp.position == 4

    f = Filters(status=("received",), owner="a")
    assert f == Filters(("received",), "a") and hash(f) == hash(Filters(("received",), "a"))
    assert f != Filters()
    assert repr(Filters()).startswith("Filters(status=(), owner=None,")
    with pytest.raises((AttributeError, DataclassFrozen)):
        f.owner = "b"  # type: ignore[misc]

    policy = Policy()
    clock = Clock.of(policy, ReadSettings())
    assert clock == Clock(policy.calendar, policy, ReadSettings(), ())
    assert clock.at(datetime(2026, 1, 1, tzinfo=UTC)) is clock
    with pytest.raises(AttributeError):
        clock.eras = ()  # type: ignore[misc]
