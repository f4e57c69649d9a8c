"""Plain-text tables as tabulate writes them, without importing tabulate and wcwidth.

Importing tabulate (and the wcwidth tables it measures with) costs a fresh
process more than 140 M instructions, half again a JSON read (BENCHMARKS.md,
issue 14, fourth round), to print a table that is only columns padded with
spaces. :func:`simple` writes tabulate's ``simple`` (with headers) and
``plain`` (without) formats with ``disable_numparse=True`` byte for byte, for
the tables it can measure exactly: every cell and heading a ``str`` whose
characters are printable ASCII, line breaks, Latin-1 letters and signs,
general punctuation (dashes, quotes, …) or Chinese (ideographs, CJK
punctuation, full-width forms) whose display widths wcwidth gives as 1 or 2;
at least one row, and every row as long as the headings. Anything else (a
colour code, an emoji, a combining mark, ragged rows) returns None and the
caller asks tabulate. A test compares the two on generated tables and checks
the character classes against wcwidth.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Sequence

#: The characters measured here, as ranges of code points (first, last): width 1 below
#: U+3000, width 2 from it on (tests/test_render_grid.py checks every one against
#: wcwidth). Checked without a regular expression: compiling this character class cost
#: a table ~1.7 ms (BENCHMARKS.md, issue 14, fifth round).
KNOWN: tuple[tuple[int, int], ...] = (
    (0x0A, 0x0A),  # line break
    (0x20, 0x7E),
    (0xA1, 0xAC),
    (0xAE, 0xFF),
    (0x2010, 0x2027),
    (0x3000, 0x3029),
    (0x3030, 0x303E),
    (0x3400, 0x4DBF),
    (0x4E00, 0x9FFF),
    (0xFF01, 0xFF60),
    (0xFFE0, 0xFFE6),
)
_FIRSTS = [first for first, _last in KNOWN]
_WIDE = "\u3000"


def known(text: str) -> bool:
    """Whether every character of ``text`` is one this module measures (:data:`KNOWN`)."""
    if text.isascii():  # printable ASCII and line breaks
        return text.replace("\n", "").isprintable()
    for ch in set(text):
        code = ord(ch)
        i = bisect_right(_FIRSTS, code) - 1
        if i < 0 or code > KNOWN[i][1]:
            return False
    return True


def width(text: str) -> int:
    """Display columns of one line of known characters."""
    if text.isascii():  # most cells: one column a character, no loop in Python
        return len(text)
    return len(text) + sum(1 for ch in text if ch >= _WIDE)


def simple(rows: Sequence[Sequence[object]], headers: Sequence[str] | None) -> str | None:
    """``tabulate(rows, headers, tablefmt="simple"|"plain", disable_numparse=True)``, or
    None when the table is not one this module measures exactly (see the module)."""
    if not rows:
        return None
    count = len(rows[0])
    if count == 0 or (headers is not None and len(headers) != count):
        return None
    texts: list[str] = []
    for row in rows:
        if len(row) != count:
            return None
        for cell in row:
            if type(cell) is not str:
                return None
            texts.append(cell)
    heads = list(headers) if headers is not None else []
    for head in heads:
        if type(head) is not str:
            return None
    if not known("\n".join([*heads, *texts])):
        return None
    if any("\n" in t for t in heads) or any("\n" in t for t in texts):
        return _multiline(rows, heads, count)
    columns: list[list[str]] = []
    widths: list[int] = []
    for j in range(count):
        cells = [str(row[j]).strip() for row in rows]
        sizes = [width(c) for c in cells]
        least = width(heads[j]) + 2 if heads else 0
        w = max(least, *sizes)
        columns.append([c + " " * (w - n) for c, n in zip(cells, sizes, strict=True)])
        widths.append(w)
    lines: list[str] = []
    if heads:
        lines.append(
            "  ".join(h + " " * (w - width(h)) for h, w in zip(heads, widths, strict=True)).rstrip()
        )
        lines.append("  ".join("-" * w for w in widths).rstrip())
    for i in range(len(rows)):
        lines.append("  ".join(col[i] for col in columns).rstrip())
    return "\n".join(lines)


def _multiline(rows: Sequence[Sequence[object]], heads: list[str], count: int) -> str:
    """:func:`simple` for a table with line breaks in its cells or headings."""
    columns: list[list[list[str]]] = []  # per column, per row: the cell's padded lines
    widths: list[int] = []
    for j in range(count):
        cells = [str(row[j]).strip() for row in rows]
        least = max(width(x) for x in heads[j].split("\n")) + 2 if heads else 0
        w = max(least, *(width(x) for c in cells for x in c.split("\n")))
        columns.append([[x + " " * (w - width(x)) for x in c.splitlines()] for c in cells])
        widths.append(w)
    lines: list[str] = []

    def add(cells: list[list[str]]) -> None:
        height = max(len(c) for c in cells)
        padded = [c + [" " * w] * (height - len(c)) for c, w in zip(cells, widths, strict=True)]
        for i in range(height):
            lines.append("  ".join(c[i] for c in padded).rstrip())

    if heads:
        add(
            [
                "\n".join(x + " " * (w - width(x)) for x in h.split("\n")).splitlines()
                for h, w in zip(heads, widths, strict=True)
            ]
        )
        lines.append("  ".join("-" * w for w in widths).rstrip())
    for i in range(len(rows)):
        add([col[i] for col in columns])
    return "\n".join(lines)
