"""Lists of objects in every output format of CLI.md: one function, one name per format.

JSON gives the whole objects; the other formats give the named columns.
Tables and markdown show times in the shop's zone to the minute; so do CSV
and TSV, in the form a spreadsheet reads as a date (``2026-11-23 10:00``),
with phone and account numbers kept text and no formula injection from user
text, in the ``--encoding`` asked for.
"""

from __future__ import annotations

import itertools
import re
import sys
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import click
import orjson

from complaintctl.i18n import _, heading, label, labeller
from complaintctl.render import (
    ENCODING_KEY,
    Attention,
    emit_json,
    json_safe,
    local_time,
    safe,
    table,
)
from events.lifecycle import PARTIES

#: The formats of every reading command (``--json`` is ``--format json``).
FORMATS = ("table", "json", "jsonl", "csv", "tsv", "markdown")


def is_time(key: str) -> bool:
    """Whether a column holds a time (shown in the shop's zone to the minute)."""
    return key.endswith(("_at", "_due")) or key in ("due", "reply_by")


#: Columns of numbers that are text: Excel would drop a leading zero or show 1.38E+10.
TEXT_NUMBER_COLUMNS = frozenset({"contact", "account", "phone"})
_NUMBER_LIKE = re.compile(r"^\+?[0-9][0-9 -]*$")


def cell(value: Any, key: str, zone: ZoneInfo) -> Any:
    """A value as a person reads it in a table: local times, lists joined, built-in
    values (statuses, severities...) and field names in the display language, no None."""
    if is_time(key):
        return local_time(value, zone) if value else ""
    if isinstance(value, list):
        return "; ".join(str(label(key, v)) for v in value)
    if key == "field" and isinstance(value, str):
        return heading(value)
    return "" if value is None else label(key, value)


#: The only columns whose cells can need attention (:func:`needs_attention`).
ATTENTION_COLUMNS = frozenset({"severity", "channel", "party", "deadline", "hours", "due"})


def needs_attention(row: dict[str, Any], key: str) -> bool:
    """Whether a table cell needs attention: major, a regulator or consumer association,
    the deadline and hours of an overdue case."""
    if key not in ATTENTION_COLUMNS:
        return False
    value = row.get(key)
    if key == "severity":
        return value == "major"
    if key in ("channel", "party"):
        return value in PARTIES
    if key in ("deadline", "hours", "due"):
        return row.get("overdue") is True
    return False


def marked(row: dict[str, Any], key: str, shown: Any) -> Any:
    """The shown value, marked for colour where it needs attention (a terminal colours it)."""
    if shown != "" and needs_attention(row, key):
        return Attention(str(shown))
    return shown


def table_cells(
    rows: Sequence[dict[str, Any]], columns: Sequence[str], zone: ZoneInfo
) -> list[list[Any]]:
    """``[[marked(r, c, cell(r.get(c), c, zone)) for c in columns] for r in rows]``, column
    by column: what a column's cells need (times, labels, attention) found once for all."""
    shown: list[list[Any]] = []
    for key in columns:
        values = [r.get(key) for r in rows]
        if is_time(key):
            column = [local_time(v, zone) if v else "" for v in values]
        elif key == "field":
            column = [cell(v, key, zone) for v in values]
        else:
            lab = labeller(key)
            column = [
                "; ".join(str(lab(x)) for x in v)
                if isinstance(v, list)
                else ""
                if v is None
                else lab(v)
                for v in values
            ]
        if key in ATTENTION_COLUMNS:
            column = [marked(r, key, v) for r, v in zip(rows, column, strict=True)]
        shown.append(column)
    return [list(cells) for cells in zip(*shown, strict=True)] if shown else [[] for _ in rows]


def csv_cell(value: Any) -> Any:
    """A spreadsheet-safe cell: lists joined, and no formula injection from user text."""
    if isinstance(value, TextNumber):
        return f'="{value}"'
    if isinstance(value, list):
        value = "; ".join(str(v) for v in value)
    if value is None:
        return ""
    if isinstance(value, str):
        value = safe(value, multiline=True)  # no raw terminal escapes in the file
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@") and not _is_number(value):
        return "'" + value
    return value


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def markdown_cell(value: Any) -> str:
    """A cell of a markdown table: no raw escapes, no ``|`` that splits it, no HTML."""
    import html  # only for markdown and HTML: a table or JSON does not load it

    return html.escape(safe(value), quote=False).replace("|", "\\|")


def markdown_table(rows: Sequence[Sequence[Any]], headers: Sequence[str]) -> str:
    from tabulate import tabulate

    cells = [[markdown_cell(c) for c in row] for row in rows]
    return tabulate(
        cells, headers=[markdown_cell(h) for h in headers], tablefmt="github", disable_numparse=True
    )


def html_table(rows: Sequence[Sequence[Any]], headers: Sequence[str]) -> str:
    """A plain HTML table with inline styles (mail clients drop style sheets)."""

    import html

    def esc(value: Any) -> str:
        return html.escape(safe(value))  # no raw terminal escapes when the page is cat'ed

    style = 'style="border:1px solid #ccc;padding:3px 8px"'
    out = ['<table style="border-collapse:collapse">']
    out.append("<tr>" + "".join(f"<th {style}>{esc(h)}</th>" for h in headers) + "</tr>")
    for row in rows:
        out.append("<tr>" + "".join(f"<td {style}>{esc(c)}</td>" for c in row) + "</tr>")
    out.append("</table>")
    return "\n".join(out)


def spreadsheet_time(value: Any, zone: ZoneInfo) -> Any:
    """An ISO time as a spreadsheet reads a date and time: local, to the minute, no zone."""
    if not value:
        return ""
    try:
        return datetime.fromisoformat(str(value)).astimezone(zone).strftime("%Y-%m-%d %H:%M")
    except ValueError:
        return value


def spreadsheet_cell(value: Any, key: str, zone: ZoneInfo) -> Any:
    """A cell of CSV: local times to the minute; phone and account numbers kept as text.

    A number that is text is written ``="13800000000"``: Excel on Windows shows
    it as it is (no 1.38E+10, no lost leading zero), LibreOffice too, and
    ``import`` reads it back as the number alone.
    """
    if is_time(key):
        return spreadsheet_time(value, zone)
    if key in TEXT_NUMBER_COLUMNS and isinstance(value, str) and _NUMBER_LIKE.match(value):
        return TextNumber(value)
    return value


class TextNumber(str):
    """A number that is text, written ``="..."`` in CSV (see :func:`spreadsheet_cell`)."""


def emit_delimited(text: str) -> None:
    """CSV or TSV text on stdout in the ``--encoding`` asked for (UTF-8 by default).

    A character GBK cannot hold is written as ``?``, with a warning on stderr.
    """
    lost = _emit_encoded(text, _encoding(), first=True)
    _warn_lost(lost)


def _encoding() -> str:
    ctx = click.get_current_context(silent=True)
    return ctx.meta.get(ENCODING_KEY, "utf-8") if ctx is not None else "utf-8"


def _emit_encoded(text: str, encoding: str, first: bool) -> int:
    """Write ``text`` in ``encoding`` (a BOM only on the ``first`` part); the characters lost."""
    if encoding == "utf-8":
        click.echo(text, nl=False)
        return 0
    if encoding == "utf-8-sig" and not first:
        encoding = "utf-8"
    try:
        data = text.encode(encoding)
        lost = 0
    except UnicodeEncodeError:
        data = text.encode(encoding, errors="replace")
        lost = sum(1 for ch in text if not _encodable(ch, encoding))
    click.echo(data, nl=False)
    return lost


def _warn_lost(lost: int) -> None:
    if lost:
        encoding = _encoding()
        click.echo(f"{lost} character(s) {encoding} cannot hold written as ?", err=True)


def _encodable(ch: str, encoding: str) -> bool:
    try:
        ch.encode(encoding)
    except UnicodeEncodeError:
        return False
    return True


def delimited(rows: Sequence[Sequence[Any]], headers: Sequence[str], fmt: str) -> str:
    """CSV (``csv``) or tab-separated (``tsv``) text with a header line."""
    import csv
    import io

    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n", delimiter="\t" if fmt == "tsv" else ",")
    w.writerow(headers)
    for row in rows:
        w.writerow([csv_cell(c) for c in row])
    return buf.getvalue()


def jsonl(rows: Sequence[Any]) -> str:
    """JSON Lines: one compact object a line, nothing a terminal acts on."""
    return "".join(json_safe(orjson.dumps(r).decode()) + "\n" for r in rows)


def emit_rows(
    rows: list[dict[str, Any]],
    columns: Sequence[str],
    fmt: str,
    zone: ZoneInfo,
    sheet: str = "data",
) -> None:
    """One list in the form asked for (``xlsx``: one sheet named ``sheet``)."""
    if fmt == "xlsx":
        from complaintctl.render.xlsx import emit_workbook, header_label, record_rows, sheet_label

        headers = [header_label(c) for c in columns]
        emit_workbook([(sheet_label(sheet), headers, record_rows(rows, columns, zone))])
    elif fmt == "json":
        emit_json(rows)
    elif fmt == "jsonl":
        click.echo(jsonl(rows), nl=False)
    elif fmt in ("csv", "tsv"):
        cells = [[spreadsheet_cell(r.get(c), c, zone) for c in columns] for r in rows]
        emit_delimited(delimited(cells, columns, fmt))
    elif fmt == "markdown":
        cells = [[cell(r.get(c), c, zone) for c in columns] for r in rows]
        click.echo(markdown_table(cells, [heading(c) for c in columns]))
    elif fmt == "html":
        cells = [[cell(r.get(c), c, zone) for c in columns] for r in rows]
        click.echo(html_table(cells, [heading(c) for c in columns]))
    elif not rows:
        click.echo(_("(none)"))
    else:
        from complaintctl.render import page

        page(table(table_cells(rows, columns, zone), list(columns)))


#: Rows written at a time when streaming: the first line out at once, memory flat.
STREAM_CHUNK = 500
#: The formats written row by row (the others need every row first: widths, a workbook).
STREAMED = ("jsonl", "csv", "tsv")


def stream_rows(
    rows: Iterable[dict[str, Any]],
    columns: Sequence[str],
    fmt: str,
    zone: ZoneInfo,
    sheet: str = "data",
) -> None:
    """Like :func:`emit_rows`, but JSON Lines, CSV and TSV are written as the rows come:
    a million rows need the memory of a few hundred, and the first line is out at once."""
    if fmt not in STREAMED:
        emit_rows(list(rows), columns, fmt, zone, sheet=sheet)
        return
    encoding = _encoding()
    lost = 0
    first = True
    if fmt in ("csv", "tsv"):
        lost += _emit_encoded(delimited([], columns, fmt), encoding, first=True)
        first = False
    chunk: list[dict[str, Any]] = []
    for row in itertools.chain(rows, [None]):
        if row is not None:
            chunk.append(row)
            if len(chunk) < STREAM_CHUNK:
                continue
        if not chunk:
            break
        if fmt == "jsonl":
            click.echo(jsonl(chunk), nl=False)
        else:
            cells = [[spreadsheet_cell(r.get(c), c, zone) for c in columns] for r in chunk]
            text = delimited(cells, columns, fmt).partition("\n")[2]  # no second header
            lost += _emit_encoded(text, encoding, first=first)
        first = False
        chunk = []
        sys.stdout.flush()
    _warn_lost(lost)


def field_rows(pairs: Sequence[Sequence[Any]]) -> list[dict[str, Any]]:
    """Label/value pairs (one object shown as a table) as rows of ``field`` and ``value``."""
    return [{"field": k, "value": v} for k, v in pairs]


def flat_data(events: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """Events with their ``data`` as one JSON text: a cell of CSV, TSV or a table."""
    return [{**e, "data": orjson.dumps(e["data"]).decode()} for e in events]
