"""Privacy through the real CLI (issue 6, "Privacy"): forgetting a customer,
file permissions, encryption at rest, retention.

Stories from DOMAIN.md: 王先生 complained about a misquoted blower motor,
李女士 about a booked room given away; 王先生 later asks to be forgotten.
"""

from __future__ import annotations

import json
import os
import stat
import tomllib
from pathlib import Path
from typing import Any

import pytest
import tomli_w
from conftest import ADVISER, DIRECTOR, MANAGER, Store, make_store, run_cli

WANG = {"customer": "王先生", "contact": "13800000000", "account": "粤B-12345"}
LI = {"customer": "李女士", "contact": "li@example.com"}


def edit_config(store: Store, change: Any) -> None:
    path = store.path / "complaintctl.toml"
    data = tomllib.loads(path.read_text("utf-8"))
    change(data)
    path.write_text(tomli_w.dumps(data), "utf-8")


def store_bytes(store: Store) -> bytes:
    """Every byte of every file under the store directory."""
    return b"".join(p.read_bytes() for p in sorted(store.path.rglob("*")) if p.is_file())


def closed(store: Store, **fields: str) -> str:
    ref = store.new(**fields)
    store.ok("resolve", ref, "--summary", "按原报价维修")
    store.ok("close", ref)
    return ref


# -- forget: crypto-shredding one customer ------------------------------------------------


def test_personal_fields_never_reach_the_log_in_plain_text(store: Store) -> None:
    ref = store.new(**WANG)
    case = store.show(ref)
    assert (case["customer"], case["contact"], case["account"]) == tuple(WANG.values())
    log = (store.path / "events.jsonl").read_bytes()
    for value in WANG.values():
        assert value.encode() not in log
    assert b'"_type_":"personal"' in log
    # Not even the customer file's key (made from the account number) is plain.
    assert "".join(WANG["account"].split()).casefold().encode() not in log


def test_forget_a_customer_everything_still_works(store: Store) -> None:
    wang = closed(store, **WANG)
    store.ok("note", wang, "客户要求删除个人信息")
    li = store.new(**LI)
    store.ok("escalate", li, "--tier", "2", "--reason", "客户威胁投诉到消协")
    assert store.json("customer", WANG["contact"])["customers"][0]["cases"] == 1

    out = store.json("forget", WANG["contact"], "--yes", actor=MANAGER)
    assert [f["cases"] for f in out["forgotten"]] == [[wang]]
    assert out["forgotten"][0]["key_deleted"] is True

    case = store.show(wang)
    assert case["customer"] == case["contact"] == case["account"] == "[forgotten]"
    # The free text of their case went with the key (issue 13: [privacy] seal_free_text).
    assert case["status"] == "closed" and case["notes"][0]["text"] == "[forgotten]"
    assert store.show(li)["customer"] == "李女士"  # the other customer is untouched
    received = store.json("history", wang)[0]["data"]
    assert received["customer"] == "[forgotten]" and received["summary"] == "[forgotten]"
    listed = {c["ref"]: c for c in store.json("list")}
    assert listed[wang]["contact"] == "[forgotten]" and listed[li]["contact"] == LI["contact"]
    assert store.json("show", wang, "--as-of", "+1h")["customer"] == "[forgotten]"
    assert store.json("stats")
    assert store.ok("report", "daily").exit_code == 0
    assert store.ok("handover", "--shift", "day").exit_code == 0
    log = [json.loads(line) for line in store.ok("log").stdout.splitlines()]
    assert any(e["type"] == "CustomerForgotten" and e["actor"] == MANAGER for e in log)
    assert store.json("verify")["ok"] is True
    assert store.invoke("customer", WANG["contact"]).exit_code == 3
    # No file of the store holds the plain text any more: not the log, not the cache.
    everything = store_bytes(store)
    for value in WANG.values():
        assert value.encode() not in everything
    assert LI["customer"].encode() in everything  # the cache still shows the other one
    # A fresh process, with no cache in memory, reads the same.
    fresh = run_cli(store.path, "show", wang, "--json")
    assert json.loads(fresh.stdout)["contact"] == "[forgotten]"


def test_after_forget_the_others_read_in_plain_text_every_way(store: Store) -> None:
    """The cache is rebuilt (on two processes where there are two cores): all still open."""
    names = [f"客户{i}" for i in range(8)]
    for i, name in enumerate(names):
        store.new(customer=name, contact=f"1390000000{i}")
    store.ok("forget", "客户3", "--yes", actor=MANAGER)
    listed = [c["customer"] for c in store.json("list")]
    assert listed == [n if n != "客户3" else "[forgotten]" for n in names]
    store.ok("rebuild")
    assert [c["customer"] for c in store.json("list")] == listed
    log = store.ok("log").stdout
    assert "[encrypted]" not in log and "客户5" in log and "客户3" not in log


def test_a_forgotten_customer_who_comes_back_is_a_new_record(store: Store) -> None:
    old = store.new(**WANG)
    store.ok("forget", WANG["customer"], "--yes", actor=MANAGER)
    again = store.new(**WANG)
    assert store.show(again)["contact"] == WANG["contact"]
    assert store.show(old)["contact"] == "[forgotten]"
    found = store.json("customer", WANG["contact"])
    assert [c["ref"] for c in found["cases"]] == [again]


def test_forget_two_customers_prints_a_line_for_each(store: Store) -> None:
    a = store.new(contact="13800000001")
    b = store.new(contact="13800000002")  # the same name, another customer
    out = store.ok("forget", "王先生", "--yes", actor=MANAGER).stdout
    lines = out.splitlines()
    assert len(lines) == 2 and "\\x0a" not in out
    assert {line.rsplit(" ", 1)[-1] for line in lines} == {a, b}


def test_forget_asks_and_refuses(store: Store) -> None:
    store.new(**WANG)
    store.refused("forget", WANG["contact"], "--yes", rule="forget-needs-manager", actor=DIRECTOR)
    r = store.invoke("forget", WANG["contact"], actor=MANAGER)  # no terminal, no --yes
    assert r.exit_code == 2 and "--yes" in r.stderr
    assert "王先生" in r.stderr  # it said what it would forget
    assert r.stdout == ""
    assert store.invoke("forget", "nobody", "--yes", actor=MANAGER).exit_code == 3
    cases = store.json("list")
    assert cases[0]["customer"] == "王先生"


def test_a_plain_text_store_cannot_forget(tmp_path: Path) -> None:
    store = make_store(tmp_path / "plain")
    edit_config(store, lambda d: d.pop("privacy"))
    ref = store.new(**LI)
    assert LI["contact"].encode() in (store.path / "events.jsonl").read_bytes()
    assert not (store.path / "keys").exists()
    assert store.show(ref)["contact"] == LI["contact"]
    store.refused("forget", LI["contact"], "--yes", actor=MANAGER, rule="forget-needs-sealed-data")
    # Switched on later: what is already in the log stays plain and is not claimed forgotten.
    edit_config(store, lambda d: d.__setitem__("privacy", {"encrypt_personal": True}))
    later = store.new(**WANG)
    r = store.refused(
        "forget", LI["contact"], "--yes", actor=MANAGER, rule="forget-needs-sealed-data"
    )
    assert "plain text" in r.stderr
    store.ok("forget", WANG["contact"], "--yes", actor=MANAGER)
    assert store.show(later)["contact"] == "[forgotten]"
    assert store.show(ref)["contact"] == LI["contact"]


# -- permissions ----------------------------------------------------------------------------


def modes(root: Path) -> dict[str, int]:
    out = {".": stat.S_IMODE(root.stat().st_mode)}
    for p in root.rglob("*"):
        out[str(p.relative_to(root))] = stat.S_IMODE(p.stat().st_mode)
    return out


@pytest.mark.parametrize("backend", ["file", "sqlite"])
def test_the_store_is_for_its_owner_only(tmp_path: Path, backend: str) -> None:
    old = os.umask(0o022)  # a usual shell's umask: the CLI must not rely on the caller's
    try:
        store = make_store(tmp_path / "store", backend=backend)
        ref = store.new(**WANG)
        evidence = tmp_path / "recording.txt"
        evidence.write_text("录音", "utf-8")
        store.ok("attach", ref, str(evidence), "--kind", "recording")
        store.ok("note", ref, "已致电")
        store.ok("list")
        store.ok("export", "--redact")
        store.new(**LI)
        store.ok("forget", LI["contact"], "--yes", actor=MANAGER)
    finally:
        os.umask(old)
    found = modes(store.path)
    assert any(name.startswith("cache/") for name in found)
    if backend == "file":
        assert any(name.startswith("keys/") for name in found)
    if backend == "sqlite":  # keys and attachments are in the database file
        assert "events.sqlite" in found
    bad = {
        name: oct(mode)
        for name, mode in found.items()
        if mode != (0o700 if (store.path / name).is_dir() else 0o600)
    }
    assert bad == {}


# -- encryption at rest -----------------------------------------------------------------------


def encrypted_store(tmp_path: Path) -> Store:
    store = make_store(tmp_path / "store")
    edit_config(store, lambda d: d["store"].__setitem__("encrypt", True))
    return store


def test_encryption_at_rest_needs_a_key_and_never_from_the_config(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = encrypted_store(tmp_path)
    r = store.invoke("list")
    assert r.exit_code == 2 and "COMPLAINTCTL_CIPHER_KEY" in r.stderr
    monkeypatch.setenv("COMPLAINTCTL_CIPHER_KEY", "bm90IGEga2V5")
    r = store.invoke("list")
    assert r.exit_code == 2 and "cipher key" in r.stderr and "bm90" not in r.stderr
    monkeypatch.setenv("COMPLAINTCTL_CIPHER_KEY", store.json("keygen")["key"])
    store.ok("list")  # an empty store opens with any key
    store.new(**LI)
    monkeypatch.setenv("COMPLAINTCTL_CIPHER_KEY", store.json("keygen")["key"])
    r = store.invoke("list")
    assert r.exit_code == 2 and "does not open this store" in r.stderr
    for table, name in (("store", "cipher_key"), ("privacy", "key"), ("store", "key")):
        edit_config(store, lambda d, t=table, n=name: d.setdefault(t, {}).__setitem__(n, "x"))
        r = store.invoke("list")
        assert r.exit_code == 2 and f"{table}.{name}" in r.stderr, r.stderr
        edit_config(store, lambda d, t=table, n=name: d[t].pop(n))


def test_an_encrypted_store_works_for_every_command(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = encrypted_store(tmp_path)
    key = store.json("keygen")["key"]
    monkeypatch.setenv("COMPLAINTCTL_CIPHER_KEY", key)
    wang = closed(store, **WANG)
    li = store.new(**LI, summary="包间被他人占用")
    store.ok("note", li, "客户要求打折")
    lines = [json.loads(x) for x in (store.path / "events.jsonl").read_text().splitlines()]
    assert lines and all("data_b64" in x and "data" not in x for x in lines if "position" in x)
    assert "包间".encode() not in (store.path / "events.jsonl").read_bytes()

    assert store.show(li)["summary"] == "包间被他人占用"
    assert [e["type"] for e in store.json("history", li)] == ["Received", "Noted"]
    assert {c["ref"] for c in store.json("list")} == {wang, li}
    assert store.json("stats")
    assert store.ok("report", "daily").exit_code == 0
    assert len(store.ok("log").stdout.splitlines()) == store.event_count()
    assert store.json("verify")["ok"] is True
    store.ok("forget", WANG["contact"], "--yes", actor=MANAGER)
    assert store.show(wang)["customer"] == "[forgotten]"

    # The same key from a file (flag or COMPLAINTCTL_KEY_FILE), in a fresh process.
    monkeypatch.delenv("COMPLAINTCTL_CIPHER_KEY")
    key_file = tmp_path / "store.key"
    store.ok("keygen", "--out", str(key_file))
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    key_file.write_text(key + "\n")
    monkeypatch.setenv("COMPLAINTCTL_KEY_FILE", str(key_file))
    assert store.show(li)["customer"] == "李女士"
    fresh = run_cli(store.path, "--key-file", str(key_file), "show", li, "--json")
    assert fresh.returncode == 0, fresh.stderr
    assert json.loads(fresh.stdout)["customer"] == "李女士"


# -- retention ------------------------------------------------------------------------------


def test_purge_candidates_lists_cases_closed_past_retention(store: Store) -> None:
    old = closed(store, **WANG)
    store.new(**LI)  # still open: never a candidate
    assert store.json("purge-candidates", "--older-than", "30", "--as-of", "+29d") == []
    found = store.json("purge-candidates", "--older-than", "30", "--as-of", "+31d")
    assert [(c["ref"], c["status"], c["days_closed"]) for c in found] == [(old, "closed", 31)]
    assert found[0]["customer"] == "王先生"
    # The default period is the config's [privacy] retention_days (init: 1095).
    assert store.json("purge-candidates", "--as-of", "+1000d") == []
    assert [c["ref"] for c in store.json("purge-candidates", "--as-of", "+1096d")] == [old]
    store.ok("archive", old)
    found = store.json("purge-candidates", "--older-than", "0", "--as-of", "+1h")
    assert found[0]["status"] == "archived"
    text = store.ok("purge-candidates", "--older-than", "0", "--as-of", "+1h").stdout
    assert old in text
    edit_config(store, lambda d: d["privacy"].pop("retention_days"))
    r = store.invoke("purge-candidates")
    assert r.exit_code == 2 and "retention_days" in r.stderr


def test_retention_days_is_checked(store: Store) -> None:
    edit_config(store, lambda d: d["privacy"].__setitem__("retention_days", "forever"))
    r = store.invoke("purge-candidates", actor=ADVISER)
    assert r.exit_code == 2 and "privacy.retention_days" in r.stderr


def test_a_file_store_copy_takes_the_keys_along(store: Store, tmp_path: Path) -> None:
    ref = store.new(**WANG)
    copy = tmp_path / "copy"
    store.ok("migrate", "--to", "file", "--target", str(copy), actor=MANAGER)
    (copy / "complaintctl.toml").write_bytes((store.path / "complaintctl.toml").read_bytes())
    assert Store(copy).show(ref)["contact"] == WANG["contact"]
    assert all(
        stat.S_IMODE(p.stat().st_mode) == (0o700 if p.is_dir() else 0o600)
        for p in (copy / "keys").rglob("*")
    )


def test_forget_on_every_backend(any_store: Store) -> None:
    """With SQLite or PostgreSQL events and keys are in the database, else in the store dir."""
    ref = any_store.new(**WANG)
    other = any_store.new(**LI)
    assert any_store.show(ref)["contact"] == WANG["contact"]
    backend = tomllib.loads((any_store.path / "complaintctl.toml").read_text("utf-8"))["store"]
    local_keys = (any_store.path / "keys" / "keys.sqlite").exists()
    assert local_keys == (backend.get("backend", "file") == "file")
    any_store.ok("forget", WANG["customer"], "--yes", actor=MANAGER)
    assert any_store.show(ref)["contact"] == "[forgotten]"
    assert any_store.json("history", ref)[0]["data"]["account"] == "[forgotten]"
    listed = {c["ref"]: c["customer"] for c in any_store.json("list")}
    assert listed == {ref: "[forgotten]", other: LI["customer"]}
    assert any_store.json("verify")["ok"] is True


def test_an_encrypted_store_migrates_to_sqlite(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """migrate copies the encrypted payloads as they are: the copy needs the same key."""
    store = encrypted_store(tmp_path)
    key_file = tmp_path / "store.key"
    store.ok("keygen", "--out", str(key_file))
    monkeypatch.setenv("COMPLAINTCTL_KEY_FILE", str(key_file))
    ref = store.new(**WANG)
    target = tmp_path / "copy.sqlite"
    store.ok("migrate", "--to", "sqlite", "--target", str(target), actor=MANAGER)
    edit_config(
        store,
        lambda d: d["store"].update(backend="sqlite", sqlite_dbname=str(target)),
    )
    case = store.show(ref)
    assert case["contact"] == WANG["contact"] and case["status"] == "received"
    assert WANG["customer"].encode() not in target.read_bytes()
