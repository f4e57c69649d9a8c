"""The write model's input errors and the edge's usage errors in the display language.

The write model words its errors in English (``events`` has no i18n); the edge
translates them by shape (:mod:`complaintctl.refusals`). These tests find every
such message in the code, so a new one without a shape or a ``_()`` fails here,
and drive a representative set of bad inputs through the CLI in Chinese and in
English: the words change, the exit codes do not.
"""

from __future__ import annotations

import ast
import json
import re
from collections.abc import Iterator
from pathlib import Path

from conftest import MANAGER, Store, make_store
from test_cli_lang import _english_phrases

from complaintctl import i18n
from complaintctl.refusals import SHAPES, detail, message

ROOT = Path(__file__).resolve().parent.parent
CJK = r"[\u4e00-\u9fff]"

#: The exceptions whose message a person reads (the edge's and the ones it maps).
_SHOWN = {
    "InvalidInput",
    "UsageProblem",
    "Refused",
    "NotFound",
    "StoreUnavailable",
    "VerifyFailed",
    "Conflict",
    "Bug",
    "BadTarget",
    "ImportFileError",
    "TargetNotEmptyError",
    "ValueError",
    "self.fail",
    "click.BadParameter",
}
#: ValueErrors a caller in the code meets, never a person (a programming error, or a
#: guard behind a check the edge makes first, which says it in the display language).
_INTERNAL = {
    ("complaintctl/app.py", "unknown backend X1"),
    ("complaintctl/shareddb.py", "no shared database for X1"),
    ("complaintctl/keyring.py", "not a subject id: X1"),
    ("events/businesstime.py", "a business time needs a time zone"),
    ("events/calendar.py", "basis must be one of X1, not X1"),  # config checks reply.basis
    ("events/calendar.py", "official must be one of X1, not X1"),
    ("events/calendar.py", "no working days: check shop.working_days"),
    ("events/calendar.py", "no working day within reach: check shop.working_days"),
    ("events/settings.py", "X1 belongs to one desk, not to the shop"),  # settings._check_key
}


def _raised() -> Iterator[tuple[str, str]]:
    """(file, message with X1 for each value) of every literal message those exceptions get."""
    paths = sorted([*ROOT.glob("events/*.py"), *ROOT.glob("complaintctl/**/*.py")])
    for path in paths:
        where = path.relative_to(ROOT).as_posix()
        for node in ast.walk(ast.parse(path.read_text("utf-8"))):
            if not (isinstance(node, ast.Call) and node.args and ast.unparse(node.func) in _SHOWN):
                continue
            arg = node.args[0]
            if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
                yield where, arg.value
            elif isinstance(arg, ast.JoinedStr):
                yield (
                    where,
                    "".join(
                        str(p.value) if isinstance(p, ast.Constant) else "X1" for p in arg.values
                    ),
                )


def _translated(english: str) -> bool:
    if detail(english) != english:
        return True
    return any(message(rule, english) != english for rule in SHAPES if rule is not None)


def _only_values(english: str) -> bool:
    """A message that only puts translated parts together (``f"{option}: {e}"``)."""
    return not re.search(r"[A-Za-z]{2,}", re.sub(r"X1|--[a-z-]+|\b[a-z]+_[a-z_]+\b", "", english))


def test_every_message_of_the_write_model_and_the_edge_is_translated() -> None:
    found = list(_raised())
    assert len(found) > 60
    assert ("events/complaint.py", "satisfaction must be 1 to 5") in found  # the check sees
    i18n.use("zh")
    try:
        left = [
            (where, english)
            for where, english in found
            if (where, english) not in _INTERNAL
            and not _only_values(english)
            and not _translated(english)
        ]
    finally:
        i18n.use("en")
    assert not left, f"English only (add a shape to refusals.DETAILS or use _()): {left}"
    assert set(_INTERNAL) <= set(found), set(_INTERNAL) - set(found)  # no stale exception


def test_a_value_named_in_a_check_is_translated_with_it() -> None:
    i18n.use("zh")
    try:
        assert detail("the demand amount must not be negative") == "诉求金额 不能为负数"
        assert detail("bad line: missing or malformed hash") == "损坏的行:哈希缺失或格式有误"
        # verify's details: a counter's snapshot, the read cache (the JSON keeps the English).
        counter = detail(
            "case counter 1f: the log allocated number 5 at version 6, but the counter loads as"
            " (3, 4); its snapshot was changed (new cases would get wrong numbers or fail)"
        )
        assert counter.startswith("案件计数器 1f:") and "读出来是 (3, 4)" in counter, counter
        assert detail("C-2026-00001: missing from the cache") == "C-2026-00001:缓存中没有"
        # A message no shape fits is shown as it is, never lost.
        assert detail("something new went wrong") == "something new went wrong"
    finally:
        i18n.use("en")


def test_bad_input_reads_in_chinese_with_the_same_exit_codes(tmp_path: Path) -> None:
    store = make_store(tmp_path / "store")
    ref = store.new()
    case = ["--customer", "王", "--contact", "1", "--channel", "walk-in", "--category", "misquote"]
    bad: list[tuple[list[str], int]] = [
        (["new", *case, "--summary", "x", "--currency", "USD"], 2),
        (["new", *case, "--summary", "  "], 2),
        (["new", *case, "--summary", "x", "--demand-amount", "1e20"], 2),
        (["new", *case, "--summary", "x", "--demand-amount", "5", "--currency", "XYZ"], 2),
        (["new", *case, "--summary", "x", "--at", "2099-01-01T00:00"], 2),
        (["note", ref, "   "], 2),
        (["classify", ref], 2),
        (["escalate", ref, "--tier", "2", "--reason", "  "], 2),
        (["link", ref], 2),
        (["propose", ref, "--remedy", "fee-waiver", "--currency", "CNY"], 2),
        (["route", ref], 2),
        (["assess", ref], 2),
        (["handover", "--shift", "nosuch"], 2),
        (["config", "set", "a..b", "1"], 2),
        (["verify", "--expect", "bad"], 2),
        (["show", ref, "--as-of", "2026-01-01", "--as-recorded", "2026-01-01"], 2),
        (["list", "--group", "x" * 1001], 2),
        (["migrate", "--to", "postgres", "--target", "nowhere"], 2),
        (["migrate", "--to", "file", "--target", str(store.path)], 2),
    ]
    # migrate into a store that has events of its own: refused by rule migrate-into-empty.
    other = make_store(tmp_path / "other")
    other.new()
    bad.append((["migrate", "--to", "file", "--target", str(other.path)], 4))
    before = store.event_count()
    data = ("walk-in", "misquote", "nosuch", "fee-waiver", "CNY", "USD", "XYZ", "day, night")
    data += ("a..b", "POSITION:HASH", "nowhere", "migrate-into-empty", "1e20")
    data += ("main ", "[OPTIONS]")  # the usage line: the program as CliRunner names it
    english = 0
    for args, code in bad:
        zh = store.invoke("--lang", "zh", *args, actor=MANAGER)
        en = store.invoke("--lang", "en", *args, actor=MANAGER)
        assert zh.exit_code == en.exit_code == code, (args, zh.exit_code, en.stderr)
        assert zh.stdout == en.stdout == "", args
        assert "错误" in zh.stderr, (args, zh.stderr)
        found = _english_phrases(zh.stderr, *data)
        assert not found, (args, found, zh.stderr)
        # ...and in English they are English: the check sees what it checks.
        assert zh.stderr != en.stderr and not re.search(CJK, en.stderr), (args, en.stderr)
        english += bool(_english_phrases(en.stderr.replace("Error:", ""), *data))
    assert english >= len(bad) - 3, english  # a few say only options: --currency needs --loss
    assert store.event_count() == before, "a bad input wrote an event"
    into = ("migrate", "--to", "file", "--target", str(other.path))
    r = store.invoke("--lang", "zh", *into, actor=MANAGER)
    assert "被规则 migrate-into-empty 拒绝:目标中已有事件" in r.stderr  # the rule id as it is
    r = store.invoke(*into, actor=MANAGER)
    assert "refused by rule migrate-into-empty: the target already holds events;" in r.stderr


def test_a_batch_keeps_its_json_and_exit_codes_in_every_language(store: Store) -> None:
    ref = store.new()
    lines = f"note {ref} '  '\nclassify {ref}\nshow {ref}\n"
    out = {}
    for lang in ("en", "zh"):
        r = store.invoke("--lang", lang, "batch", input=lines)
        rows = [json.loads(line) for line in r.stdout.splitlines()]
        out[lang] = (r.exit_code, [(row["line"], row["exit"], sorted(row)) for row in rows])
        if lang == "zh":
            assert "备注需要有内容" in rows[0]["error"], rows
    assert out["en"] == out["zh"]
    assert out["en"][0] == 2


def test_a_damaged_store_says_so_in_the_display_language() -> None:
    """The library's DataError (bytes it cannot read) is exit 6 in every language."""
    from eventsourcing.persistence import DataError

    from complaintctl.errors import VERIFY_FAILED, translate

    i18n.use("zh")
    try:
        zh = translate(DataError("bad bytes"))
    finally:
        i18n.use("en")
    en = translate(DataError("bad bytes"))
    assert zh is not None and en is not None
    assert zh.exit_code == en.exit_code == VERIFY_FAILED
    assert zh.message == "存储库已损坏:bad bytes;请运行 `complaintctl verify`"
    assert en.message == "the store is damaged: bad bytes; run `complaintctl verify`"
