"""``report daily``, ``weekly`` and ``monthly`` as HTML print on A4, in headless Chromium.

As the case file's test (test_case_html_browser.py): the page printed to PDF by
the browser, every page's MediaBox A4 (595 x 842 points; Chromium's default,
without the page's own size, is Letter, 612 x 792). The only style block is the
printer's (``@page``, ``@media print``): on screen and in a mail client, which
drops style blocks, every style is inline as before.
"""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

import pytest
from conftest import Store, make_store
from test_cli_report_daily import past_day  # noqa: F401  (a fixture)
from test_cli_report_periods import tell_week
from test_report_html_browser import browser, run


def _printed_on_a4(exe: str, page: str, where: Path) -> None:
    styles = re.findall(r"<style>(.*?)</style>", page, re.S)
    assert len(styles) == 1 and "size:A4" in styles[0]  # only the printer's page
    (where / "report.html").write_text(page, "utf-8")
    pdf = where / "report.pdf"
    run(exe, "--no-pdf-header-footer", f"--print-to-pdf={pdf}", (where / "report.html").as_uri())
    boxes = re.findall(rb"/MediaBox\s*\[\s*0 0 ([0-9.]+) ([0-9.]+)\s*\]", pdf.read_bytes())
    assert boxes, "no page in the PDF"
    for w, h in boxes:  # A4: 595 x 842 points (Letter would be 612 x 792)
        assert abs(float(w) - 595.3) < 2 and abs(float(h) - 841.9) < 2, (w, h)


@pytest.mark.parametrize("period", ["weekly", "monthly"])
def test_the_period_report_prints_on_a4(tmp_path: Path, period: str) -> None:
    exe = browser()
    store = make_store(tmp_path / "store")
    story = tell_week(store)
    if period == "weekly":
        args = ["--week", story["week"]]
    else:
        year, week = story["week"].split("-W")
        args = ["--month", date.fromisocalendar(int(year), int(week), 1).strftime("%Y-%m")]
    page = store.ok("report", period, *args, "--format", "html").stdout
    assert story["refs"]["c1"] in page
    _printed_on_a4(exe, page, tmp_path)


def test_the_daily_report_prints_on_a4(
    past_day: tuple[Store, dict[str, str], str],  # noqa: F811
    tmp_path: Path,
) -> None:
    exe = browser()
    store, refs, day = past_day
    page = store.ok("--lang", "zh", "report", "daily", "--date", day, "--format", "html").stdout
    assert refs["late"] in page and '<html lang="zh">' in page
    _printed_on_a4(exe, page, tmp_path)
