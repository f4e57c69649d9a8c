"""Issue 13, "Privacy": the free text of a customer's cases is sealed with their key.

王建国 (13912345678) tells the desk his name and number, and staff type both into
the summary, the demand, notes, contact summaries, findings, the remedy offered,
the resolution, the follow-up and the review. After ``forget`` none of it can be
read, and ``grep -r`` over the store directory (log, index, keys, read-model
cache) finds neither the name nor the number. What ``forget`` cannot erase (an
attachment's content, another customer's case naming him, text written in plain
text before sealing was on, other desks' caches) it lists.
"""

from __future__ import annotations

import inspect
import subprocess
import tomllib
from pathlib import Path
from typing import Any

import pytest
import tomli_w
from conftest import MANAGER, SERVICE_MANAGER, Store, make_store
from pgsupport import _connect

NAME, PHONE = "王建国", "13912345678"
WANG = {"customer": NAME, "contact": PHONE}
SECRETS = (NAME, PHONE)


def edit_config(store: Store, change: Any) -> None:
    path = store.path / "complaintctl.toml"
    data = tomllib.loads(path.read_text("utf-8"))
    change(data)
    path.write_text(tomli_w.dumps(data), "utf-8")


def grep(directory: Path, text: str) -> list[str]:
    """The files under ``directory`` that hold ``text`` (``grep -r``, as an auditor runs it)."""
    r = subprocess.run(
        ["grep", "-r", "-l", "-F", "-a", text, str(directory)], capture_output=True, text=True
    )
    assert r.returncode in (0, 1), r.stderr
    return r.stdout.split()


def a_case_full_of_him(store: Store) -> str:
    """A case whose every free-text field names the customer (by name and number)."""
    ref = store.new(**WANG, summary=f"{NAME} {PHONE} 报价错误", demand=f"退款给{NAME}")
    who = f"{NAME}({PHONE})"
    store.ok("ack", ref, "--message", f"已告知{who}明天回复")
    store.ok("note", ref, f"{who}来电催促")
    store.ok("contact", ref, "--outcome", "reached", "--summary", f"和{who}通话")
    store.ok("transfer", ref, "service", "--reason", f"{NAME}的车需要检查")
    store.ok("investigate", ref, f"{NAME}的车确实报错价")
    store.ok("escalate", ref, "--tier", "2", "--reason", f"{who}要求主管处理")
    store.ok("propose", ref, "--remedy", "refund", "--amount", "100", "--detail", f"退给{NAME}")
    store.ok("reject", ref, "--reason", f"{NAME}嫌少", actor=SERVICE_MANAGER)
    store.ok("resolve", ref, "--summary", f"已给{who}退款", actor=SERVICE_MANAGER)
    store.ok("followup", ref, "--outcome", "reached", "--satisfaction", "4")
    store.ok("close", ref, actor=SERVICE_MANAGER)
    return ref


def test_new_stores_seal_free_text_and_forget_leaves_no_trace(store: Store) -> None:
    cfg = tomllib.loads((store.path / "complaintctl.toml").read_text("utf-8"))
    assert cfg["privacy"]["seal_free_text"] is True  # init writes it on
    ref = a_case_full_of_him(store)
    other = store.new(customer="李女士", contact="li@example.com", summary="房间被取消")
    case = store.show(ref)
    assert case["summary"] == f"{NAME} {PHONE} 报价错误" and NAME in case["notes"][0]["text"]
    # Nothing he said is in the log in plain text, only in the read-model cache.
    log = (store.path / "events.jsonl").read_bytes()
    assert not any(s.encode() in log for s in SECRETS)
    for read in (("list",), ("stats",), ("report", "daily"), ("export",)):
        store.ok(*read)
    assert grep(store.path / "cache", NAME)  # the cache held him until forget

    out = store.json("forget", PHONE, "--yes", actor=MANAGER)
    assert [f["cases"] for f in out["forgotten"]] == [[ref]]
    assert out["not_erased"] == []  # nothing of him is left anywhere

    for s in SECRETS:
        assert grep(store.path, s) == [], s  # log, index, keys and the cache
    case = store.show(ref)
    assert case["summary"] == case["demand"] == case["resolution"] == "[forgotten]"
    assert case["notes"][0]["text"] == case["contacts"][0]["summary"] == "[forgotten]"
    assert case["findings"] == ["[forgotten]"]
    assert case["proposals"][0]["detail"] == case["proposals"][0]["answer_reason"] == "[forgotten]"
    assert case["departments"][0]["reason"] == "[forgotten]"
    assert case["status"] == "closed" and case["proposals"][0]["amount"] == "100"
    assert store.show(other)["summary"] == "房间被取消"  # the other customer is untouched
    history = store.json("history", ref)
    assert all(s not in str(history) for s in SECRETS)
    assert history[1]["data"]["message"] == "[forgotten]"
    # Every reader prints the placeholder and exits 0; a person reads it in their language.
    for read in (("list",), ("stats",), ("report", "daily"), ("export",), ("log",)):
        r = store.ok(*read)
        assert not any(s in r.stdout for s in SECRETS), read
    assert "[forgotten]" in store.ok("show", ref).stdout
    assert "[forgotten]" in store.ok("history", ref).stdout
    assert "[forgotten]" in store.ok("export", "--format", "csv").stdout
    zh = store.ok("--lang", "zh", "show", ref).stdout
    assert "[已删除]" in zh and "[forgotten]" not in zh
    assert "[已删除]" in store.ok("--lang", "zh", "list").stdout
    assert "[已删除]" in store.ok("--lang", "zh", "history", ref).stdout
    assert store.json("--lang", "zh", "show", ref)["summary"] == "[forgotten]"  # JSON: as is
    # The case lives on: the log verifies, a rebuild folds the same, staff can go on.
    assert store.json("verify")["ok"] is True
    store.ok("rebuild", actor=MANAGER)
    assert store.show(ref)["notes"][0]["text"] == "[forgotten]"
    for s in SECRETS:
        assert grep(store.path, s) == [], s


def test_forget_lists_what_it_cannot_erase(store: Store, tmp_path: Path) -> None:
    ref = store.new(**WANG, summary="报价错误")
    evidence = tmp_path / "录音.txt"
    evidence.write_text(f"{NAME} {PHONE} 的通话记录", "utf-8")
    store.ok("attach", ref, str(evidence))
    li = store.new(customer="李女士", contact="li@example.com", summary=f"和{NAME}一起来的")
    unrelated = store.new(customer="赵先生", contact="13700000000", summary="漏水")

    out = store.json("forget", NAME, "--yes", actor=MANAGER)
    kept = out["not_erased"]
    sha = store.show(ref)["attachments"][0]["sha256"]
    assert {"kind": "attachment", "case": ref, "sha256": sha} in kept
    assert {"kind": "other-case", "case": li} in kept
    assert all(k.get("case") != unrelated for k in kept)
    assert not any(s in str(out) for s in SECRETS)  # the list repeats none of it
    assert store.show(ref)["attachments"][0]["name"] == "[forgotten]"  # the file's name is text
    # Exactly what it listed is still there: the file's content and 李女士's case.
    found = grep(store.path, NAME)
    assert any(sha in f for f in found)
    assert all(sha in f or "/cache/" in f for f in found), found  # 李女士's case in the cache
    assert store.show(li)["summary"] == f"和{NAME}一起来的"

    other = store.new(customer="钱女士", contact="13600000000", summary="等太久")
    text = store.ok("forget", "钱女士", "--yes", actor=MANAGER).stdout
    assert "forgot customer" in text and "not erased" not in text
    assert store.show(other)["summary"] == "[forgotten]"


def test_forget_in_text_says_what_is_left_in_both_languages(store: Store, tmp_path: Path) -> None:
    ref = store.new(**WANG)
    evidence = tmp_path / "photo.jpg"
    evidence.write_bytes(b"\xff\xd8\xff" + bytes(200))
    store.ok("attach", ref, str(evidence))
    li = store.new(customer="李女士", contact="li@example.com", summary=f"{PHONE}是她朋友")
    r = store.ok("--lang", "zh", "forget", PHONE, "--yes", actor=MANAGER)
    lines = r.stdout.splitlines()
    assert any(line.startswith("未能删除:" + ref) and "附件" in line for line in lines)
    assert any(line.startswith("未能删除:" + li) for line in lines)
    assert not any(s in r.stdout for s in SECRETS)


def test_an_existing_store_keeps_plain_free_text_until_it_is_turned_on(store: Store) -> None:
    """A store made before issue 13 has no seal_free_text: its behaviour does not change."""
    edit_config(store, lambda d: d["privacy"].pop("seal_free_text"))
    ref = store.new(**WANG, summary=f"{NAME}说报价错误")
    store.ok("note", ref, f"{PHONE}来电")
    log = store.path / "events.jsonl"
    assert f"{NAME}说报价错误".encode() in log.read_bytes()  # plain, as before
    assert NAME.encode() not in log.read_bytes().replace(f"{NAME}说".encode(), b"")

    edit_config(store, lambda d: d["privacy"].update(seal_free_text=True))
    store.ok("note", ref, f"又是{NAME}")
    assert f"又是{NAME}".encode() not in log.read_bytes()  # sealed from now on
    assert store.show(ref)["notes"][1]["text"] == f"又是{NAME}"

    out = store.json("forget", PHONE, "--yes", actor=MANAGER)
    assert {"kind": "plain-text", "case": ref, "fields": ["summary", "text"]} in out["not_erased"]
    case = store.show(ref)
    assert case["notes"][0]["text"] == f"{PHONE}来电"  # plain: it cannot be shredded
    assert case["notes"][1]["text"] == "[forgotten]"
    # Free text written on the case after he was forgotten has no key left: plain, and said so.
    store.ok("note", ref, "客户已被遗忘后补记")
    assert store.show(ref)["notes"][2]["text"] == "客户已被遗忘后补记"


def test_seal_free_text_is_checked(store: Store) -> None:
    edit_config(store, lambda d: d["privacy"].update(seal_free_text="yes"))
    r = store.invoke("list")
    assert r.exit_code == 2 and "privacy.seal_free_text" in r.stderr


def test_every_free_text_field_of_a_case_event_is_sealed_or_plain_by_design() -> None:
    """A new event's text field must be named here or in TEXT_FIELDS: none is forgotten."""
    from events.complaint import Complaint
    from events.lazyevents import build_all
    from events.personal import PERSONAL_FIELDS, TEXT_FIELDS
    from events.topics import CASE_TOPICS

    plain = {  # keys, references and names the rules and reports read; no customer's words
        "ref", "channel", "category", "currency", "owner", "first_ask_owner", "severity",
        "severity_by", "previous_owner", "department", "previous_category",
        "previous_severity", "outcome", "at_fault", "at_fault_staff", "at_fault_departments",
        "kind", "override", "from_status", "trigger", "action_owner", "refs", "group",
        "media_type", "sha256", "party", "reference", "route", "actor", "originator_topic",
        "originator_id_type",
    }  # fmt: skip
    build_all(Complaint)  # the event classes built on first use (events.lazyevents)
    seen = set()
    for obj in vars(Complaint).values():
        topic = getattr(obj, "TOPIC", None)
        if not (inspect.isclass(obj) and issubclass(obj, Complaint.Event) and topic):
            continue
        if topic not in CASE_TOPICS:
            continue
        seen.add(topic)
        fields: dict[str, Any] = {}
        for k in reversed(obj.__mro__):
            fields.update(getattr(k, "__annotations__", {}))
        for name, hint in fields.items():
            if "str" not in str(hint):
                continue
            sealed = name in TEXT_FIELDS.get(topic, ()) + PERSONAL_FIELDS.get(topic, ())
            assert sealed or name in plain, (topic, name)
        for name in TEXT_FIELDS.get(topic, ()):
            assert name in fields, (topic, name)
    assert seen == CASE_TOPICS and set(TEXT_FIELDS) <= CASE_TOPICS


# -- two desks on one database --------------------------------------------------------------


@pytest.fixture(params=["sqlite", "postgres"])
def desks(request: pytest.FixtureRequest, tmp_path: Path) -> tuple[Store, Store, dict[str, Any]]:
    if request.param == "postgres":
        settings = dict(request.getfixturevalue("pg_schema"))
    else:
        settings = {"sqlite_dbname": str(tmp_path / "shop.sqlite")}
    a = make_store(tmp_path / "desk-a", backend=request.param, **settings)
    b = make_store(tmp_path / "desk-b", backend=request.param, join=True, **settings)
    return a, b, settings


def database_holds(settings: dict[str, Any], text: str) -> bool:
    """Whether the shared database's bytes (SQLite file) or stored events (PostgreSQL) hold it."""
    if "sqlite_dbname" in settings:
        path = Path(settings["sqlite_dbname"])
        return any(text.encode() in p.read_bytes() for p in path.parent.glob(path.name + "*"))
    with _connect() as conn:
        schema = settings["schema"]
        tables = conn.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = %s", (schema,)
        ).fetchall()
        for (table,) in tables:
            rows = conn.execute(f'SELECT * FROM "{schema}"."{table}"').fetchall()
            for row in rows:
                for v in row:
                    raw = bytes(v) if isinstance(v, bytes | memoryview) else str(v).encode()
                    if text.encode() in raw:
                        return True
    return False


def test_forget_on_desk_a_erases_the_free_text_desk_b_wrote(
    desks: tuple[Store, Store, dict[str, Any]],
) -> None:
    a, b, settings = desks
    ref = a.new(**WANG, summary=f"{NAME} {PHONE} 报价错误")
    b.ok("note", ref, f"{NAME}又打来了")  # a joined desk seals by the shop's rule too
    assert database_holds(settings, "报价错误") is False
    assert database_holds(settings, "又打来了") is False
    assert b.show(ref)["notes"][0]["text"] == f"{NAME}又打来了"
    b.ok("list")  # B's cache now holds him

    out = a.json("forget", PHONE, "--yes", actor=MANAGER)
    assert {"kind": "other-desks"} in out["not_erased"]
    case = b.show(ref)
    assert case["summary"] == case["notes"][0]["text"] == "[forgotten]"
    assert b.json("list")[0]["customer"] == "[forgotten]"  # B rebuilt its cache on reading
    for s in SECRETS:
        assert grep(a.path, s) == [] and grep(b.path, s) == [], s
        assert database_holds(settings, s) is False, s
    assert b.json("verify")["ok"] is True


def test_forget_says_what_stays_before_it_asks(store: Store, tmp_path: Path) -> None:
    ref = store.new(**WANG)
    evidence = tmp_path / "photo.jpg"
    evidence.write_bytes(b"\xff\xd8\xff" + bytes(100))
    store.ok("attach", ref, str(evidence))
    r = store.invoke("forget", PHONE, actor=MANAGER)  # no --yes, no terminal: not confirmed
    assert r.exit_code == 2, (r.exit_code, r.stderr)
    assert f"not erased: {ref}: an attachment's content" in r.stderr
    assert store.show(ref)["customer"] == NAME  # nothing forgotten
