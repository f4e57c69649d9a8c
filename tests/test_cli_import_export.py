"""``import`` takes what ``export`` writes: an events export makes the same cases again.

Real stores in temp dirs through the real CLI: a shop's week (remedies, an
escalation, an outside party, an attachment, back-dated actions, an imported
file, a rule changed) is exported, imported into an empty store (also on
SQLite and PostgreSQL, and through standard input), compared case by case,
and imported again, which writes nothing.
"""

from __future__ import annotations

import json
import shutil
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from conftest import ADVISER, MANAGER, SERVICE_MANAGER, Store, make_store
from test_cli_business_time import ago, iso
from test_cli_read import story  # noqa: F401  (a fixture)

#: Keys of an event that are the new store's own: when it was appended, its chain hash.
OWN = ("recorded_at", "hash")


def _more(store: Store, story: dict[str, str], tmp_path: Path) -> None:  # noqa: F811
    """Beyond the read tests' story: an outside party, evidence, --at, an import, a rule."""
    c1 = story["c1"]
    store.ok("external", c1, "--party", "consumer-association", "--reference", "消协-118")
    photo = tmp_path / "damage.jpg"
    photo.write_bytes(b"\xff\xd8\xff\xe0 not really a jpeg")
    store.ok("attach", c1, str(photo), "--kind", "photo")
    t0 = ago(hours=30)
    late = store.new("--at", iso(t0), customer="赵六", contact="13600000006")
    store.ok("ack", late, "--at", iso(t0 + timedelta(hours=2)))
    store.ok("note", late, "typed in from the paper log")
    rows = tmp_path / "paper.csv"
    rows.write_text(
        "customer,contact,channel,category,summary\n钱七,13500000007,walk-in,misquote,多收费\n",
        "utf-8",
    )
    store.ok("import", str(rows))
    store.ok("config", "set", "reply.hours", "12", actor=MANAGER)


def _cases(store: Store) -> list[dict[str, Any]]:
    return list(store.json("list"))


def _log(store: Store, *args: str, settings: bool = True) -> list[dict[str, Any]]:
    """The log without the new store's own keys (and positions, which a store that
    started with settings of its own shifts), optionally without the settings events."""
    lines = [json.loads(x) for x in store.ok("log", *args).stdout.splitlines()]
    return [
        {k: v for k, v in e.items() if k not in (*OWN, "position")}
        for e in lines
        if settings or not e["topic"].startswith("complaints:Setting")
    ]


def _same_store(source: Store, target: Store, settings: bool = True) -> None:
    cases = _cases(source)
    assert cases and _cases(target) == cases
    for case in cases:
        assert target.show(case["ref"]) == source.show(case["ref"])
        assert [{k: v for k, v in e.items() if k not in (*OWN, "position")} for e in target.json(
            "history", case["ref"]
        )] == [{k: v for k, v in e.items() if k not in (*OWN, "position")} for e in source.json(
            "history", case["ref"]
        )]  # fmt: skip
    assert _log(target, settings=settings) == _log(source, settings=settings)
    window = ("--since", iso(ago(hours=31)), "--until", iso(ago(hours=1)))
    assert _log(target, *window) == _log(source, *window)
    if settings:  # nothing before the import: the same positions too
        assert [e["position"] for e in target.json("log")] == [
            e["position"] for e in source.json("log")
        ]


@pytest.mark.parametrize("backend", ["file", "sqlite", "postgres"])
def test_an_events_export_imported_into_an_empty_store_gives_the_same_cases(
    store: Store,
    story: dict[str, str],  # noqa: F811
    tmp_path: Path,
    backend: str,
    request: pytest.FixtureRequest,
) -> None:
    _more(store, story, tmp_path)
    export = tmp_path / "events.jsonl"
    export.write_bytes(store.ok("export", "--what", "events").stdout_bytes)
    settings = dict(request.getfixturevalue("pg_schema")) if backend == "postgres" else {}
    target = make_store(tmp_path / "target", backend=backend, **settings)
    out = target.json("import", str(export), actor=MANAGER)
    assert out["kind"] == "events" and out["already_imported"] == 0
    if backend == "file":  # an empty file store holds nothing, not even the shop's settings
        assert out["imported"] == store.event_count() == target.event_count()
        assert out["settings_not_imported"] == 0
    else:  # a database store starts with the settings init recorded: those stay
        assert out["settings_not_imported"] == 2  # SettingsStarted, SettingChanged
        assert out["imported"] == store.event_count() - 2 == target.event_count() - 1
    assert sorted(c["ref"] for c in out["cases"]) == sorted(c["ref"] for c in _cases(store))
    _same_store(store, target, settings=backend == "file")
    window = ("--since", iso(ago(hours=31)), "--until", iso(ago(hours=1)))
    in_window = [e["type"] for e in _log(target, *window) if e["ref"]]
    assert in_window == ["Received", "Acknowledged"]  # back-dated, found by business time
    if backend == "file":
        reply = target.json("config", "get", "reply.hours")
        assert reply == store.json("config", "get", "reply.hours")
    # Again: recognised, nothing written twice, done (exit 0).
    before = target.event_count()
    again = target.json("import", str(export), actor=MANAGER)
    assert again["imported"] == 0 and again["already_imported"] == out["imported"]
    assert again["cases"] == [] and len(again["existing"]) == len(out["cases"])
    assert target.event_count() == before
    _same_store(store, target, settings=backend == "file")
    # The copy works on: numbering goes on after the imported cases; the file row is known.
    nxt = target.new(customer="孙八", contact="13400000008")
    assert nxt > max(c["ref"] for c in _cases(store))
    paper = tmp_path / "paper.csv"
    assert target.json("import", str(paper))["already_imported"] == 1
    # The export names the attached photo, it does not carry it: verify says so until the
    # file is copied over from the source's folder (into any backend), checked by its hash.
    assert len(out["attachments_not_carried"]) == 1 and out["attachments_copied"] == 0
    assert target.invoke("verify").exit_code == 6
    folder = tmp_path / "evidence"
    shutil.copytree(store.path / "attachments", folder)
    filled = target.json("import", str(export), "--attachments", str(folder), actor=MANAGER)
    assert filled["imported"] == 0 and filled["attachments_copied"] == 1
    assert filled["attachments_not_carried"] == []
    assert target.invoke("verify").exit_code == 0


def test_import_reads_standard_input_json_and_jsonl(
    store: Store,
    story: dict[str, str],  # noqa: F811
    tmp_path: Path,
) -> None:
    events = store.ok("export", "--what", "events", "--format", "json").stdout
    target = make_store(tmp_path / "copy")
    r = target.ok("import", "-", actor=MANAGER, input=events)
    assert r.stdout.split() == [story[k] for k in ("c1", "c2", "c3", "c4")]
    assert "already in the store" in r.stderr and "attached" not in r.stderr
    _same_store(store, target)
    lines = store.ok("export", "--what", "events").stdout
    again = json.loads(target.ok("import", "-", "--json", actor=MANAGER, input=lines).stdout)
    assert again["imported"] == 0
    # A cases file through standard input, as ever: JSON Lines or CSV, sniffed.
    row = {"customer": "周九", "contact": "13300000009", "channel": "phone",
           "category": "misquote", "summary": "电话里报错价"}  # fmt: skip
    out = json.loads(target.ok("import", "-", "--json", input=json.dumps(row) + "\n").stdout)
    assert out["imported"] == 1 and target.show(out["cases"][0]["ref"])["customer"] == "周九"
    csv = "customer,contact,channel,category,summary\n吴十,13200000010,walk-in,misquote,少找零\n"
    out = json.loads(target.ok("import", "-", "--json", input=csv).stdout)
    assert out["imported"] == 1


def test_an_events_export_into_a_store_with_other_cases_is_refused(
    store: Store, tmp_path: Path
) -> None:
    store.new()
    events = store.ok("export", "--what", "events").stdout
    other = make_store(tmp_path / "other")
    other.new(customer="别家", contact="13100000011")
    before = other.event_count()
    r = other.invoke("import", "-", actor=MANAGER, input=events)
    assert r.exit_code == 4 and "import-events-into-empty" in r.stderr, r.stderr
    assert other.event_count() == before
    # Only a manager brings a store's history in.
    empty = make_store(tmp_path / "empty")
    for actor in (ADVISER, SERVICE_MANAGER):
        r = empty.invoke("import", "-", actor=actor, input=events)
        assert r.exit_code == 4 and "import-events-needs-manager" in r.stderr, r.stderr
    assert empty.event_count() == 0


def test_bad_event_lines_are_named_and_nothing_is_written(store: Store, tmp_path: Path) -> None:
    ref = store.new()
    store.ok("ack", ref)
    lines = store.ok("export", "--what", "events").stdout.splitlines()
    target = make_store(tmp_path / "copy")
    unknown = json.loads(lines[-1]) | {"topic": "complaints:NoSuchThing"}
    broken = [*lines[:-1], json.dumps(unknown)]
    bad = json.loads(lines[-1]) | {"occurred_at": "yesterday-ish"}
    for text, problem in (
        ("\n".join(broken), "unknown event topic"),
        ("\n".join([*lines[:-1], json.dumps(bad)]), "occurred_at"),
        ("\n".join(lines[-1:]), "follows version 0"),  # a part of an export
    ):
        r = target.invoke("import", "-", actor=MANAGER, input=text + "\n")
        assert r.exit_code in (2, 4) and problem in r.stderr, (r.exit_code, r.stderr)
        assert target.event_count() == 0


def test_a_cases_export_is_named_and_refused(store: Store, tmp_path: Path) -> None:
    """A cases export is state, not history: refused (exit 2), pointing to the events."""
    store.new()
    target = make_store(tmp_path / "copy")
    for fmt in ("jsonl", "csv"):
        cases = store.ok("export", "--format", fmt).stdout
        r = target.invoke("import", "-", "--format", fmt, actor=MANAGER, input=cases)
        assert r.exit_code == 2 and "export --what events" in r.stderr, r.stderr
        assert target.event_count() == 0
    events_csv = store.ok("export", "--what", "events", "--format", "csv").stdout
    r = target.invoke("import", "-", actor=MANAGER, input=events_csv)
    assert r.exit_code == 2 and "JSON Lines" in r.stderr, r.stderr
    # What `log --head` writes imports too: its head line is the source's, not an event.
    out = json.loads(
        target.ok(
            "import", "-", "--json", actor=MANAGER, input=store.ok("log", "--head").stdout
        ).stdout
    )
    assert out["imported"] == store.event_count() == target.event_count()


def test_attachments_are_taken_only_by_their_hash(store: Store, tmp_path: Path) -> None:
    ref = store.new()
    photo = tmp_path / "photo.jpg"
    photo.write_bytes(b"the real photo")
    store.ok("attach", ref, str(photo))
    events = store.ok("export", "--what", "events").stdout
    sha = json.loads(events.splitlines()[-1])["data"]["sha256"]
    fake = tmp_path / "fake"
    fake.mkdir()
    (fake / sha).write_bytes(b"not the photo")  # the right name, other content
    target = make_store(tmp_path / "copy")
    out = json.loads(
        target.ok("import", "-", "--json", "--attachments", str(fake), actor=MANAGER,
                  input=events).stdout
    )  # fmt: skip
    assert out["attachments_copied"] == 0 and out["attachments_not_carried"] == [sha]
    assert not any((target.path / "attachments").rglob(sha))
    r = target.invoke("import", "-", actor=MANAGER, input=events)
    assert "--attachments" in r.stderr  # the warning says how
    # --attachments with a cases file: refused before anything is written.
    rows = "customer,contact,channel,category,summary\n周九,13300000009,phone,misquote,x\n"
    before = target.event_count()
    r = target.invoke("import", "-", "--attachments", str(fake), input=rows)
    assert r.exit_code == 2 and "not an events export" in r.stderr
    assert target.event_count() == before


def test_an_events_file_on_disk_is_checked_whole_before_a_line_is_written(
    store: Store, tmp_path: Path
) -> None:
    """A file on disk is read line by line, twice (checked, then written): a repeated line
    is named with the line it repeats, lines out of order conflict, and either writes
    nothing, also where the bad line comes after more than a batch of good ones."""
    refs = [store.new() for _ in range(3)]
    store.ok("ack", refs[0])
    lines = store.ok("export", "--what", "events").stdout.splitlines()
    target = make_store(tmp_path / "copy")
    path = tmp_path / "events.jsonl"
    repeated = [*lines, lines[2]]
    last = max(range(len(lines)), key=lambda i: json.loads(lines[i])["version"])
    oid = json.loads(lines[last])["originator_id"]
    before = max(i for i in range(last) if json.loads(lines[i])["originator_id"] == oid)
    swapped = list(lines)  # an aggregate's last event before the one it follows
    swapped[before], swapped[last] = lines[last], lines[before]
    for text, code, problem in (
        (repeated, 2, f"line {len(lines) + 1}: version"),
        (repeated, 2, "again (line 3)"),
        (swapped, 4, "follows version"),
    ):
        path.write_text("\n".join(text) + "\n", "utf-8")
        r = target.invoke("import", str(path), "--batch-size", "1", actor=MANAGER)
        assert r.exit_code == code and problem in r.stderr, (r.exit_code, r.stderr)
        assert target.event_count() == 0
    path.write_text("\ufeff" + "\n".join(lines) + "\n", "utf-8")  # a byte-order mark too
    out = json.loads(
        target.ok("import", str(path), "--json", "--batch-size", "2", actor=MANAGER).stdout
    )
    assert out["imported"] == len(lines) == target.event_count()
    assert sorted(c["ref"] for c in out["cases"]) == sorted(refs)
    again = json.loads(target.ok("import", str(path), "--json", actor=MANAGER).stdout)
    assert again["imported"] == 0 and again["already_imported"] == len(lines)
    assert sorted(c["ref"] for c in again["existing"]) == sorted(refs)
    assert _cases(target) == _cases(store)
