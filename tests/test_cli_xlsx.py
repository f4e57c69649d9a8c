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
    assert about["day"] == day and about["shop"] == "汽车维修服务站"


def test_xlsx_speaks_the_display_language_keys_stay(store: Store) -> None:
    """``--lang zh``: Chinese sheet names and headers; CSV and JSON keep their keys."""
    ref = store.new(contact="013800000000", received_at="2026-11-23T09:30")
    for command, sheet in ((["list"], "案件"), (["export"], "案件")):
        book = _book(store.ok("--lang", "zh", *command, "--format", "xlsx").stdout_bytes)
        assert book.sheetnames == [sheet]
        header = [c.value for c in book[sheet][1]]
        assert "编号" in header and "接收时间" in header, header
        assert not any("_" in str(h) for h in header), header
        row = dict(zip(header, [c.value for c in book[sheet][2]], strict=False))
        assert row["编号"] == ref and row["联系方式"] == "013800000000"
    events = _book(
        store.ok("--lang", "zh", "export", "--what", "events", "--format", "xlsx").stdout_bytes
    )
    assert events.sheetnames == ["事件"]
    assert "位置" in [c.value for c in events["事件"][1]]
    csv_head = store.ok("--lang", "zh", "export", "--format", "csv").stdout.splitlines()[0]
    assert csv_head.startswith("ref,status,received_at,customer,contact")
    assert store.json("--lang", "zh", "list")[0]["ref"] == ref


def test_report_xlsx_in_chinese(
    past_day: tuple[Store, dict[str, str], str],  # noqa: F811
) -> None:
    store, refs, day = past_day
    data = store.ok("--lang", "zh", "report", "daily", "--date", day, "--format", "xlsx")
    book = _book(data.stdout_bytes)
    assert book.sheetnames[0] == "报告"
    assert "Totals" not in book.sheetnames and "Overdue cases" not in book.sheetnames
    about = {r[0].value: r[1].value for r in book["报告"].iter_rows(min_row=2)}
    assert about["日期"] == day and about["门店"] == "汽车维修服务站"
    overdue = next(ws for ws in book.worksheets if ws.cell(2, 1).value == refs["late"])
    assert overdue.cell(1, 1).value == "编号"
