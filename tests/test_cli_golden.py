"""Golden files: the exact table and JSON output of show, history, list and report daily.

A fixed story (received at fixed times in the past) on a fresh store. What the
store stamps at run time (the recorded time of each event, and the case's
created/updated/acknowledged times, all "now", the chain hashes over them, and
ids derived from this year's references) is masked; everything else is
compared byte for byte. After a deliberate change of output, regenerate with
``pytest tests/test_cli_golden.py --update-golden`` and review the diff.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from conftest import DIRECTOR, MANAGER, Store, make_store

DAY = "2026-11-23"

# ISO times (JSON) and local minutes (tables) as the output shows them.
_ISO = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:[+-]\d{2}:\d{2}|Z)?")
_LOCAL = re.compile(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}(?= [A-Z]{2,5}\b)")
_REF_YEAR = re.compile(r"\bC-\d{4}-(?=\d{5}\b)")
_HASH = re.compile(r"\b[0-9a-f]{64}\b")
_UUID = re.compile(r"\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b")


def _is_now(text: str) -> bool:
    """A time stamped by this run (the story's own times are weeks in the past)."""
    day = datetime.fromisoformat(text[:10]).date()
    today = datetime.now(UTC).date()
    return today - timedelta(days=2) <= day <= today + timedelta(days=2)


def mask(text: str) -> str:
    """Run-time stamps masked, keeping table columns aligned (same width)."""
    text = _ISO.sub(lambda m: "<now>" if _is_now(m.group()) else m.group(), text)
    text = _LOCAL.sub(
        lambda m: re.sub(r"\d", "#", m.group()) if _is_now(m.group()) else m.group(), text
    )
    text = _HASH.sub("<hash>", text)  # a chain hash covers the recorded time
    text = _UUID.sub("<id>", text)  # derived from the reference, whose year is this year
    return _REF_YEAR.sub("C-YYYY-", text)  # the year of the reference is this year


@pytest.fixture(scope="module")
def story(tmp_path_factory: pytest.TempPathFactory) -> tuple[Store, list[str]]:
    store = make_store(tmp_path_factory.mktemp("golden") / "store")
    a = store.new(
        "--demand-amount",
        "800",
        "--vip",
        summary="鼓风机报价200元,实际1000多元",
        received_at=f"{DAY}T09:30",
    )
    b = store.new(
        customer="李女士 | <b>",
        contact="lina@example.com",
        channel="phone",
        category="service-attitude",
        summary="服务顾问态度差 | 未回电 <b>",
        received_at=f"{DAY}T14:05",
    )
    c = store.new(customer="赵先生", contact="13900000000", received_at="2026-11-20T10:00")
    store.ok("ack", a, "--reply-by", f"{DAY}T18:00", "--message", "已致歉")
    store.ok("transfer", a, "parts", "--reason", "核对零件价格", "--co-handle")
    store.ok("note", a, "客户下午再来电")
    store.ok("assess", a, "--valid", "--root-cause", "报价未核对系统价格", actor=DIRECTOR)
    store.ok("propose", a, "--remedy", "fee-waiver", "--amount", "800", "--currency", "CNY")
    store.ok("approve", a, actor="王强")
    store.ok("assign", b, DIRECTOR, actor=MANAGER)
    store.ok("withdraw", c, "--reason", "客户撤回投诉")
    return store, [a, b, c]


CASES: list[tuple[str, Callable[[list[str]], list[str]]]] = [
    ("show", lambda refs: ["show", refs[0]]),
    ("history", lambda refs: ["history", refs[0]]),
    ("list", lambda refs: ["list"]),
    ("report-daily", lambda refs: ["report", "daily", "--date", DAY]),
]


@pytest.mark.parametrize("fmt", ["table", "json"])
@pytest.mark.parametrize(("name", "args"), CASES, ids=[c[0] for c in CASES])
def test_golden_output(
    story: tuple[Store, list[str]],
    golden: Callable[[str, str], None],
    name: str,
    args: Callable[[list[str]], list[str]],
    fmt: str,
) -> None:
    store, refs = story
    extra = ["--json"] if fmt == "json" else []
    out = store.ok(*args(refs), *extra).stdout
    golden(f"{name}.{'json' if fmt == 'json' else 'txt'}", mask(out))


ZH_CASES = [c for c in CASES if c[0] in ("show", "list", "report-daily")]


@pytest.mark.parametrize(("name", "args"), ZH_CASES, ids=[c[0] for c in ZH_CASES])
def test_golden_output_in_chinese(
    story: tuple[Store, list[str]],
    golden: Callable[[str, str], None],
    name: str,
    args: Callable[[list[str]], list[str]],
) -> None:
    """The same tables for a person who reads Chinese (--lang zh)."""
    store, refs = story
    out = store.ok("--lang", "zh", *args(refs)).stdout
    golden(f"{name}.zh.txt", mask(out))


def test_markdown_cells_cannot_break_the_table(story: tuple[Store, list[str]]) -> None:
    store, _refs = story
    md = store.ok("list", "--format", "markdown").stdout
    assert r"李女士 \| &lt;b&gt;" in md
    assert "<b>" not in md
    line = next(x for x in md.splitlines() if "李女士" in x)
    assert line.replace("\\|", "").count("|") == 11  # ten columns, no split cell


def test_mask_keeps_widths() -> None:
    now = datetime.now(UTC).strftime("%Y-%m-%d %H:%M")
    assert mask(f"{now} CST  2026-11-23 09:30 CST") == "####-##-## ##:## CST  2026-11-23 09:30 CST"
    assert mask(f'"{datetime.now(UTC).isoformat()}"') == '"<now>"'
    assert Path(__file__).name == "test_cli_golden.py"
