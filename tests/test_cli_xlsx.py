"""``--format xlsx`` for ``export``, ``list`` and ``report daily``: a workbook Excel opens,
read back here with openpyxl: real dates, text kept text, one sheet per section."""

from __future__ import annotations

import io
from datetime import datetime
from typing import Any

import openpyxl
from conftest import Store
from test_cli_report_daily import past_day  # noqa: F401  (a fixture)


def _book(data: bytes) -> Any:
    assert data[:2] == b"PK"  # a zip: the xlsx container
    return openpyxl.load_workbook(io.BytesIO(data))


def test_list_and_export_as_xlsx(store: Store) -> None:
    store.new(contact="013800000000", received_at="2026-11-23T09:30", summary="=1+1 报价")
    for command in (["list"], ["export"]):
        book = _book(store.ok(*command, "--format", "xlsx").stdout_bytes)
        ws = book["cases"]
        header = [c.value for c in ws[1]]
        row = dict(zip(header, [c.value for c in ws[2]], strict=False))
        assert row["contact"] == "013800000000"  # a string: the leading zero kept
        assert row["received at"] == datetime(2026, 11, 23, 9, 30)  # a real date, local
        assert ws.cell(2, header.index("received at") + 1).is_date
        if "summary" in row:
            assert row["summary"] == "=1+1 报价"  # text, not a formula
    events = _book(store.ok("export", "--what", "events", "--format", "xlsx").stdout_bytes)
    assert "events" in events.sheetnames


def test_report_daily_as_xlsx_has_a_sheet_per_section(
    past_day: tuple[Store, dict[str, str], str],  # noqa: F811
) -> None:
    store, refs, day = past_day
    book = _book(store.ok("report", "daily", "--date", day, "--format", "xlsx").stdout_bytes)
    assert book.sheetnames[0] == "Report"
    assert {"Totals", "Overdue cases", "Escalations", "By category"} <= set(book.sheetnames)
    overdue = book["Overdue cases"]
    assert [c.value for c in overdue[1]] == ["ref", "customer", "owner", "promised", "late"]
    assert overdue.cell(2, 1).value == refs["late"]
    esc = book["Escalations"]
    assert isinstance(esc.cell(2, 5).value, datetime)  # the time of the escalation, a date
    about = {r[0].value: r[1].value for r in book["Report"].iter_rows(min_row=2)}
    assert about["day"] == day and about["shop"] == "Car service workshop"
