"""``verify_store`` finds every damaged log and names the first bad line (issue 2, point 5).

The flip test changes one byte at a random place of a real log (events and
a tracking record, written by the store) and requires a not-OK report that
names the line holding the byte; 1,000 flips by default, 20,000 with
``COMPLAINTCTL_SLOW=1``. The specific tests craft logs with the module's own
line encoder, so the chain is correct and only the rule under test fails.
"""

from __future__ import annotations

import os
import random
import shutil
import uuid
from pathlib import Path
from typing import Any

import pytest
from eventsourcing.persistence import StoredEvent, Tracking
from filestore_workers import TOPIC, factory, payload, save_events

from complaintctl import filestore as fs
from complaintctl.filestore.lines import decode_line, encode_line

SLOW = os.environ.get("COMPLAINTCTL_SLOW") == "1"
FLIPS = 20000 if SLOW else 1000


@pytest.fixture(scope="module")
def sample_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A store written by the store: saves of 1-4 events, one with a tracking record."""
    path = tmp_path_factory.mktemp("verify") / "store"
    f = factory(path)
    try:
        rec = f.process_recorder()
        a, b = uuid.uuid4(), uuid.uuid4()
        rec.insert_events(save_events("s1", [(a, 3)]))
        rec.insert_events(save_events("s2", [(b, 1)]), tracking=Tracking("upstream", 7))
        rec.insert_events([StoredEvent(a, 4, TOPIC, payload("s3", 0, 1))])
        rec.insert_events([], tracking=Tracking("upstream", 9))
        rec.insert_events(save_events("s5", [(uuid.uuid4(), 2), (uuid.uuid4(), 2)]))
        f.tracking_recorder().insert_tracking(Tracking("other", 3))
    finally:
        f.close()
    reports = fs.verify_store(path)
    assert [r.ok for r in reports] == [True, True]
    return path


def copy_store(src: Path, dst: Path) -> Path:
    shutil.copytree(src, dst)
    return dst


def events_report(store: Path) -> fs.VerifyReport:
    (report,) = [r for r in fs.verify_store(store) if r.file.endswith("events.jsonl")]
    return report


def line_of(data: bytes, offset: int) -> int:
    """The 1-based line number holding byte ``offset``."""
    return data.count(b"\n", 0, offset) + 1


def test_every_single_byte_flip_is_detected(sample_store: Path, tmp_path: Path) -> None:
    original = (sample_store / "events.jsonl").read_bytes()
    rng = random.Random(20261123)
    work = copy_store(sample_store, tmp_path / "copy")
    log = work / "events.jsonl"
    missed: list[tuple[int, int]] = []
    for _ in range(FLIPS):
        offset = rng.randrange(len(original))
        mask = rng.randrange(1, 256)
        damaged = bytearray(original)
        damaged[offset] ^= mask
        log.write_bytes(bytes(damaged))  # a fresh copy of the log for every flip
        report = events_report(work)
        if report.ok:
            missed.append((offset, mask))
            continue
        assert report.line is not None and report.problem
        if "unfinished write" in report.problem:
            # The last line lost its newline or commit flag: the report names
            # the first line of that unfinished batch.
            assert report.line <= line_of(original, offset)
        else:
            assert report.line == line_of(original, offset), (offset, mask, report)
    assert missed == []


def test_flips_in_the_tracking_log_are_detected(sample_store: Path, tmp_path: Path) -> None:
    original = (sample_store / "tracking.jsonl").read_bytes()
    work = copy_store(sample_store, tmp_path / "copy")
    for offset in range(len(original)):
        damaged = bytearray(original)
        damaged[offset] ^= 0x01
        (work / "tracking.jsonl").write_bytes(bytes(damaged))
        (report,) = [r for r in fs.verify_store(work) if r.file.endswith("tracking.jsonl")]
        assert not report.ok and report.line == 1, offset


# ---------------------------------------------------------------------------
# One rule at a time


def event_header(position: int, oid: str, version: int, commit: bool = True) -> dict[str, Any]:
    return {
        "position": position,
        "originator_id": oid,
        "version": version,
        "topic": TOPIC,
        "recorded_at": "2026-11-23T10:00:00+00:00",
        "commit": commit,
    }


def write_log(path: Path, headers: list[dict[str, Any]]) -> list[bytes]:
    """Encode lines with the store's own encoder (a correct chain); return them."""
    path.mkdir(parents=True, exist_ok=True)
    prev, lines = fs.GENESIS, []
    for h in headers:
        line, prev = encode_line(prev, h, b'{"x":1}' if "position" in h else None)
        lines.append(line)
    (path / "events.jsonl").write_bytes(b"".join(lines))
    return lines


def test_crafted_log_is_ok(tmp_path: Path) -> None:
    a, b = str(uuid.uuid4()), str(uuid.uuid4())
    headers = [event_header(1, a, 1), event_header(2, b, 1), event_header(3, a, 2)]
    lines = write_log(tmp_path, headers)
    report = events_report(tmp_path)
    assert report.ok and report.lines == 3 and report.events == 3
    assert report.last_hash == decode_line(lines[-1][:-1]).hash


def test_bad_json(tmp_path: Path) -> None:
    a = str(uuid.uuid4())
    lines = write_log(tmp_path, [event_header(p, a, p) for p in (1, 2, 3)])
    lines[1] = lines[1].replace(b'"topic":', b'"topic"', 1)
    (tmp_path / "events.jsonl").write_bytes(b"".join(lines))
    report = events_report(tmp_path)
    assert (report.ok, report.line) == (False, 2)
    assert "bad JSON" in (report.problem or "")


def test_edited_payload_breaks_the_chain(tmp_path: Path) -> None:
    a = str(uuid.uuid4())
    lines = write_log(tmp_path, [event_header(p, a, p) for p in (1, 2, 3)])
    lines[1] = lines[1].replace(b'"data":{"x":1}', b'"data":{"x":2}')
    (tmp_path / "events.jsonl").write_bytes(b"".join(lines))
    report = events_report(tmp_path)
    assert (report.ok, report.line) == (False, 2)
    assert "broken hash chain" in (report.problem or "")


def test_removed_line_breaks_the_chain(tmp_path: Path) -> None:
    a = str(uuid.uuid4())
    lines = write_log(tmp_path, [event_header(p, a, p) for p in (1, 2, 3, 4)])
    (tmp_path / "events.jsonl").write_bytes(b"".join(lines[:1] + lines[2:]))
    report = events_report(tmp_path)
    assert (report.ok, report.line) == (False, 2)
    assert "broken hash chain" in (report.problem or "")


def test_removed_last_line_changes_the_fingerprint(tmp_path: Path) -> None:
    """Cutting whole saves off the end leaves a valid shorter chain.

    Only the last hash shows it: this is why ``verify`` prints it, so an
    auditor can compare it with one written down earlier.
    """
    a = str(uuid.uuid4())
    lines = write_log(tmp_path, [event_header(p, a, p) for p in (1, 2, 3)])
    full = events_report(tmp_path)
    (tmp_path / "events.jsonl").write_bytes(b"".join(lines[:2]))
    cut = events_report(tmp_path)
    assert cut.ok and cut.lines == 2
    assert cut.last_hash != full.last_hash


def test_reordered_lines_break_the_chain(tmp_path: Path) -> None:
    a, b = str(uuid.uuid4()), str(uuid.uuid4())
    lines = write_log(tmp_path, [event_header(1, a, 1), event_header(2, b, 1)])
    (tmp_path / "events.jsonl").write_bytes(lines[1] + lines[0])
    report = events_report(tmp_path)
    assert (report.ok, report.line) == (False, 1)


def test_gap_in_positions(tmp_path: Path) -> None:
    a = str(uuid.uuid4())
    write_log(tmp_path, [event_header(1, a, 1), event_header(2, a, 2), event_header(4, a, 3)])
    report = events_report(tmp_path)
    assert (report.ok, report.line) == (False, 3)
    assert "gap in positions" in (report.problem or "")


def test_repeated_position(tmp_path: Path) -> None:
    a, b = str(uuid.uuid4()), str(uuid.uuid4())
    write_log(tmp_path, [event_header(1, a, 1), event_header(1, b, 1)])
    report = events_report(tmp_path)
    assert (report.ok, report.line) == (False, 2)
    assert "gap in positions" in (report.problem or "")


@pytest.mark.parametrize("versions", [(1, 3, 2), (1, 2, 2), (5, 1)])
def test_version_out_of_order(tmp_path: Path, versions: tuple[int, ...]) -> None:
    a, b = str(uuid.uuid4()), str(uuid.uuid4())
    headers = [event_header(1, b, 1)]
    headers += [event_header(i + 2, a, v) for i, v in enumerate(versions)]
    write_log(tmp_path, headers)
    report = events_report(tmp_path)
    assert (report.ok, report.line) == (False, len(headers))
    assert "version out of order" in (report.problem or "")


def test_unfinished_batch_at_the_end(tmp_path: Path) -> None:
    """Lines after the last commit flag: a save whose writer died."""
    a = str(uuid.uuid4())
    headers = [event_header(1, a, 1), event_header(2, a, 2, commit=False)]
    headers += [event_header(3, a, 3, commit=False)]
    write_log(tmp_path, headers)
    report = events_report(tmp_path)
    assert (report.ok, report.line) == (False, 2)
    assert "unfinished write" in (report.problem or "")


def test_torn_last_line(tmp_path: Path) -> None:
    a = str(uuid.uuid4())
    lines = write_log(tmp_path, [event_header(p, a, p) for p in (1, 2)])
    (tmp_path / "events.jsonl").write_bytes(lines[0] + lines[1][:40])
    report = events_report(tmp_path)
    assert (report.ok, report.line) == (False, 2)
    assert "unfinished write" in (report.problem or "")


def test_neither_event_nor_tracking(tmp_path: Path) -> None:
    a = str(uuid.uuid4())
    write_log(tmp_path, [event_header(1, a, 1), {"note": "hello", "commit": True}])
    report = events_report(tmp_path)
    assert (report.ok, report.line) == (False, 2)


def test_empty_and_missing_logs_are_ok(tmp_path: Path) -> None:
    assert fs.verify_store(tmp_path) == []
    (tmp_path / "events.jsonl").write_bytes(b"")
    assert [r.ok for r in fs.verify_store(tmp_path)] == [True]
