"""The index is a cache beside the log (issue 2, point 6), and what the files look like.

The index must be checked against the log whenever it is opened, and rebuilt
when it is deleted, unreadable, or belongs to another log. Reading one
aggregate must not parse the whole log: instead of timing (which the
benchmark does), these tests count the lines the store actually decodes, by
profiling calls of the format's ``decode_line`` (``sys.setprofile``, no
patching), and show that damage elsewhere in the log does not disturb such
a read.
"""

from __future__ import annotations

import json
import os
import shutil
import stat
import sys
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import FrameType
from typing import Any

import pytest
from eventsourcing.application import Application
from eventsourcing.cipher import AESCipher
from eventsourcing.domain import Aggregate, event
from eventsourcing.persistence import Notification, StoredEvent, Tracking
from filestore_workers import TOPIC, factory, payload, save_events

from complaintctl import filestore as fs
from complaintctl.filestore.lines import decode_line

INDEX_FILES = ("events.index.sqlite", "events.index.sqlite-wal", "events.index.sqlite-shm")


class DecodeCounter:
    """Counts calls of ``filestore.lines.decode_line`` made in this thread."""

    def __init__(self) -> None:
        self.calls = 0
        self._code = decode_line.__code__

    def _profile(self, frame: FrameType, what: str, arg: Any) -> None:
        if what == "call" and frame.f_code is self._code:
            self.calls += 1

    @contextmanager
    def counting(self) -> Iterator[DecodeCounter]:
        self.calls = 0
        old = sys.getprofile()
        sys.setprofile(self._profile)
        try:
            yield self
        finally:
            sys.setprofile(old)


def fill(path: Path, aggregates: int, versions: int = 4) -> list[uuid.UUID]:
    """``aggregates`` aggregates of ``versions`` events, saved interleaved, plus tracking."""
    f = factory(path)
    try:
        rec = f.process_recorder()
        ids = [uuid.uuid4() for _ in range(aggregates)]
        nid = rec.max_tracking_id("up") or 0
        for v in range(1, versions + 1):
            batch = [StoredEvent(oid, v, TOPIC, payload(f"{oid}-{v}", 0, 1)) for oid in ids]
            for i in range(0, len(batch), 50):
                nid += 1
                rec.insert_events(batch[i : i + 50], tracking=Tracking("up", nid))
    finally:
        f.close()
    return ids


def snapshot(path: Path, ids: list[uuid.UUID]) -> dict[str, Any]:
    """Everything a reader can see, through the store's recorder."""
    f = factory(path)
    try:
        rec = f.process_recorder()
        return {
            "events": {oid: rec.select_events(oid) for oid in ids},
            "desc": {oid: rec.select_events(oid, desc=True, limit=2) for oid in ids[:5]},
            "notifications": rec.select_notifications(None, 1_000_000),
            "max": rec.max_notification_id(),
            "tracking": rec.max_tracking_id("up"),
        }
    finally:
        f.close()


def remove_index(path: Path) -> None:
    for name in INDEX_FILES:
        (path / name).unlink(missing_ok=True)


# ---------------------------------------------------------------------------
# A cache: deleted, stale, foreign, unreadable


def test_deleted_index_is_rebuilt(tmp_path: Path) -> None:
    ids = fill(tmp_path, 60)
    before = snapshot(tmp_path, ids)
    assert len(before["notifications"]) == 240
    remove_index(tmp_path)
    assert snapshot(tmp_path, ids) == before
    assert (tmp_path / "events.index.sqlite").exists()


def test_index_behind_the_log_catches_up_by_reading_only_the_new_lines(tmp_path: Path) -> None:
    """An index from an older copy of the same log (say, a writer died before updating it)."""
    ids = fill(tmp_path, 30)
    old_index = tmp_path / "old-index"
    old_index.mkdir()
    for name in INDEX_FILES:
        if (tmp_path / name).exists():
            shutil.copy(tmp_path / name, old_index / name)
    more = fill(tmp_path, 20, versions=2)
    expected = snapshot(tmp_path, ids + more)
    remove_index(tmp_path)
    for p in old_index.iterdir():
        shutil.copy(p, tmp_path / p.name)

    counter = DecodeCounter()
    f = factory(tmp_path)
    try:
        with counter.counting():
            f.process_recorder()
        # the old last line (checked), then only the 40 new events and 2 tracking lines
        assert counter.calls == 1 + 40 + 2
    finally:
        f.close()
    assert snapshot(tmp_path, ids + more) == expected


@pytest.mark.parametrize(("size_a", "size_b"), [(30, 10), (10, 30)], ids=["shorter", "longer"])
def test_log_replaced_by_another_is_detected(tmp_path: Path, size_a: int, size_b: int) -> None:
    a, b = tmp_path / "a", tmp_path / "b"
    ids_a, ids_b = fill(a, size_a), fill(b, size_b)
    expected = snapshot(b, ids_b)
    shutil.copy(b / "events.jsonl", a / "events.jsonl")  # a's index stays
    got = snapshot(a, ids_b + ids_a)
    assert got["notifications"] == expected["notifications"]
    assert all(got["events"][oid] == expected["events"][oid] for oid in ids_b)
    assert all(got["events"][oid] == [] for oid in ids_a)


def test_log_restored_from_an_older_backup_is_detected(tmp_path: Path) -> None:
    """The log is shorter than the index says (and then grows differently)."""
    ids = fill(tmp_path, 20)
    backup = (tmp_path / "events.jsonl").read_bytes()
    fill(tmp_path, 20)
    (tmp_path / "events.jsonl").write_bytes(backup)
    f = factory(tmp_path)
    try:
        rec = f.process_recorder()
        assert rec.max_notification_id() == 80
        # A write on the restored log must not collide with what the stale
        # index remembers of the lost part.
        rec.insert_events(save_events("after", [(uuid.uuid4(), 3)]))
        assert rec.max_notification_id() == 83
    finally:
        f.close()
    remove_index(tmp_path)
    assert snapshot(tmp_path, ids)["max"] == 83
    assert all(r.ok for r in fs.verify_store(tmp_path))


def test_unreadable_index_is_rebuilt(tmp_path: Path) -> None:
    ids = fill(tmp_path, 10)
    before = snapshot(tmp_path, ids)
    remove_index(tmp_path)
    (tmp_path / "events.index.sqlite").write_bytes(b"not a database, just bytes\n" * 100)
    assert snapshot(tmp_path, ids) == before


def test_index_of_another_format_is_rebuilt(tmp_path: Path) -> None:
    import sqlite3

    ids = fill(tmp_path, 10)
    before = snapshot(tmp_path, ids)
    db = sqlite3.connect(tmp_path / "events.index.sqlite")
    db.execute("UPDATE meta SET format = 999")
    db.execute("DELETE FROM events WHERE position % 2 = 0")
    db.commit()
    db.close()
    assert snapshot(tmp_path, ids) == before


# ---------------------------------------------------------------------------
# Reading one aggregate touches only its own lines


@pytest.mark.parametrize("aggregates", [10, 1000])
def test_open_and_read_one_aggregate_decodes_a_constant_number_of_lines(
    tmp_path: Path, aggregates: int
) -> None:
    """The same count on a log of 40 events and of 4,000: it does not grow with the log."""
    ids = fill(tmp_path, aggregates)
    counter = DecodeCounter()
    f = factory(tmp_path)
    try:
        with counter.counting():
            rec = f.process_recorder()
        assert counter.calls == 1  # the index is checked against the log's last line
        with counter.counting():
            events = rec.select_events(ids[aggregates // 2])
        assert [e.originator_version for e in events] == [1, 2, 3, 4]
        assert counter.calls == 4
        with counter.counting():
            rec.select_events(ids[0], gt=2)
        assert counter.calls == 2
    finally:
        f.close()


def test_damage_elsewhere_does_not_disturb_reading_one_aggregate(tmp_path: Path) -> None:
    """Proof that other lines are not read: garble them, the read still works.

    ``verify`` still finds the damage; only the lines of the case asked for
    (and the last line, checked on open) are parsed by a read.
    """
    ids = fill(tmp_path, 50)
    target = ids[7]
    data = bytearray((tmp_path / "events.jsonl").read_bytes())
    lines = bytes(data).split(b"\n")[:-1]
    offset = 0
    for i, raw in enumerate(lines):
        is_target = str(target).encode() in raw
        if not is_target and 0 < i < len(lines) - 1:
            data[offset : offset + len(raw)] = b"#" * len(raw)  # same length, not JSON
        offset += len(raw) + 1
    (tmp_path / "events.jsonl").write_bytes(bytes(data))
    f = factory(tmp_path)
    try:
        rec = f.process_recorder()
        assert [e.originator_version for e in rec.select_events(target)] == [1, 2, 3, 4]
    finally:
        f.close()
    (report,) = [r for r in fs.verify_store(tmp_path) if r.file.endswith("events.jsonl")]
    assert not report.ok and report.line == 2


# ---------------------------------------------------------------------------
# What is in the files


class Ticket(Aggregate):
    """A small aggregate, so the payloads are the library's real ones."""

    @event("Opened")
    def __init__(self, title: str) -> None:
        self.title = title
        self.notes: list[str] = []

    @event("Noted")
    def note(self, text: str) -> None:
        self.notes.append(text)


def app_env(path: Path, **extra: str) -> dict[str, str]:
    return {"PERSISTENCE_MODULE": "complaintctl.filestore", "FILESTORE_PATH": str(path)} | extra


def lines_of(path: Path) -> list[dict[str, Any]]:
    return [json.loads(raw) for raw in (path / "events.jsonl").read_bytes().splitlines()]


def test_payload_is_plain_json_without_a_cipher(tmp_path: Path) -> None:
    app: Application[Any] = Application(env=app_env(tmp_path))
    t = Ticket("刹车异响")
    t.note("客户来电")
    app.save(t)
    app.close()
    records = lines_of(tmp_path)  # every line is a JSON document on its own
    assert [r["version"] for r in records] == [1, 2]
    assert records[0]["data"]["title"] == "刹车异响"
    assert records[1]["data"]["text"] == "客户来电"
    assert all("data_b64" not in r for r in records)
    raw = (tmp_path / "events.jsonl").read_bytes()
    assert "刹车异响".encode() in raw  # readable with grep, not escaped
    app = Application(env=app_env(tmp_path))
    assert app.repository.get(t.id).notes == ["客户来电"]
    app.close()


@pytest.mark.parametrize(
    "extra",
    [
        {"CIPHER_TOPIC": "eventsourcing.cipher:AESCipher"},
        {"COMPRESSOR_TOPIC": "eventsourcing.compressor:ZlibCompressor"},
    ],
    ids=["aes", "zlib"],
)
def test_payload_is_base64_with_a_cipher_or_compressor(
    tmp_path: Path, extra: dict[str, str]
) -> None:
    if "CIPHER_TOPIC" in extra:
        extra = extra | {"CIPHER_KEY": AESCipher.create_key(16)}
    app: Application[Any] = Application(env=app_env(tmp_path, **extra))
    t = Ticket("secret title")
    t.note("secret note")
    app.save(t)
    app.close()
    raw = (tmp_path / "events.jsonl").read_bytes()
    assert b"secret" not in raw
    records = lines_of(tmp_path)
    assert all("data" not in r and isinstance(r["data_b64"], str) for r in records)
    app = Application(env=app_env(tmp_path, **extra))
    try:
        again: Ticket = app.repository.get(t.id)
        assert (again.title, again.notes) == ("secret title", ["secret note"])
    finally:
        app.close()
    assert all(r.ok for r in fs.verify_store(tmp_path))


@pytest.mark.parametrize("umask", [0o022, 0o000])
def test_files_are_0600_and_directories_0700(tmp_path: Path, umask: int) -> None:
    """Complaints hold personal data: only the owner may read the store."""
    old = os.umask(umask)
    try:
        store = tmp_path / "deep" / "store"
        f = factory(store)
        try:
            rec = f.process_recorder()
            rec.insert_events(save_events("s", [(uuid.uuid4(), 2)]), tracking=Tracking("u", 1))
            f.tracking_recorder().insert_tracking(Tracking("u", 1))
            f.aggregate_recorder("snapshots").insert_events(save_events("n", [(uuid.uuid4(), 1)]))
        finally:
            f.close()
        with open(store / "events.jsonl", "ab") as fh:
            fh.write(b'{"torn')  # so that the next write makes quarantine/
        f = factory(store)
        try:
            f.process_recorder().insert_events(save_events("t", [(uuid.uuid4(), 1)]))
        finally:
            f.close()
    finally:
        os.umask(old)
    assert (store / "quarantine").is_dir()
    modes = {
        str(p.relative_to(tmp_path)): stat.S_IMODE(p.stat().st_mode)
        for p in [store, *store.rglob("*")]
    }
    assert any(name.endswith(".sqlite") for name in modes)
    wrong = {
        name: oct(mode)
        for name, mode in modes.items()
        if mode != (0o700 if (tmp_path / name).is_dir() else 0o600)
    }
    assert wrong == {}


def test_paging_through_notifications_with_tracking_lines_between(tmp_path: Path) -> None:
    """Pages of any size, with ``stop`` and topics, agree with one full read.

    Guards the page reader's byte-range bound: tracking lines sit between
    event lines, and the page must end exactly at its last event.
    """
    f = factory(tmp_path)
    try:
        rec = f.process_recorder()
        for k in range(40):
            events = [
                StoredEvent(uuid.uuid4(), 1, f"t{(k + j) % 3}", payload(f"s{k}", j, 3))
                for j in range(3)
            ]
            rec.insert_events(events, tracking=Tracking("up", k + 1) if k % 2 else None)
        full = rec.select_notifications(None, 1000)
        assert [n.id for n in full] == list(range(1, 121))
        for size in (1, 2, 7, 50, 119, 120, 500):
            got: list[Notification] = []
            start = 1
            while page := rec.select_notifications(start, size):
                assert len(page) <= size
                got += page
                start = page[-1].id + 1
            assert got == full, size
        assert rec.select_notifications(5, 10, stop=8) == full[4:8]
        assert rec.select_notifications(5, 3, stop=80) == full[4:7]
        assert rec.select_notifications(9, 10, stop=8) == []
        assert rec.select_notifications(118, 10) == full[117:]
        assert rec.select_notifications(121, 10) == []
        t1 = [n for n in full if n.topic == "t1"]
        assert rec.select_notifications(1, 5, topics=["t1"]) == t1[:5]
        assert rec.select_notifications(3, 1000, stop=100, topics=["t1"]) == [
            n for n in t1 if 3 <= n.id <= 100
        ]
        assert rec.select_notifications(1, 10, inclusive_of_start=False) == full[1:11]
    finally:
        f.close()
