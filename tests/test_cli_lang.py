"""The display language: how it is chosen, that the catalog is complete, and that a person
reading Chinese meets no English label, while scripts read the same JSON and CSV."""

from __future__ import annotations

import ast
import json
import re
import shutil
import string
import tomllib
from pathlib import Path

import pytest
import tomli_w
from babel.messages.pofile import read_po
from conftest import MANAGER, Store, make_store, run_cli

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


# -- the rest of the text: privacy, keys, imports, config, verify, workbooks ----------------


def _english_phrases(text: str, *data: str) -> list[str]:
    """Runs of two or more English words left in ``text`` once what a script or the shop
    typed is taken out: references, paths, option names, dotted keys, hashes, ``data``."""
    for d in sorted(data, key=len, reverse=True):  # a list of keys before each key
        text = text.replace(d, " ")
    text = re.sub(r"C-\d{4}-\d{5}", " ", text)
    text = re.sub(r"\S*/\S*", " ", text)  # paths and URLs
    text = re.sub(r"--[a-z-]+", " ", text)
    text = re.sub(r"\b[a-z_]+(?:\.[a-z_0-9]+)+\b", " ", text)  # reply.hours, shop.name
    text = re.sub(r"\b[0-9a-f]{8}(?:-?[0-9a-f]{4}){3}-?[0-9a-f]{12}\b|\b[0-9a-f]{16,}\b", " ", text)
    return re.findall(r"[A-Za-z]{2,}(?:[ ,;:()'\"]+[A-Za-z]{2,})+", text)


def test_privacy_keys_import_config_and_verify_speak_chinese(tmp_path: Path) -> None:
    store = make_store(tmp_path / "store")
    ref = store.new()
    zh = ("--lang", "zh")
    seen: list[tuple[list[str], str]] = []

    def run(*args: str, code: int = 0, actor: str = MANAGER) -> str:
        r = store.invoke(*zh, *args, actor=actor)
        assert r.exit_code == code, (args, r.exit_code, r.stdout, r.stderr)
        out = r.stdout + r.stderr
        seen.append((list(args), out))
        return out

    # forget: the plan, the result, and its refusals.
    assert "将遗忘" in run("forget", "13800000000", "--yes")
    run("forget", "13800000000", "--yes", code=3)
    run("forget", "nobody-at-all", "--yes", code=3)
    store.new(contact="13900000000")
    run("forget", "13900000000", code=2)  # not a terminal and no --yes
    # purge-candidates and keygen.
    run("purge-candidates", "--older-than", "0")
    key = tmp_path / "store.key"
    assert "密钥" in run("keygen", "--out", str(key))
    run("keygen", "--out", str(key), code=2)
    # import: the file's problems and each bad row's.
    bad = tmp_path / "bad.csv"
    bad.write_text(
        "customer,contact,channel,category,summary,severity,vip,demand_amount\n"
        "王,1,walk-in,misquote,x,urgent,,\n"
        "李,2,walk-in,misquote,,general,,\n"
        "赵,3,walk-in,misquote,y,general,maybe,\n"
        "钱,4,walk-in,misquote,z,general,,-5\n"
        "孙,5,walk-in,nosuch,w,general,,\n",
        "utf-8",
    )
    out = run("import", str(bad), code=2)
    assert "未导入" in out and "summary:缺失" in out and "未知的类别 'nosuch'" in out
    (tmp_path / "short.csv").write_text("customer,contact\n王,1\n", "utf-8")
    assert "缺少列" in run("import", str(tmp_path / "short.csv"), code=2)
    (tmp_path / "gbk.csv").write_bytes("customer\n王先生\n".encode("gbk"))
    run("import", str(tmp_path / "gbk.csv"), code=2)
    # config: a value checked as the file is, a key nobody set, a desk's key.
    run("config", "set", "reply.hours", "many", code=2)
    run("config", "set", "shop.timezone", "Mars/Olympus", code=2)
    run("config", "get", "reply.nothing", code=3)
    assert "已设置" in run("config", "set", "reply.hours", "48")
    assert "未作更改" in run("config", "set", "reply.hours", "48")
    assert "已移除" in run("config", "unset", "reply.hours")
    # rebuild, migrate: what they say when done.
    run("rebuild")
    run("migrate", "--to", "sqlite", "--target", str(tmp_path / "copy.db"))
    # verify: the head line, then a log changed by hand: BAD rows with their detail.
    assert "日志头" in run("verify", actor=MANAGER)
    log = store.path / "events.jsonl"
    text = log.read_text("utf-8")
    # The summary is sealed (issue 13): change a plain field of the first receipt.
    log.write_text(text.replace('"category":"misquote"', '"category":"misfixed"', 1), "utf-8")
    assert "损坏" in run("verify", code=6)
    data = ("walk-in", "misquote", "nobody-at-all", "Mars", "Olympus", "many", "urgent", "maybe")
    data += ("gbk", "utf", "sqlite", "UTF-8", "TOML", "CNY", "COMPLAINTCTL_CIPHER_KEY")
    data += ("channel, category, summary",)  # column names: what the file must hold
    shop = configuration.read(store.path / configuration.CONFIG_NAME)
    data += (", ".join(shop["categories"]), "nosuch")  # the shop's keys, as typed
    data += ("reply.hours",)  # a dotted key, as typed
    for args, out in seen:
        found = _english_phrases(out, *data)
        assert not found, (args, found, out)
    # ...and in English the same commands speak English: the check sees what it checks.
    r = store.invoke("import", str(bad))
    assert _english_phrases(r.stderr), r.stderr
    r = store.invoke("verify")
    assert "broken hash chain" in r.stdout and r.exit_code == 6
    r = store.invoke("--lang", "zh", "verify", "--json")
    assert "broken hash chain" in r.stdout  # JSON is the same in every language
    del ref


def test_workbook_headers_in_chinese(store: Store) -> None:
    import io

    import openpyxl

    store.new()
    for args in (["list"], ["export"], ["report", "daily"]):
        r = store.ok("--lang", "zh", *args, "--format", "xlsx")
        book = openpyxl.load_workbook(io.BytesIO(r.stdout_bytes))
        for ws in book.worksheets:
            words = [str(c.value) for c in ws[1] if c.value is not None]
            if ws.title in ("报告",):
                words += [str(row[0].value) for row in ws.iter_rows(min_row=2)]
            english = [w for w in words if re.fullmatch(r"[A-Za-z _]{3,}", w)]
            assert not english, (args, ws.title, english)
    book = openpyxl.load_workbook(io.BytesIO(store.ok("list", "--format", "xlsx").stdout_bytes))
    assert "received at" in [c.value for c in book.worksheets[0][1]]


def test_warnings_of_the_store_and_the_cache_speak_chinese(store: Store) -> None:
    """The store's and the read side's warnings (logging) reach a person translated."""
    ref = store.new()
    cache = store.path / "cache"
    if cache.exists():
        shutil.rmtree(cache)
    cache.write_text("not a directory", "utf-8")  # the cache cannot be written here
    zh = store.ok("--lang", "zh", "list")
    assert "警告:" in zh.stderr and "临时缓存" in zh.stderr, zh.stderr
    assert _english_phrases(zh.stderr, str(cache)) == [], zh.stderr
    en = store.ok("--lang", "en", "list")
    assert "Warning:" in en.stderr and "temporary cache" in en.stderr, en.stderr
    import sqlite3

    with sqlite3.connect(store.path / "events.index.sqlite") as db:  # the store's own warning
        db.execute("PRAGMA user_version = 1")
    zh = run_cli(store.path, "--lang", "zh", "note", ref, "再次来电")  # a fresh process
    assert zh.returncode == 0 and "警告:索引" in zh.stderr and "格式不同" in zh.stderr, zh.stderr
