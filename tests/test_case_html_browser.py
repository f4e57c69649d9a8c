"""``show REF --format html``, the case file, in a real headless browser: phone, desktop, A4.

Chromium is driven as in test_report_html_browser.py (a frame of the width
wanted, a probe that measures the page); skipped when it is missing unless
``COMPLAINTCTL_REQUIRE_BROWSER=1``. The case has what a regulator asks for:
back-dated actions (both times shown), a remedy granted, an outside party,
an attached file (its full SHA-256), and text a customer typed that looks
like HTML, which must stay text.
"""

from __future__ import annotations

import hashlib
import re
from datetime import timedelta
from pathlib import Path

import pytest
from conftest import Store
from test_cli_business_time import ago, iso
from test_report_html_browser import browser, measure, run

HOSTILE = '<script>alert("x")</script><img src=x onerror=alert(1)>'


def _case(store: Store, tmp_path: Path) -> tuple[str, str]:
    t0 = ago(days=2)
    ref = store.new("--at", iso(t0), summary="报价错误 " + HOSTILE, customer="王先生")
    store.ok("ack", ref, "--at", iso(t0 + timedelta(hours=1)))
    store.ok("note", ref, "客户说: <b>太贵</b> " + "很长的备注" * 40)
    store.ok("propose", ref, "--remedy", "refund", "--amount", "200", "--currency", "CNY")
    store.ok("accept", ref)
    store.ok("external", ref, "--party", "consumer-association", "--reference", "消协-118")
    evidence = tmp_path / "quote.txt"
    evidence.write_bytes(b"quoted 200, charged 1000")
    store.ok("attach", ref, str(evidence), "--kind", "document")
    return ref, hashlib.sha256(evidence.read_bytes()).hexdigest()


def _page(store: Store, ref: str, *lang: str) -> str:
    page = store.ok(*lang, "show", ref, "--format", "html").stdout
    lowered = page.lower()
    for tag in ("<script", "<svg", "<img", "<link", "<iframe", "<b>"):
        assert tag not in lowered, tag  # nothing a customer typed became markup
    styles = re.findall(r"<style>(.*?)</style>", page, re.S)
    assert len(styles) == 1 and "size:A4" in styles[0]  # only the printer's page
    return page


def test_the_case_file_holds_history_remedies_parties_and_hashes(
    store: Store, tmp_path: Path
) -> None:
    ref, sha = _case(store, tmp_path)
    page = _page(store, ref)
    assert f"Case file {ref}" in page and "汽车维修服务站" in page  # the shop's name
    assert sha in page  # the whole hash, to check the archived file against
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in page
    assert "消协-118" in page and "consumer-association" in page
    assert "200 CNY" in page and "accepted" in page
    history = store.json("history", ref)
    received = history[0]
    assert "(recorded " in page  # typed in later: both times
    for e in history:
        assert f"{e['version']}. {e['type']} · " in page
    assert received["occurred_at"] != received["recorded_at"]
    # --as-of: the file as it stood before the remedy
    early = store.ok("show", ref, "--as-of", iso(ago(days=2) + timedelta(hours=2)), "--format",
                     "html").stdout  # fmt: skip
    assert "2. Acknowledged" in early and "RemedyProposed" not in early and "as of " in early


def test_the_case_file_in_chinese(store: Store, tmp_path: Path) -> None:
    ref, sha = _case(store, tmp_path)
    page = _page(store, ref, "--lang", "zh")
    assert '<html lang="zh">' in page
    assert f"案件档案 {ref}" in page and "历史" in page and "附件" in page
    assert "消费者协会" in page or "消协-118" in page
    assert "Case file" not in page and "History" not in page
    assert sha in page


@pytest.mark.parametrize(("width", "lang"), [(400, "en"), (1024, "en"), (400, "zh")])
def test_the_case_file_reads_on_a_phone_and_a_desktop(
    store: Store, tmp_path: Path, width: int, lang: str
) -> None:
    exe = browser()
    ref, _sha = _case(store, tmp_path)
    page = _page(store, ref, "--lang", lang)
    m = measure(exe, page, ref, width, tmp_path)
    assert m["viewport"] == width and m["text"]
    assert 0 <= m["left"] < m["right"] <= width, m  # the reference is on screen, whole
    assert m["scroll"] <= width and m["widest"] <= width + 1, m  # nothing runs off the side
    # The browser reads the customer's text as text: no element was made of it.
    (tmp_path / "case.html").write_text(page, "utf-8")
    dom = run(exe, "--dump-dom", (tmp_path / "case.html").as_uri())
    assert "<script" not in dom.lower() and "<img" not in dom.lower()
    assert "&lt;img src=x onerror=alert(1)&gt;" in dom


def test_the_case_file_prints_on_a4(store: Store, tmp_path: Path) -> None:
    exe = browser()
    ref, _sha = _case(store, tmp_path)
    (tmp_path / "case.html").write_text(_page(store, ref), "utf-8")
    pdf = tmp_path / "case.pdf"
    run(exe, "--no-pdf-header-footer", f"--print-to-pdf={pdf}", (tmp_path / "case.html").as_uri())
    boxes = re.findall(rb"/MediaBox\s*\[\s*0 0 ([0-9.]+) ([0-9.]+)\s*\]", pdf.read_bytes())
    assert boxes, "no page in the PDF"
    for w, h in boxes:  # A4: 595 x 842 points (Letter would be 612 x 792)
        assert abs(float(w) - 595.3) < 2 and abs(float(h) - 841.9) < 2, (w, h)
