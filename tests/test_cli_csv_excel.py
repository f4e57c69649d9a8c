"""CSV that Excel opens: the encoding asked for, local minutes, numbers kept text, no
compound cells; ``import`` reads a number kept text back as the number."""

from __future__ import annotations

import csv
import io
from pathlib import Path

from conftest import DIRECTOR, Store


def _rows(data: bytes, encoding: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(data.decode(encoding))))


def test_encodings_of_csv_output(store: Store) -> None:
    store.new(customer="王先生", contact="013800000000", received_at="2026-11-23T09:30")
    plain = store.ok("list", "--format", "csv").stdout_bytes
    sig = store.ok("list", "--format", "csv", "--encoding", "utf-8-sig").stdout_bytes
    gbk = store.ok("list", "--format", "csv", "--encoding", "gbk").stdout_bytes
    assert not plain.startswith(b"\xef\xbb\xbf") and sig.startswith(b"\xef\xbb\xbf")
    assert sig[3:] == plain
    assert gbk.decode("gbk") == plain.decode("utf-8") and "王先生".encode("gbk") in gbk
    (row,) = _rows(plain, "utf-8")
    assert row["received_at"] == "2026-11-23 09:30"  # local time to the minute, no zone
    for command in (["report", "daily"], ["stats"], ["export", "--format", "csv"]):
        out = store.ok(*command, "--format", "csv", "--encoding", "gbk").stdout_bytes
        out.decode("gbk")
    assert store.invoke("list", "--format", "csv", "--encoding", "latin-1").exit_code == 2


def test_a_character_gbk_cannot_hold_is_replaced_with_a_warning(store: Store) -> None:
    store.new(customer="王先生 😀")
    r = store.invoke("list", "--format", "csv", "--encoding", "gbk")
    assert r.exit_code == 0 and "cannot hold" in r.stderr
    assert "王先生 ?" in r.stdout_bytes.decode("gbk")


def test_phone_and_account_numbers_stay_text(store: Store) -> None:
    store.new(contact="013800000000", account="6222020200112233445")
    store.new(customer="李女士", contact="lina@example.com")
    rows = _rows(store.ok("export", "--format", "csv").stdout_bytes, "utf-8")
    assert rows[0]["contact"] == '="013800000000"'
    assert rows[1]["contact"] == "lina@example.com"  # text already: as it is
    listed = _rows(store.ok("list", "--format", "csv").stdout_bytes, "utf-8")
    assert listed[0]["contact"] == '="013800000000"'


def test_stats_csv_has_one_figure_a_cell(store: Store) -> None:
    ref = store.new()
    store.ok("ack", ref)
    store.ok("resolve", ref, "--summary", "已处理")
    store.ok("followup", ref, "--outcome", "reached", "--satisfaction", "4", actor=DIRECTOR)
    rows = _rows(store.ok("stats", "--format", "csv").stdout_bytes, "utf-8")
    assert rows[0]["key"] == "(all)"
    assert rows[0]["satisfaction_mean"] == "4.0" and rows[0]["satisfaction_n"] == "1"
    assert "hours_to_resolve_median" in rows[0] and "hours_to_resolve_p90" in rows[0]
    assert not any("(n=" in v or "/" in v for v in rows[0].values())


def test_import_reads_a_number_kept_text(store: Store, tmp_path: Path) -> None:
    sheet = tmp_path / "new.csv"
    sheet.write_text(
        "customer,contact,channel,category,summary\n"
        '王先生,="013800000000",walk-in,misquote,报价错误\n',
        "utf-8-sig",
    )
    store.ok("import", str(sheet))
    (case,) = store.json("list")
    assert case["contact"] == "013800000000"
