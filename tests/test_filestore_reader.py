"""The read side's reader of ``events.jsonl`` (``filestore.reader``), on a real store.

It must give every committed event once, with its line's hash, resume from a
cursor, never give part of an unfinished save, notice a replaced log, and
split the log into parts that together are the whole.
"""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest
from eventsourcing.cipher import AESCipher
from eventsourcing.persistence import StoredEvent
from filestore_workers import TOPIC, factory, payload

from complaintctl import filestore as fs
from complaintctl.filestore.lines import decode_line, encode_line


def save(path: Path, saves: int, per_save: int = 3) -> list[uuid.UUID]:
    f = factory(path)
    try:
        rec = f.application_recorder()
        ids = []
        for s in range(saves):
            oid = uuid.uuid4()
            ids.append(oid)
            rec.insert_events(
                [StoredEvent(oid, v, TOPIC, payload(f"s{s}", v, per_save)) for v in range(per_save)]
            )
        return ids
    finally:
        f.close()


def read_all(reader: fs.LogReader, cursor: fs.Cursor) -> tuple[list[fs.Record], fs.Cursor]:
    out: list[fs.Record] = []
    for batch, after in reader.read(cursor):
        out += batch
        cursor = after
    return out, cursor


def test_every_committed_event_once_with_its_hash_and_resumable(tmp_path: Path) -> None:
    save(tmp_path, 4)
    log = tmp_path / "events.jsonl"
    reader = fs.LogReader(log)
    first, cursor = read_all(reader, fs.Cursor())
    assert [r["position"] for r in first] == list(range(1, 13))
    raw = log.read_bytes().splitlines()
    assert [r["hash"] for r in first] == [decode_line(line).hash for line in raw]
    assert cursor == reader.end() and cursor.position == 12
    assert read_all(reader, cursor)[0] == []  # nothing new
    save(tmp_path, 2)
    more, cursor2 = read_all(reader, cursor)
    assert [r["position"] for r in more] == list(range(13, 19))
    assert cursor2 == reader.end()
    assert reader.moved(cursor) is None and reader.moved(cursor2) is None


def test_an_unfinished_save_is_not_read(tmp_path: Path) -> None:
    save(tmp_path, 2)
    log = tmp_path / "events.jsonl"
    reader = fs.LogReader(log)
    _, cursor = read_all(reader, fs.Cursor())
    last = decode_line(log.read_bytes().splitlines()[-1]).hash
    header = {
        "position": 7,
        "originator_id": str(uuid.uuid4()),
        "version": 0,
        "topic": TOPIC,
        "recorded_at": "2026-11-23T10:00:00+00:00",
        "commit": False,
    }
    line, _ = encode_line(last, header, b'{"x":1}')
    with open(log, "ab") as f:
        f.write(line + b'{"position":8,"orig')  # an open save, then a torn line
    assert read_all(reader, fs.Cursor())[0][-1]["position"] == 6
    assert read_all(reader, cursor) == ([], cursor)
    assert reader.end() == cursor


def test_a_replaced_log_is_noticed(tmp_path: Path) -> None:
    save(tmp_path / "a", 3)
    save(tmp_path / "b", 3)
    reader = fs.LogReader(tmp_path / "a" / "events.jsonl")
    _, cursor = read_all(reader, fs.Cursor())
    identity = reader.identity()
    (tmp_path / "a" / "events.jsonl").write_bytes((tmp_path / "b" / "events.jsonl").read_bytes())
    assert reader.moved(cursor) == "the line at the checkpoint changed"
    assert reader.identity() != identity
    (tmp_path / "a" / "events.jsonl").write_bytes(b"")
    assert reader.moved(cursor) == "the log is shorter than the checkpoint"


@pytest.mark.parametrize("step", [1, 37, 200, 4096])
def test_reads_of_any_size_give_the_same_events_and_cursor(tmp_path: Path, step: int) -> None:
    # ``read`` reads ``stream_chunk`` bytes at a time (1 MB: a streamed export holds one
    # read's events): lines cut by a read, or longer than one, are read whole.
    save(tmp_path, 5, per_save=3)
    whole, end = read_all(fs.LogReader(tmp_path / "events.jsonl"), fs.Cursor())
    small = fs.LogReader(tmp_path / "events.jsonl")
    small.stream_chunk = step
    assert small.stream_chunk < len((tmp_path / "events.jsonl").read_bytes())
    records, cursor = read_all(small, fs.Cursor())
    assert records == whole and cursor == end
    batches = [b for b, _c in small.read(fs.Cursor())]
    assert sum(map(len, batches)) == 15
    # A batch ends at the last save a read completes: reads shorter than a save (three
    # lines of ~270 bytes) give one batch per save, a 4 KB read several saves at once.
    assert len(batches) == 5 if step < 3 * 270 else len(batches) < 5
    half = [r for r in whole if r["position"] <= 6]
    assert [r for b, _c in small.read(fs.Cursor(), upto=6) for r in b] == half


def test_the_parts_make_the_whole(tmp_path: Path) -> None:
    save(tmp_path, 30, per_save=2)
    reader = fs.LogReader(tmp_path / "events.jsonl")
    whole, end = read_all(reader, fs.Cursor())
    parts = [[r for b in reader.read_part(end, k, 3) for r in b] for k in range(3)]
    assert all(parts)
    assert sorted(r["position"] for p in parts for r in p) == [r["position"] for r in whole]
    assert all(len({r["originator_id"][0] for r in p} & {r["originator_id"][0] for r in q}) == 0
               for i, p in enumerate(parts) for q in parts[i + 1 :])  # fmt: skip


def test_a_payload_that_is_not_json_is_refused(tmp_path: Path) -> None:
    key = AESCipher.create_key(16)
    f = factory(tmp_path, CIPHER_KEY=key)
    try:
        f.application_recorder().insert_events(
            [StoredEvent(uuid.uuid4(), 0, TOPIC, AESCipher(f.env).encrypt(b'{"x":1}'))]
        )
    finally:
        f.close()
    with pytest.raises(fs.PayloadNotJSON):
        read_all(fs.LogReader(tmp_path / "events.jsonl"), fs.Cursor())


def test_a_line_that_is_not_json_is_damage(tmp_path: Path) -> None:
    save(tmp_path, 2)
    log = tmp_path / "events.jsonl"
    data = log.read_bytes()
    log.write_bytes(data.replace(b'"topic":', b'"topic"', 1))
    with pytest.raises(fs.LogCorruptedError, match="line at byte 0"):
        read_all(fs.LogReader(log), fs.Cursor())
