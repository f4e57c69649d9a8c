"""Tamper evidence an auditor can use (issue 13): the head, ``--expect``, contiguous
versions and the case counter, attacked on a real store in fresh processes."""

from __future__ import annotations

import hashlib
import json
import shutil
import sqlite3
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from conftest import MANAGER, Store, make_store, run_cli

from complaintctl import config as configuration
from complaintctl.app import open_app
from events.numbering import counter_id


def _head(store: Store) -> dict[str, Any]:
    r = run_cli(store.path, "verify", "--json")
    assert r.returncode == 0, (r.stdout, r.stderr)
    head: dict[str, Any] = json.loads(r.stdout)["head"]
    return head


def _anchor(head: dict[str, Any]) -> str:
    return f"{head['position']}:{head['hash']}"


def test_verify_log_and_export_end_with_the_same_head(any_store: Store) -> None:
    ref = any_store.new()
    any_store.ok("note", ref, "客户来电")
    head = _head(any_store)
    assert head["position"] == any_store.event_count() and len(head["hash"]) == 64
    assert _anchor(head) in run_cli(any_store.path, "verify").stdout
    log = run_cli(any_store.path, "log").stdout.splitlines()
    last = json.loads(log[-1])
    assert {"position": last["position"], "hash": last["hash"]} == head
    with_head = run_cli(any_store.path, "log", "--head", "--since", "2000-01-01T00:00",
                        "--until", "2000-01-02T00:00").stdout.splitlines()  # fmt: skip
    assert [json.loads(line) for line in with_head] == [{"head": head}]  # filtered: head only
    export = run_cli(any_store.path, "export", "--what", "events").stdout.splitlines()
    last = json.loads(export[-1])
    assert {"position": last["position"], "hash": last["hash"]} == head
    assert run_cli(any_store.path, "log", "--head", "--json").returncode == 2


def test_expect_holds_while_the_log_grows_and_fails_once_it_is_cut(any_store: Store) -> None:
    ref = any_store.new()
    anchor = _anchor(_head(any_store))
    any_store.ok("note", ref, "追加")
    r = run_cli(any_store.path, "verify", "--expect", anchor)
    assert r.returncode == 0 and "still in the log" in r.stdout
    wrong = anchor[:-1] + ("0" if anchor[-1] != "0" else "1")
    r = run_cli(any_store.path, "verify", "--expect", wrong, "--json")
    assert r.returncode == 6, r.stderr
    assert json.loads(r.stdout)["expected"]["ok"] is False
    assert run_cli(any_store.path, "verify", "--expect", "12:abc").returncode == 2


def test_a_file_log_cut_short_at_a_commit_passes_the_chain_but_not_the_expect(
    store: Store,
) -> None:
    ref = store.new()
    store.ok("note", ref, "一")
    anchor = _anchor(_head(store))
    log = store.path / "events.jsonl"
    lines = log.read_bytes().splitlines(keepends=True)
    log.write_bytes(b"".join(lines[:-1]))  # the note, a batch of one line, cut off
    assert run_cli(store.path, "verify").returncode == 0  # the chain alone cannot tell
    r = run_cli(store.path, "verify", "--expect", anchor)
    assert r.returncode == 6 and "NOT in the log" in r.stdout


def _rechain(path: Path, drop: int) -> None:
    """Cut line ``drop`` (0-based) out of events.jsonl, renumber, recompute the chain."""
    prev = "0" * 64
    out = []
    position = 0
    for n, raw in enumerate(path.read_bytes().splitlines()):
        if n == drop:
            continue
        rec = json.loads(raw)
        body = raw.replace(b',"hash":"' + rec["hash"].encode() + b'"', b"", 1)
        if "position" in rec:
            position += 1
            body = body.replace(
                b'{"position":' + str(rec["position"]).encode() + b",",
                b'{"position":' + str(position).encode() + b",",
                1,
            )
        h = hashlib.sha256(prev.encode() + body).hexdigest()
        at = body.find(b',"data"')
        at = at if at >= 0 else len(body) - 1
        out.append(body[:at] + b',"hash":"' + h.encode() + b'"' + body[at:] + b"\n")
        prev = h
    path.write_bytes(b"".join(out))
    for stale in path.parent.glob("events.jsonl.index*"):
        stale.unlink()
    shutil.rmtree(path.parent / "cache", ignore_errors=True)


def test_an_event_cut_out_of_a_case_with_the_chain_recomputed_fails_naming_the_case(
    store: Store,
) -> None:
    ref = store.new()
    store.ok("note", ref, "一")
    store.ok("note", ref, "二")
    log = store.path / "events.jsonl"
    lines = log.read_bytes().splitlines()
    first_note = next(i for i, line in enumerate(lines) if b"Noted" in line)
    _rechain(log, first_note)
    r = run_cli(store.path, "verify", "--json")
    assert r.returncode == 6, (r.stdout, r.stderr)
    report = json.loads(r.stdout)
    assert all(f["ok"] for f in report["logs"])  # the chain itself is intact
    gaps = [p for p in report["problems"] if p["problem"] == "version-gap"]
    assert [g["ref"] for g in gaps] == [ref]
    assert ref in run_cli(store.path, "verify").stdout


def test_sqlite_verify_checks_the_database_itself(tmp_path: Path) -> None:
    store = make_store(tmp_path / "store", backend="sqlite")
    ref = store.new()
    store.ok("note", ref, "一")
    store.ok("note", ref, "二")
    report = json.loads(run_cli(store.path, "verify", "--json").stdout)
    assert report["ok"] is True and len(report["digest"]) == 64
    db = sqlite3.connect(store.path / "events.sqlite")
    with db:
        db.execute(
            "DELETE FROM stored_events WHERE rowid = (SELECT min(rowid) FROM stored_events"
            " WHERE topic = 'complaints:Noted')"
        )
    db.close()
    r = run_cli(store.path, "verify", "--json")
    assert r.returncode == 6, (r.stdout, r.stderr)
    gaps = [p for p in json.loads(r.stdout)["problems"] if p["problem"] == "version-gap"]
    assert [g["ref"] for g in gaps] == [ref]
    for args in (("show", ref), ("note", ref, "三")):  # history still lists what is there
        r = run_cli(store.path, *args)
        assert r.returncode == 6 and "damaged" in r.stderr, (args, r.returncode, r.stderr)


def test_sqlite_unreadable_event_exits_6(tmp_path: Path) -> None:
    store = make_store(tmp_path / "store", backend="sqlite")
    ref = store.new()
    db = sqlite3.connect(store.path / "events.sqlite")
    with db:
        db.execute("UPDATE stored_events SET state = X'00ff' WHERE topic = 'complaints:Received'")
    db.close()
    r = run_cli(store.path, "verify")
    assert r.returncode == 6, (r.stdout, r.stderr)
    r = run_cli(store.path, "show", ref)
    assert r.returncode == 6, (r.stdout, r.stderr)


@pytest.mark.parametrize("backend", ["file", "sqlite"])
def test_a_rewritten_counter_snapshot_is_reported(tmp_path: Path, backend: str) -> None:
    store = make_store(tmp_path / "store", backend=backend)
    store.new()
    store.new(contact="13900000000")
    cfg = configuration.load(store.path / configuration.CONFIG_NAME)
    app = open_app(store.path, policy=cfg.policy, backend=cfg.backend, settings=cfg.store)
    try:
        app.take_snapshot(counter_id(datetime.now(UTC).year))
    finally:
        app.close()
    assert run_cli(store.path, "verify").returncode == 0
    if backend == "sqlite":
        db = sqlite3.connect(store.path / "events.sqlite")
        with db:
            (state,) = db.execute("SELECT state FROM stored_snapshots").fetchone()
            assert b'"last":2' in state
            db.execute("UPDATE stored_snapshots SET state = ?", (state.replace(b'"last":2',
                       b'"last":0'),))  # fmt: skip
        db.close()
    else:
        path = store.path / "snapshots.jsonl"
        raw = path.read_bytes()
        assert b'"last":2' in raw
        _rechain_snapshots(path, raw.replace(b'"last":2', b'"last":0'))
    r = run_cli(store.path, "verify", "--json", actor=MANAGER)
    assert r.returncode == 6, (r.stdout, r.stderr)
    problems = json.loads(r.stdout)["problems"]
    assert [p["problem"] for p in problems] == ["counter-mismatch"]
    assert "counter" in run_cli(store.path, "verify").stdout


def _rechain_snapshots(path: Path, text: bytes) -> None:
    prev = "0" * 64
    out = []
    for raw in text.splitlines():
        rec = json.loads(raw)
        body = raw.replace(b',"hash":"' + rec["hash"].encode() + b'"', b"", 1)
        h = hashlib.sha256(prev.encode() + body).hexdigest()
        at = body.find(b',"data"')
        at = at if at >= 0 else len(body) - 1
        out.append(body[:at] + b',"hash":"' + h.encode() + b'"' + body[at:] + b"\n")
        prev = h
    path.write_bytes(b"".join(out))
    for stale in path.parent.glob("snapshots.jsonl.index*"):
        stale.unlink()
