"""The one place that turns results into output: JSON, tables, safe text, local times.

The shapes of each command's output live in the modules of this package
(:mod:`.rows` for lists in every format, :mod:`.case` for a case and its
history, :mod:`.fields` the case's fields each output shows, a module per
report: :mod:`.reports` daily, :mod:`.periods` weekly and monthly, both
printed through :mod:`.sections`, :mod:`.stats`, :mod:`.deadlines` for the
SLA clock, the handover and alerts, :mod:`.store` for verify and migrate);
this module holds the pieces they share. tabulate is imported only when a table is printed.

Stored text is kept verbatim; only what reaches a terminal is neutralised by
:func:`safe` (control characters, escape sequences and bidi overrides become
visible ``\\x1b``-style escapes). JSON output escapes control characters by
itself, so it carries the exact stored value.
"""

from __future__ import annotations

import json
import re
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import click
import orjson

from complaintctl.i18n import _, heading

#: The encodings of CSV and TSV output (a spreadsheet on Windows needs one of the last two).
ENCODINGS = ("utf-8", "utf-8-sig", "gbk")
#: Where ``--encoding`` leaves its choice in click's context (read by ``rows.emit_delimited``).
ENCODING_KEY = "complaintctl.encoding"

# C0 and C1 controls, DEL, and the Unicode bidi embedding/override/isolate marks (compiled
# at the first use: a wide character class costs ~1 ms to compile, and a JSON read never
# uses them; BENCHMARKS.md, issue 14, fifth round).
_UNSAFE = "[\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\u200e\u200f]"
_UNSAFE_MULTILINE = "[\x00-\x09\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\u200e\u200f]"


def _escape(m: re.Match[str]) -> str:
    c = m.group()
    return f"\\x{ord(c):02x}" if ord(c) < 0x100 else f"\\u{ord(c):04x}"


#: What the read side puts for a sealed value it cannot open (``events.personal.FORGOTTEN``
#: and ``SEALED``; written out here: a renderer imports no crypto). JSON keeps them as they
#: are; what a person reads shows them in the display language.
PLACEHOLDERS = ("[forgotten]", "[encrypted]")


def placeholders(text: str) -> str:
    """``[forgotten]``/``[encrypted]`` in the display language (also inside joined text)."""
    if "[" not in text:
        return text
    shown = {"[forgotten]": _("[forgotten]"), "[encrypted]": _("[encrypted]")}
    for p in PLACEHOLDERS:
        if p in text:
            text = text.replace(p, shown[p])
    return text


def safe(value: Any, *, multiline: bool = False) -> str:
    """Text fit for a terminal: nothing a user typed can move the cursor or recolour.

    A sealed value that cannot be opened reads as its placeholder in the display language.
    """
    if value is None:
        return ""
    text = placeholders(value if isinstance(value, str) else str(value))
    if text.isascii() and text.isprintable():  # no control character: nothing to escape
        return text if type(text) is str else str(text)  # a plain str, as re.sub gives
    return re.sub(_UNSAFE_MULTILINE if multiline else _UNSAFE, _escape, text)


# What json.dumps(ensure_ascii=False) leaves raw but a terminal may act on.
_JSON_UNSAFE = re.compile("[\x7f-\x9f\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]")


def to_json(data: Any) -> str:
    """Readable UTF-8 JSON in which no character can act on a terminal.

    The characters escaped can only occur inside strings, so the escapes
    decode to exactly the stored value.
    """
    text = _orjson_text(data)
    if text is None:
        text = json.dumps(data, ensure_ascii=False, indent=2)
    return json_safe(text)


def _orjson_text(data: Any) -> str | None:
    """``json.dumps(data, ensure_ascii=False, indent=2)`` written by orjson, or None.

    With ``indent`` the standard library encodes in Python, value by value (a
    fresh ``overdue --json`` spent more on that than on its fold); orjson writes
    the same text, byte for byte, for what :func:`_plain` accepts: dicts with
    str keys, lists, tuples, str, None, bool, 64-bit ints and floats that both
    write alike (finite, 0 or between 1e-4 and 1e16: ``1e-05`` is ``0.00001``
    in orjson). Anything else goes to the standard library, as before; a test
    compares the two on generated documents.
    """
    if not _plain(data, 0):
        return None
    try:
        return orjson.dumps(data, option=orjson.OPT_INDENT_2).decode()
    except (TypeError, ValueError):  # orjson.JSONEncodeError is a TypeError
        return None


_INT_MIN, _INT_MAX = -(1 << 63), (1 << 64) - 1


def _plain(value: Any, depth: int) -> bool:
    """Whether orjson writes ``value`` as the standard library does (see :func:`_orjson_text`)."""
    kind = type(value)
    if kind is str or value is None or kind is bool:
        return True
    if kind is int:
        return bool(_INT_MIN <= value <= _INT_MAX)
    if kind is float:
        size = abs(value)
        return bool(size == 0.0 or 1e-4 <= size < 1e16)
    if depth > 200:  # orjson's limit is 255 levels
        return False
    if kind is dict:
        for k, v in value.items():
            if type(k) is not str:
                return False
            t = type(v)  # a str, None or bool leaf checked here: no call for most values
            if not (t is str or v is None or t is bool or _plain(v, depth + 1)):
                return False
        return True
    if kind is list or kind is tuple:
        for v in value:
            t = type(v)
            if not (t is str or v is None or t is bool or _plain(v, depth + 1)):
                return False
        return True
    return False


def json_safe(text: str) -> str:
    """JSON text (from any encoder) with the characters a terminal acts on written as escapes.

    JSON encoders escape only U+0000-U+001F; C1 controls (U+009B starts an escape
    sequence on many terminals) and direction marks pass raw without this.
    """
    return _JSON_UNSAFE.sub(lambda m: f"\\u{ord(m.group()):04x}", text)


def emit_json(data: Any) -> None:
    """One JSON document on stdout, nothing else."""
    click.echo(to_json(data))


def on_terminal() -> bool:
    """Whether stdout is a terminal or ``COLUMNS`` asks for a width: only then is there
    anything to fit, colour or page (a pipe never loads :mod:`.terminal`)."""
    import os
    import sys

    if os.environ.get("COLUMNS"):
        return True
    try:
        return sys.stdout.isatty()
    except (AttributeError, ValueError):
        return False


def page(text: str) -> None:
    """Text for a person: on a terminal fitted, coloured and paged (:mod:`.terminal`)."""
    if on_terminal():
        from complaintctl.render.terminal import emit

        emit(text)
    else:
        click.echo(text)


class Attention(str):
    """A value that needs attention (overdue, LATE, major...): coloured on a terminal."""


def table(rows: list[list[Any]], headers: list[str] | None = None) -> str:
    """A table aligned also for Chinese text (tabulate measures with wcwidth), its cells'
    own line breaks kept, fitted to the terminal's width (long cells wrap).

    The headers are English column names, shown in the display language.
    """
    shown = None if headers is None else [heading(h) if h else h for h in headers]
    cells = [[safe(c, multiline=True) for c in row] for row in rows]
    if not on_terminal():
        return _tabulated(cells, shown)
    from complaintctl.render import terminal

    columns = terminal.width()
    if columns is not None and cells:
        count = max(len(r) for r in cells)
        natural, least = [0] * count, [0] * count
        pad = [0] * len(cells) + [2]  # tabulate pads a heading by two columns
        for row, extra in zip([*cells, *([shown] if shown else [])], pad, strict=False):
            for i, text in enumerate(row):
                lines = (terminal.text_width(x) for x in text.split("\n"))
                natural[i] = max(natural[i], max(lines) + extra)
                least[i] = max(least[i], min(terminal.longest_word(text), 20) + extra)
        fitted = terminal.fit_columns(natural, least, columns)
        if fitted != natural:
            cells = [[terminal.wrap(t, fitted[i]) for i, t in enumerate(r)] for r in cells]
            if shown:
                shown = [terminal.wrap(t, fitted[i] - 2) for i, t in enumerate(shown)]
    if any(isinstance(c, Attention) for row in rows for c in row) and terminal.colour():
        cells = [
            [
                terminal.attention(t) if isinstance(c, Attention) else t
                for c, t in zip(r, cr, strict=True)
            ]
            for r, cr in zip(rows, cells, strict=True)
        ]
    return _tabulated(cells, shown)


def _tabulated(cells: list[list[Any]], shown: list[str] | None) -> str:
    """tabulate's ``simple`` table (``plain`` without headers): written by :mod:`.grid`
    when it measures every cell exactly, else by tabulate (imported only then: with the
    wcwidth tables it costs a fresh process more than a JSON read does)."""
    from complaintctl.render.grid import simple

    text = simple(cells, shown)
    if text is not None:
        return text
    from tabulate import tabulate

    if shown is None:
        return str(tabulate(cells, tablefmt="plain", disable_numparse=True))
    return str(tabulate(cells, headers=shown, tablefmt="simple", disable_numparse=True))


def local_time(iso: str | None, zone: ZoneInfo) -> str:
    """An ISO time from the model, shown in the shop's zone to the minute."""
    if not iso:
        return ""
    try:
        dt = datetime.fromisoformat(iso)
    except ValueError:
        return safe(iso)
    return dt.astimezone(zone).strftime("%Y-%m-%d %H:%M %Z")


TIME_KEYS = {
    "remedy_accepted_at",
    "received_at",
    "occurred_at",
    "acknowledged_at",
    "reply_by",
    "decision_due",
    "resolved_at",
    "closed_at",
    "archived_at",
    "created_at",
    "updated_at",
}
