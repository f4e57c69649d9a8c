"""A customer's name, contact and account have a length limit (events.intake.MAX_NAME).

The fuzz pasted names of 14,000 characters into `new`: every table and report that
shows the customer then padded its column to them (a 10 MB `report daily`).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import MANAGER, Store

from events.intake import MAX_NAME


def _log(store: Store) -> bytes:
    return (store.path / "events.jsonl").read_bytes()


@pytest.mark.parametrize("field", ["customer", "contact", "account"])
def test_new_with_a_name_too_long_exits_2_and_writes_nothing(store: Store, field: str) -> None:
    store.new()
    before = _log(store)
    long = "王" * (MAX_NAME + 1)
    args = ["new", "--customer", "李女士", "--contact", "13900000000", "--channel", "walk-in"]
    args += ["--category", "misquote", "--summary", "报价错误"]
    args = [*args, f"--{field}", long]  # the last one wins
    r = store.invoke("--lang", "en", *args)
    assert r.exit_code == 2, (r.exit_code, r.stdout, r.stderr)
    assert f"{field} is {MAX_NAME + 1} characters long: at most {MAX_NAME}" in r.stderr
    assert _log(store) == before
    zh = store.invoke("--lang", "zh", *args)
    assert zh.exit_code == 2 and f"最多 {MAX_NAME} 个" in zh.stderr, zh.stderr
    longest = store.ok(*args[:-1], "王" * MAX_NAME).stdout.strip()  # the longest is fine
    assert store.json("show", longest)[field] == "王" * MAX_NAME


def test_import_refuses_a_row_with_a_name_too_long_and_writes_nothing(
    store: Store, tmp_path: Path
) -> None:
    store.new()
    before = _log(store)
    rows = tmp_path / "rows.csv"
    rows.write_text(
        "customer,contact,channel,category,summary\n"
        "王先生,13800000000,walk-in,misquote,报价错误\n"
        f"{'李' * (MAX_NAME + 1)},13900000000,walk-in,misquote,报价错误\n",
        "utf-8",
    )
    r = store.invoke("--lang", "en", "import", str(rows), actor=MANAGER)
    assert r.exit_code == 2, (r.exit_code, r.stdout, r.stderr)
    assert f"at most {MAX_NAME}" in r.stderr
    assert _log(store) == before
