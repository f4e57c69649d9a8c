"""Workbooks (``--format xlsx``): one sheet per section, real dates, text kept text.

XlsxWriter is imported only when a workbook is written. A time becomes a
real spreadsheet date (local, to the minute); a string is written as a string
(never read as a number or a formula, so a phone number keeps its leading
zero and user text cannot inject a formula); numbers stay numbers.
"""

from __future__ import annotations

import io
import re
import sys
from collections.abc import Sequence
from datetime import date, datetime, time
from typing import Any
from zoneinfo import ZoneInfo

import click

from complaintctl.i18n import N_, _, heading
from complaintctl.render import safe
from complaintctl.render.rows import is_time

#: A sheet: its name, its headers, its rows.
Sheet = tuple[str, Sequence[str], Sequence[Sequence[Any]]]

_BAD_NAME = re.compile(r"[\[\]:*?/\\]")


#: The sheet names of the lists (``emit_rows(sheet=...)``), marked for the catalog.
SHEET_NAMES = (N_("cases"), N_("events"), N_("alerts"), N_("data"))


def header_label(key: str) -> str:
    """A column's heading in the display language (the one place to translate headings);
    a key the catalog does not name is shown with spaces (``received at``)."""
    return heading(key).replace("_", " ")


def sheet_label(name: str) -> str:
    """A sheet's name in the display language (the keys of CSV and JSON never change)."""
    return _(name)


def local_datetime(iso: Any, zone: ZoneInfo) -> Any:
    """An ISO time as a naive local datetime to the minute (a spreadsheet has no zones)."""
    if not iso:
        return None
    try:
        dt = datetime.fromisoformat(str(iso))
    except ValueError:
        return iso
    return dt.astimezone(zone).replace(tzinfo=None, second=0, microsecond=0)


def record_rows(
    rows: Sequence[dict[str, Any]], columns: Sequence[str], zone: ZoneInfo
) -> list[list[Any]]:
    """Objects as cells: times as dates, lists joined."""
    out = []
    for r in rows:
        line = []
        for c in columns:
            v = r.get(c)
            if is_time(c):
                v = local_datetime(v, zone)
            elif isinstance(v, list):
                v = "; ".join(str(x) for x in v)
            line.append(v)
        out.append(line)
    return out


def workbook(sheets: Sequence[Sheet]) -> bytes:
    """The sheets as an .xlsx file."""
    import xlsxwriter

    buf = io.BytesIO()
    book = xlsxwriter.Workbook(buf, {"in_memory": True, "strings_to_numbers": False})
    bold = book.add_format({"bold": True})
    when = book.add_format({"num_format": "yyyy-mm-dd hh:mm"})
    day = book.add_format({"num_format": "yyyy-mm-dd"})
    used: set[str] = set()
    for name, headers, rows in sheets:
        title = _BAD_NAME.sub(" ", name)[:31] or "Sheet"
        base, n = title, 2
        while title.lower() in used:
            title = f"{base[:28]}~{n}"
            n += 1
        used.add(title.lower())
        ws = book.add_worksheet(title)
        widths = [len(str(h)) for h in headers]
        for col, h in enumerate(headers):
            ws.write_string(0, col, str(h), bold)
        for i, row in enumerate(rows, start=1):
            for col, v in enumerate(row):
                if v is None or v == "":
                    continue
                if isinstance(v, datetime):
                    ws.write_datetime(i, col, v, when)
                    width = 16
                elif isinstance(v, date):
                    ws.write_datetime(i, col, datetime.combine(v, time()), day)
                    width = 10
                elif isinstance(v, bool):
                    ws.write_boolean(i, col, v)
                    width = 5
                elif isinstance(v, int | float):
                    ws.write_number(i, col, v)
                    width = len(str(v))
                else:
                    text = safe(v, multiline=True)
                    ws.write_string(i, col, text)
                    width = len(text)
                if col < len(widths):
                    widths[col] = max(widths[col], width)
        for col, w in enumerate(widths):
            ws.set_column(col, col, min(60, w + 2))
        ws.freeze_panes(1, 0)
    book.close()
    return buf.getvalue()


def emit_workbook(sheets: Sequence[Sheet]) -> None:
    """The workbook on stdout (binary: to a file or a pipe, never to a terminal)."""
    from complaintctl.errors import UsageProblem

    if sys.stdout.isatty():
        from complaintctl.i18n import _

        raise UsageProblem(_("--format xlsx writes a binary file: redirect it (> cases.xlsx)"))
    click.echo(workbook(sheets), nl=False)
