"""render.rows.table_cells: the table's cells column by column, as cell() and marked() make them."""

from __future__ import annotations

import random
from collections.abc import Iterator
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from complaintctl import i18n
from complaintctl.render import Attention
from complaintctl.render.rows import cell, marked, table_cells

ZONE = ZoneInfo("Asia/Shanghai")
COLUMNS = (
    "ref",
    "deadline",
    "due",
    "hours",
    "status",
    "owner",
    "customer",
    "severity",
    "channel",
    "category",
    "kind",
    "field",
    "received_at",
    "tags",
)
VALUES: list[Any] = [
    None,
    "",
    "open",
    "received",
    "resolved",
    "acknowledged",
    "major",
    "minor",
    "regulator",
    "walk-in",
    "billing",
    "acknowledge",
    "resolve",
    "received_at",
    "2026-11-23T02:00:00+00:00",
    "not a time",
    3,
    -1.5,
    True,
    ["open", "closed"],
    [],
    ["major", 2],
    "王先生",
]

#: What a time column holds (the model writes ISO times or nothing).
TIMES = [None, "", "2026-11-23T02:00:00+00:00", "2026-06-01T09:00:00+08:00", "not a time"]


@pytest.fixture(params=["en", "zh"])
def language(request: pytest.FixtureRequest) -> Iterator[str]:
    i18n.choose(request.param)
    i18n.config_says(
        None, {"zh": {"category": {"billing": "账单"}, "channel": {"walk-in": "到店"}}}
    )
    yield request.param
    i18n.choose(None)


def test_table_cells_are_the_cells_of_cell_and_marked(language: str) -> None:
    rng = random.Random(14)
    for _ in range(200):
        rows = [
            {
                **{
                    c: rng.choice(TIMES if c in ("due", "received_at") else VALUES)
                    for c in COLUMNS
                    if rng.random() < 0.9
                },
                "overdue": rng.choice([True, False, None]),
            }
            for _ in range(rng.randint(1, 6))
        ]
        columns = rng.sample(COLUMNS, rng.randint(1, len(COLUMNS)))
        expected = [[marked(r, c, cell(r.get(c), c, ZONE)) for c in columns] for r in rows]
        got = table_cells(rows, columns, ZONE)
        assert got == expected
        assert [[type(x) for x in row] for row in got] == [[type(x) for x in r] for r in expected]


def test_an_overdue_due_is_marked_and_a_label_translated() -> None:
    i18n.choose("zh")
    try:
        rows = [{"due": "2026-11-23T02:00:00+00:00", "overdue": True, "status": "acknowledged"}]
        [[due, status]] = table_cells(rows, ("due", "status"), ZONE)
        assert isinstance(due, Attention)
        assert due == "2026-11-23 10:00 CST"
        assert status == i18n.label("status", "acknowledged") == "已受理"
    finally:
        i18n.choose(None)


def test_a_table_of_marked_cells_is_written_by_grid() -> None:
    from complaintctl.render import grid, safe

    rows = [{"due": "2026-11-23T02:00:00+00:00", "overdue": True, "severity": "major"}]
    cells = [
        [safe(c, multiline=True) for c in row]
        for row in table_cells(rows, ("due", "severity"), ZONE)
    ]
    assert all(type(c) is str for row in cells for c in row)
    assert grid.simple(cells, ["due", "severity"]) is not None
