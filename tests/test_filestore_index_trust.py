"""Reads nobody can fool (issue 13): the file store's index is checked, never trusted
blindly. Attacked through the real CLI, in fresh processes, on a real store."""

from __future__ import annotations

import json
import sqlite3

from conftest import MANAGER, Store, run_cli


def _index(store: Store) -> sqlite3.Connection:
    return sqlite3.connect(store.path / "events.index.sqlite", isolation_level=None)


def _oid(store: Store, ref: str) -> str:
    history = json.loads(run_cli(store.path, "history", ref, "--json").stdout)
    oid: str = history[0]["originator_id"]
    return oid


def test_a_row_pointed_at_another_cases_line_never_shows_that_case(store: Store) -> None:
    _plain_text(store)
    one = store.new(customer="甲", summary="第一件")
    two = store.new(customer="乙", contact="13900000001", summary="第二件")
    a, b = _oid(store, one), _oid(store, two)
    db = _index(store)
    target = db.execute(
        "SELECT offset, length FROM events WHERE originator_id = ? AND version = 1", (b,)
    ).fetchone()
    db.execute(
        "UPDATE events SET offset = ?, length = ? WHERE originator_id = ? AND version = 1",
        (*target, a),
    )
    db.close()
    r = run_cli(store.path, "show", one, "--json")
    if r.returncode == 0:  # the index was rebuilt (with a warning): case 1 as it is
        case = json.loads(r.stdout)
        assert case["ref"] == one and case["summary"] == "第一件", case
        assert "index" in r.stderr
    else:
        assert r.returncode == 6, (r.returncode, r.stderr)
    assert "第二件" not in r.stdout
    assert run_cli(store.path, "verify").returncode == 0


def test_a_deleted_index_row_cannot_make_a_writer_record_a_version_twice(
    store: Store,
) -> None:
    ref = store.new()
    store.ok("note", ref, "一")
    store.ok("note", ref, "二")
    oid = _oid(store, ref)
    db = _index(store)
    db.execute(
        "DELETE FROM events WHERE originator_id = ?"
        " AND version = (SELECT max(version) FROM events WHERE originator_id = ?)",
        (oid, oid),
    )
    db.close()
    r = run_cli(store.path, "note", ref, "三")
    assert r.returncode in (0, 5), (r.returncode, r.stderr)
    report = json.loads(run_cli(store.path, "verify", "--json").stdout)
    assert report["ok"] is True, report
    history = json.loads(run_cli(store.path, "history", ref, "--json").stdout)
    versions = [e["version"] for e in history]
    assert versions == list(range(1, len(versions) + 1))
    texts = [e["data"].get("text") for e in history if e["type"] == "Noted"]
    assert texts[:2] == ["一", "二"]
    if r.returncode == 0:
        assert texts == ["一", "二", "三"]


def test_an_index_emptied_by_hand_is_rebuilt_by_the_next_write(store: Store) -> None:
    ref = store.new()
    store.ok("note", ref, "一")
    db = _index(store)
    db.execute("DELETE FROM events")
    db.close()
    r = run_cli(store.path, "note", ref, "二")
    assert r.returncode == 0 and "lacks rows" in r.stderr, r.stderr
    texts = [e["data"].get("text") for e in json.loads(
        run_cli(store.path, "history", ref, "--json").stdout) if e["type"] == "Noted"]  # fmt: skip
    assert texts == ["一", "二"]
    assert run_cli(store.path, "verify").returncode == 0


def _plain_text(store: Store) -> None:
    """Free text in plain text (as before issue 13), so a test can find a summary's bytes."""
    store.ok("config", "set", "privacy.seal_free_text", "false", actor=MANAGER)


def _edit_in_place(store: Store, old: str, new: str) -> None:
    """Change a committed line's payload in place (same length: every offset still holds)."""
    log = store.path / "events.jsonl"
    data = log.read_bytes()
    a, b = old.encode(), new.encode()
    assert len(a) == len(b) and data.count(a) == 1
    log.write_bytes(data.replace(a, b))


def test_a_line_changed_after_it_was_indexed_is_never_shown(store: Store) -> None:
    """The row and the line still agree on case, version and position; the line's bytes
    no longer give its hash. Read through the index, it must not pass for the case."""
    _plain_text(store)
    one = store.new(customer="甲", summary="第一件")
    two = store.new(customer="乙", contact="13900000001", summary="第二件")
    _edit_in_place(store, "第一件", "篡改件")
    r = run_cli(store.path, "show", one, "--json")
    assert r.returncode == 6, (r.returncode, r.stdout, r.stderr)
    assert "篡改件" not in r.stdout and "does not match its hash" in r.stderr, r.stderr
    assert "Traceback" not in r.stderr
    r = run_cli(store.path, "history", one, "--json")
    assert r.returncode == 6 and "篡改件" not in r.stdout, (r.returncode, r.stderr)
    r = run_cli(store.path, "show", two, "--json")  # the other case reads, with a warning
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["summary"] == "第二件"
    assert "damaged" in r.stderr
    assert run_cli(store.path, "verify").returncode == 6


def test_a_line_rewritten_with_its_own_hash_recomputed_is_caught(store: Store) -> None:
    """A forger recomputes the edited line's hash: the row recorded the old hash (and the
    next line's chain breaks): a read warns or exits 6, never shows the forgery quietly."""
    from complaintctl.filestore import lines

    _plain_text(store)
    one = store.new(customer="甲", summary="第一件")
    store.ok("note", one, "之后")
    log = store.path / "events.jsonl"
    raw = log.read_bytes().splitlines(keepends=True)
    n = next(i for i, line in enumerate(raw) if "第一件".encode() in line)
    prev = lines.decode_line(raw[n - 1][:-1]).hash if n else lines.GENESIS
    old = lines.decode_line(raw[n][:-1])
    body = old.body.replace("第一件".encode(), "篡改件".encode())
    digest = lines.chain_hash(prev, body)
    member = b',"hash":"' + digest.encode() + b'"'
    i = body.find(b',"data')
    raw[n] = body[:i] + member + body[i:] + b"\n"
    log.write_bytes(b"".join(raw))
    r = run_cli(store.path, "show", one, "--json")
    if r.returncode == 0:
        assert "damaged" in r.stderr, r.stderr  # the index was rebuilt: the chain is broken
    else:
        assert r.returncode == 6, (r.returncode, r.stderr)
    assert "rebuilding" in r.stderr, r.stderr  # the row's hash did not match: not trusted
    assert run_cli(store.path, "verify").returncode == 6
