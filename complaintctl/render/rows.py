"""Lists of objects in every output format of CLI.md: one function, one name per format.

JSON gives the whole objects; the other formats give the named columns.
Tables and markdown show times in the shop's zone to the minute; so do CSV
and TSV, in the form a spreadsheet reads as a date (``2026-11-23 10:00``),
with phone and account numbers kept text and no formula injection from user
text, in the ``--encoding`` asked for.
"""

from __future__ import annotations

import csv
import html
import io
import re
from collections.abc import Sequence
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import click
import orjson

from complaintctl.i18n import _, heading, label
from complaintctl.render import ENCODING_KEY, emit_json, json_safe, local_time, safe, table

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
    return html.escape(safe(value), quote=False).replace("|", "\\|")


def markdown_table(rows: Sequence[Sequence[Any]], headers: Sequence[str]) -> str:
    from tabulate import tabulate

    cells = [[markdown_cell(c) for c in row] for row in rows]
    return tabulate(
        cells, headers=[markdown_cell(h) for h in headers], tablefmt="github", disable_numparse=True
    )


def html_table(rows: Sequence[Sequence[Any]], headers: Sequence[str]) -> str:
    """A plain HTML table with inline styles (mail clients drop style sheets)."""

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
    ctx = click.get_current_context(silent=True)
    encoding = ctx.meta.get(ENCODING_KEY, "utf-8") if ctx is not None else "utf-8"
    if encoding == "utf-8":
        click.echo(text, nl=False)
        return
    try:
        data = text.encode(encoding)
    except UnicodeEncodeError:
        data = text.encode(encoding, errors="replace")
        lost = sum(1 for ch in text if not _encodable(ch, encoding))
        click.echo(f"{lost} character(s) {encoding} cannot hold written as ?", err=True)
    click.echo(data, nl=False)


def _encodable(ch: str, encoding: str) -> bool:
    try:
        ch.encode(encoding)
    except UnicodeEncodeError:
        return False
    return True


def delimited(rows: Sequence[Sequence[Any]], headers: Sequence[str], fmt: str) -> str:
    """CSV (``csv``) or tab-separated (``tsv``) text with a header line."""
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
        click.echo(table([[cell(r.get(c), c, zone) for c in columns] for r in rows], list(columns)))


def field_rows(pairs: Sequence[Sequence[Any]]) -> list[dict[str, Any]]:
    """Label/value pairs (one object shown as a table) as rows of ``field`` and ``value``."""
    return [{"field": k, "value": v} for k, v in pairs]


def flat_data(events: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """Events with their ``data`` as one JSON text: a cell of CSV, TSV or a table."""
    return [{**e, "data": orjson.dumps(e["data"]).decode()} for e in events]
