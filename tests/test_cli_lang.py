"""The display language: how it is chosen, that the catalog is complete, and that a person
reading Chinese meets no English label, while scripts read the same JSON and CSV."""

from __future__ import annotations

import ast
import json
import re
import string
import tomllib
from pathlib import Path

import pytest
import tomli_w
from babel.messages.pofile import read_po
from conftest import MANAGER, Store, make_store

from complaintctl import catalog
from complaintctl import config as configuration
from complaintctl.refusals import SHAPES, message

ROOT = Path(__file__).resolve().parent.parent
PO = ROOT / "complaintctl" / "locale" / "zh" / "LC_MESSAGES" / "complaintctl.po"


def _po() -> dict[tuple[str | None, str], str]:
    with PO.open("rb") as f:
        cat = read_po(f)
    return {(m.context, m.id): m.string for m in cat if m.id and not m.fuzzy}


def _fields(text: str) -> set[str]:
    return {f for _l, f, _s, _c in string.Formatter().parse(text) if f}


# -- the catalog ------------------------------------------------------------------------


def test_every_message_of_the_code_has_a_chinese_translation() -> None:
    po = _po()
    wanted = catalog.messages()
    missing = [m for m in wanted if not po.get(m)]
    assert not missing, f"untranslated (run python -m complaintctl.catalog): {missing[:10]}"
    unused = [m for m in po if m not in wanted]
    assert not unused, f"the .po has messages the code no longer uses: {unused[:10]}"


def test_translations_keep_every_placeholder() -> None:
    for (context, msgid), msgstr in _po().items():
        assert _fields(msgid) == _fields(msgstr), (context, msgid, msgstr)


def test_help_and_labels_are_in_the_catalog() -> None:
    wanted = catalog.messages()
    assert (None, "Show one case: its fields, proposals, attachments, follow-ups and notes.") in (
        wanted
    )
    assert (None, "Only cases of this owner.") in wanted  # an option's help
    assert ("status", "awaiting_customer") in wanted
    assert ("event", "RemedyProposed") in wanted
    assert ("column", "received_at") in wanted


def _refusals_in_events() -> list[tuple[str | None, str]]:
    """Every RuleRefused(rule, message) the write model raises, with sample values filled in."""
    out: list[tuple[str | None, str]] = []
    for path in sorted((ROOT / "events").glob("*.py")):
        tree = ast.parse(path.read_text("utf-8"))
        for node in ast.walk(tree):
            if not (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Name)
                and node.func.id == "RuleRefused"
                and len(node.args) == 2
            ):
                continue
            rule_node, msg = node.args
            rule = rule_node.value if isinstance(rule_node, ast.Constant) else None
            parts: list[str] = []
            for piece in msg.values if isinstance(msg, ast.JoinedStr) else [msg]:
                if isinstance(piece, ast.Constant):
                    parts.append(str(piece.value))
                elif isinstance(piece, ast.FormattedValue):
                    src = ast.unparse(piece.value)
                    parts.append("an acknowledged" if src.startswith("_a(") else "X1")
            out.append((rule if isinstance(rule, str) else None, "".join(parts)))
    return out


def test_every_refusal_of_the_write_model_has_a_shape_and_a_translation() -> None:
    from complaintctl import i18n

    raised = _refusals_in_events()
    assert len(raised) > 20
    i18n.use("zh")
    try:
        for rule, english in raised:
            shown = message(rule or "any-rule", english)
            assert shown != english, f"no translated shape for {rule}: {english!r}"
    finally:
        i18n.use("en")
    rules = {r for r, _m in raised if r}
    assert rules <= set(SHAPES), rules - set(SHAPES)


# -- choosing the language ----------------------------------------------------------------


def _set_language(store: Store, language: str) -> None:
    cfg = store.path / configuration.CONFIG_NAME
    data = tomllib.loads(cfg.read_text("utf-8"))
    data["display"] = {"language": language}
    cfg.write_text(tomli_w.dumps(data), "utf-8")


@pytest.fixture
def plain(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Store:
    """A store of the general preset (no [display] language), nothing chosen by variable."""
    monkeypatch.delenv("COMPLAINTCTL_LANG")
    store = make_store(tmp_path / "plain", "general")
    cfg = store.path / configuration.CONFIG_NAME
    data = tomllib.loads(cfg.read_text("utf-8"))
    data["categories"].append("misquote")
    data["staff"]["张伟"] = {"tier": 1, "role": "agent"}
    cfg.write_text(tomli_w.dumps(data), "utf-8")
    return store


def test_english_by_default(plain: Store) -> None:
    ref = plain.new()
    assert "status" in plain.ok("show", ref).stdout


def test_the_locale_chooses_chinese(plain: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    store = plain
    ref = store.new()
    monkeypatch.setenv("LANG", "zh_CN.UTF-8")
    assert "状态" in store.ok("show", ref).stdout
    monkeypatch.setenv("LC_ALL", "en_US.UTF-8")  # LC_ALL wins over LANG
    assert "status" in store.ok("show", ref).stdout


def test_the_config_wins_over_the_locale_and_flag_and_env_over_the_config(
    plain: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = plain
    ref = store.new()
    _set_language(store, "zh")
    assert "状态" in store.ok("show", ref).stdout
    assert "status" in store.ok("--lang", "en", "show", ref).stdout
    monkeypatch.setenv("COMPLAINTCTL_LANG", "en")
    assert "status" in store.ok("show", ref).stdout
    assert "状态" in store.ok("--lang", "zh", "show", ref).stdout


def test_a_language_the_cli_does_not_speak_is_refused(store: Store) -> None:
    _set_language(store, "fr")
    r = store.invoke("list")
    assert r.exit_code == 2 and "display.language" in r.stderr
    assert store.invoke("--lang", "fr", "list").exit_code == 2


def test_help_in_chinese(store: Store) -> None:
    out = store.ok("--lang", "zh", "list", "--help").stdout
    assert "用法:" in out and "选项:" in out
    assert "按条件列出案件" in out and "只列此负责人的案件。" in out
    top = store.ok("--lang", "zh", "--help").stdout
    assert "显示一件案件" in top  # the command list's summaries
    assert "Show one case" in store.ok("--help").stdout


def test_messages_and_refusals_in_chinese_keep_the_rule_id_and_exit_code(store: Store) -> None:
    ref = store.new()
    out = store.ok("--lang", "zh", "ack", ref, "--reply-by", "+24h").stdout
    assert out.startswith(f"{ref} 已受理;答复期限 ")
    r = store.invoke("--lang", "zh", "close", ref)
    assert r.exit_code == 4
    assert "close-requires-resolved" in r.stderr and "已受理的案件不能结案" in r.stderr
    r = store.invoke("--lang", "zh", "show", "C-2020-99999")
    assert r.exit_code == 3 and "没有此案件" in r.stderr


def test_scripts_read_the_same_json_and_csv_in_every_language(store: Store) -> None:
    ref = store.new()
    store.ok("ack", ref)
    for args in (["show", ref], ["list"], ["history", ref], ["report", "daily"]):
        zh_json = json.loads(store.ok("--lang", "zh", *args, "--json").stdout)
        en_json = json.loads(store.ok(*args, "--json").stdout)
        if isinstance(en_json, dict):  # the report says when it was made
            zh_json.pop("as_of", None), en_json.pop("as_of", None)
        assert zh_json == en_json
        for fmt in ("csv", "jsonl") if args[0] != "report" else ("csv",):
            en = store.ok(*args, "--format", fmt).stdout
            zh = store.ok("--lang", "zh", *args, "--format", fmt).stdout
            assert en.splitlines()[0] == zh.splitlines()[0]
            assert en == zh


def test_the_presets_of_chinese_shops_speak_chinese(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    """car-service: [display] language = "zh", and Chinese names for its ASCII keys."""
    monkeypatch.delenv("COMPLAINTCTL_LANG")
    ref = store.new(channel="walk-in", category="misquote")
    out = store.ok("show", ref).stdout
    assert "状态" in out and "到店" in out and "报价不符" in out
    listed = store.ok("list").stdout
    assert "报价不符" in listed and "misquote" not in listed
    assert "misquote" in store.ok("list", "--format", "csv").stdout  # scripts read the key
    assert store.json("show", ref)["category"] == "misquote"
    assert "白班" in store.ok("handover", "--shift", "day").stdout
    assert "misquote" in store.ok("--lang", "en", "show", ref).stdout


def test_names_must_be_text(store: Store) -> None:
    cfg = store.path / configuration.CONFIG_NAME
    data = tomllib.loads(cfg.read_text("utf-8"))
    data["display"]["zh"]["categories"]["misquote"] = 3
    cfg.write_text(tomli_w.dumps(data), "utf-8")
    r = store.invoke("list")
    assert r.exit_code == 2 and "display.zh.categories.misquote" in r.stderr


# -- no English label for a person who reads Chinese ------------------------------------------


def _english_labels() -> set[str]:
    """The English words of the catalog's labels and headings (not help or sentences)."""
    contexts = {"column", "status", "severity", "kind", "state", "outcome", "event", "role"}
    words = {msgid for context, msgid in catalog.messages() if context in contexts}
    words |= {"Proposals", "Notes", "Totals", "By category", "By channel", "Overdue", "(none)"}
    return {w for w in words if len(w) >= 3 and re.search("[a-z]", w)}


def _story(path: Path) -> tuple[Store, str]:
    store = make_store(path)
    a = store.new("--demand-amount", "800", "--vip", summary="鼓风机报价200元")
    b = store.new(customer="李女士", contact="13700000000", channel="phone")
    store.ok("ack", a, "--reply-by", "+1h", "--message", "已致歉")
    store.ok("note", a, "客户下午再来电")
    store.ok("propose", a, "--remedy", "fee-waiver", "--amount", "800", "--currency", "CNY")
    store.ok("approve", a, actor="王强")
    store.ok("assign", b, "李娜", actor=MANAGER)
    return store, a


def test_the_main_commands_print_no_english_label_in_chinese(tmp_path: Path) -> None:
    store, ref = _story(tmp_path / "store")
    # What the shop typed (keys of its categories, channels, shifts) stays as typed.
    data = {"walk-in", "phone", "misquote", "CNY", "CST", "Asia/Shanghai"}
    labels = _english_labels() - data
    commands = [
        ["show", ref],
        ["list"],
        ["history", ref],
        ["report", "daily"],
        ["report", "weekly"],
        ["report", "monthly"],
        ["overdue", "--within", "48"],
        ["handover", "--shift", "day"],
        ["stats"],
        ["sla", ref],
    ]
    for args in commands:
        r = store.invoke("--lang", "zh", *args)
        assert r.exit_code == 0, (args, r.stderr)
        text = re.sub(r"C-\d{4}-\d{5}", "", r.stdout)
        found = sorted(w for w in labels if re.search(rf"(?<![\w-]){re.escape(w)}(?![\w-])", text))
        assert not found, (args, found, r.stdout)
    # ...and in English the same labels are there: the test sees what it checks.
    assert "status" in store.ok("show", ref).stdout
