"""render.grid writes tabulate's simple and plain tables byte for byte (without tabulate)."""

from __future__ import annotations

import re
import sys

import pytest
import wcwidth
from hypothesis import given, settings
from hypothesis import strategies as st
from tabulate import tabulate

from complaintctl.render import grid

#: Characters of every class grid measures, the line break, and some it refuses.
KNOWN_SAMPLE = "ab Z09~-=+| \n王先生报价实际多元。，、（）：“”·é¥—…　"
REFUSED_SAMPLE = "\t\r\x1b\u0301\u200b😀\u302a\x85"


def _tabulate(rows: list[list[str]], headers: list[str] | None) -> str:
    if headers is None:
        return str(tabulate(rows, tablefmt="plain", disable_numparse=True))
    return str(tabulate(rows, headers=headers, tablefmt="simple", disable_numparse=True))


def test_every_known_character_has_the_width_wcwidth_gives() -> None:
    known = [chr(c) for c in range(sys.maxunicode + 1) if c != 10 and grid.known(chr(c))]
    assert len(known) > 27900  # ASCII, Latin-1, punctuation, CJK (the ranges of KNOWN)
    for ch in known:
        assert grid.width(ch) == wcwidth.wcwidth(ch), hex(ord(ch))
    assert grid.known("\n")


cells = st.text(alphabet=KNOWN_SAMPLE, max_size=12) | st.sampled_from(
    ["", "True", "False", " x ", "\n", "a\n\nb", "12", "1.5", "1,000", "-3", "  ", "\n王\n"]
)


@st.composite
def tables(draw: st.DrawFn) -> tuple[list[list[str]], list[str] | None]:
    n = draw(st.integers(1, 5))
    rows = draw(st.lists(st.lists(cells, min_size=n, max_size=n), min_size=1, max_size=6))
    headers = draw(st.none() | st.lists(cells, min_size=n, max_size=n))
    return rows, headers


@settings(max_examples=600, deadline=None)
@given(tables())
def test_the_same_text_as_tabulate(table: tuple[list[list[str]], list[str] | None]) -> None:
    rows, headers = table
    assert grid.simple(rows, headers) == _tabulate(rows, headers)


@settings(max_examples=200, deadline=None)
@given(tables(), st.sampled_from(REFUSED_SAMPLE))
def test_a_character_it_cannot_measure_is_left_to_tabulate(
    table: tuple[list[list[str]], list[str] | None], bad: str
) -> None:
    rows, headers = table
    rows[0][0] += bad
    assert grid.simple(rows, headers) is None


@pytest.mark.parametrize(
    ("rows", "headers"),
    [
        ([], ["a"]),
        ([["a", "b"], ["c"]], None),
        ([["a"]], ["x", "y"]),
        ([[1]], None),
        ([["a"]], [None]),
        ([[]], None),
    ],
)
def test_shapes_it_leaves_to_tabulate(
    rows: list[list[object]], headers: list[object] | None
) -> None:
    assert grid.simple(rows, headers) is None  # type: ignore[arg-type]


#: What grid measured before it checked ranges itself (the reference for known()).
OLD_KNOWN = re.compile(
    "[\n\x20-\x7e\xa1-\xac\xae-\xff\u2010-\u2027"
    "\u3000-\u3029\u3030-\u303e\u3400-\u4dbf\u4e00-\u9fff\uff01-\uff60\uffe0-\uffe6]*"
)


def test_known_is_the_character_class_it_replaced() -> None:
    for c in range(sys.maxunicode + 1):
        ch = chr(c)
        assert grid.known(ch) == (OLD_KNOWN.fullmatch(ch) is not None), hex(c)
        assert grid.known("ab\n" + ch) == (OLD_KNOWN.fullmatch("ab\n" + ch) is not None), hex(c)
    for text in ("", "\n", "王先生\nab", "a\tb", "a\x7fb", "é—…　", "😀", "\x00"):
        assert grid.known(text) == (OLD_KNOWN.fullmatch(text) is not None), repr(text)
