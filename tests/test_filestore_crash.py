"""Writers killed halfway: a save is all or nothing (issue 2, point 4).

The random test SIGKILLs real writer processes at random moments (at least
50 kills; ``COMPLAINTCTL_SLOW=1`` for a long run) while they make multi-event
saves, saves with a tracking record, and now and then a save big enough that
a kill can land inside the kernel's copy of its single ``write``. Each writer
records a save durably only *after* ``insert_events`` returned, so the test
knows which saves must survive.

The deterministic tests cut a log by hand in the middle of a batch (between
lines and inside a line), which is what a kill between two pages of one
``write`` leaves, and check what a reader sees and what the next writer
moves to ``quarantine/``.
"""

from __future__ import annotations

import os
import random
import shutil
import signal
import time
import uuid
from pathlib import Path

import pytest
from eventsourcing.persistence import StoredEvent, Tracking
from filestore_checks import LogContents, check_log, read_log
from filestore_workers import (
    TOPIC,
    crash_writer,
    factory,
    huge_writer,
    mp_context,
    payload,
    save_events,
)

from complaintctl import filestore as fs

SLOW = os.environ.get("COMPLAINTCTL_SLOW") == "1"
ROUNDS = 200 if SLOW else 36  # two kills per round, one in every fourth
WRITERS_PER_ROUND = 2


def quarantine_files(
    store: Path, known: set[str] | frozenset[str] = frozenset()
) -> dict[str, bytes]:
    """Files in ``quarantine/`` not in ``known``, with their bytes."""
    q = store / "quarantine"
    if not q.is_dir():
        return {}
    return {p.name: p.read_bytes() for p in q.iterdir() if p.name not in known}


def quarantine_names(store: Path) -> set[str]:
    q = store / "quarantine"
    return {p.name for p in q.iterdir()} if q.is_dir() else set()


def read_reports(path: Path) -> list[tuple[str, int, int]]:
    """Saves a writer reported as returned (a torn last report line is ignored)."""
    if not path.exists():
        return []
    out = []
    for raw in path.read_bytes().splitlines(keepends=True):
        if raw.endswith(b"\n"):
            save_id, n, nid = raw.decode().split()
            out.append((save_id, int(n), int(nid)))
    return out


def check_tracking(contents: LogContents) -> dict[tuple[str, int], int]:
    """Each tracking line ends the batch of the save it belongs to.

    Returns ``(application name, notification id) -> line index``.
    """
    found = {}
    for idx, rec in enumerate(contents.lines):
        if "tracking" not in rec:
            continue
        assert rec["commit"] is True
        key = (rec["tracking"], rec["notification_id"])
        assert key not in found, f"tracking record {key} twice"
        found[key] = idx
        worker = rec["tracking"].removeprefix("up-")
        nid = rec["notification_id"]
        save_id = f"r{nid // 10000}-w{worker}-s{nid % 10000}"
        if save_id in contents.saves:
            assert contents.saves[save_id][-1] == idx - 1, f"{save_id}: tracking not with events"
            assert all(contents.lines[i]["commit"] is False for i in contents.saves[save_id])
    return found


def assert_no_committed_line(data: bytes, where: str) -> None:
    """A quarantined tail holds no finished save: no complete line has commit true."""
    for raw in data.splitlines(keepends=True):
        if raw.endswith(b"\n"):
            assert b'"commit":true' not in raw, f"{where}: a committed line was quarantined"


def kill_mid_write(store: Path, reports: Path, round_no: int) -> tuple[bool, bool]:
    """Start a writer of one ~13 MB save; SIGKILL it once the log starts growing.

    Returns whether it was killed (on a busy machine the writer may finish
    before the test looks again, which is not a failure) and whether the
    kill left a torn batch (the write had not finished).
    """
    log = store / "events.jsonl"
    base = log.stat().st_size if log.exists() else 0
    p = mp_context().Process(target=huge_writer, args=(str(store), str(reports), round_no, 6000))
    p.start()
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and p.is_alive():
        if log.exists() and log.stat().st_size > base:
            break
        time.sleep(0.0002)  # the write takes milliseconds; leave the CPU to the writer
    assert p.pid is not None
    os.kill(p.pid, signal.SIGKILL)
    p.join(timeout=30)
    killed = p.exitcode == -signal.SIGKILL
    assert killed or p.exitcode == 0, (round_no, p.exitcode)
    return killed, killed and not read_reports(reports) and read_log(log).tail != b""


def test_sigkill_at_random_moments(tmp_path: Path) -> None:
    store = tmp_path / "store"
    seed = int.from_bytes(os.urandom(4), "big")
    print(f"seed {seed}")  # shown if the test fails
    rng = random.Random(seed)
    ctx = mp_context()
    reported: dict[str, tuple[int, int]] = {}
    kills = torn_tails = torn_by_kill = quarantined_by_writers = 0
    for round_no in range(1, ROUNDS + 1):
        before = quarantine_names(store)
        if round_no % 4 == 0:
            huge_reports = tmp_path / f"reports-{round_no}-huge"
            killed, torn = kill_mid_write(store, huge_reports, round_no)
            kills += killed
            torn_by_kill += torn
            for save_id, n, nid in read_reports(huge_reports):
                reported[save_id] = (n, nid)
        procs = []
        for w in range(WRITERS_PER_ROUND if round_no % 4 else 0):
            reports = tmp_path / f"reports-{round_no}-{w}"
            p = ctx.Process(
                target=crash_writer,
                args=(str(store), str(reports), round_no, w, rng.getrandbits(32)),
            )
            p.start()
            procs.append(p)
        for w, p in enumerate(procs):
            # Most kills land while the writer saves (timed from when its
            # store is open, so a slow start on a busy machine does not
            # turn them all into kills at start-up); some land at any moment.
            if rng.random() < 0.8:
                ready = tmp_path / f"reports-{round_no}-{w}.ready"
                deadline = time.monotonic() + 20
                while not ready.exists() and time.monotonic() < deadline and p.is_alive():
                    time.sleep(0.001)
            time.sleep(rng.uniform(0.0, 0.06))
            assert p.pid is not None
            os.kill(p.pid, signal.SIGKILL)
            kills += 1
        for p in procs:
            p.join(timeout=30)
            assert p.exitcode == -signal.SIGKILL, (seed, round_no, p.exitcode)
        for w in range(WRITERS_PER_ROUND):
            for save_id, n, nid in read_reports(tmp_path / f"reports-{round_no}-{w}"):
                reported[save_id] = (n, nid)

        # What the writers moved aside during the round held no finished save.
        during = quarantine_files(store, before)
        quarantined_by_writers += len(during)
        for name, data in during.items():
            assert_no_committed_line(data, f"seed {seed} round {round_no} {name}")

        # The log as the kills left it: committed lines, then maybe a tail.
        contents = read_log(store / "events.jsonl")
        check_log(contents)
        tracking = check_tracking(contents)
        for save_id, (n, nid) in reported.items():
            if n:
                assert save_id in contents.saves, (seed, round_no, save_id, "lost")
            if nid:
                worker = save_id.split("-w")[1].split("-")[0]
                assert (f"up-{worker}", nid) in tracking, (seed, save_id, "tracking lost")
        assert_no_committed_line(contents.tail, f"seed {seed} round {round_no} tail")
        torn_tails += bool(contents.tail)

        # The store opens and the next write moves the tail, byte for byte.
        before = quarantine_names(store)
        f = factory(store)
        try:
            rec = f.process_recorder()
            events_in_log = sum("position" in r for r in contents.lines)
            assert (rec.max_notification_id() or 0) == events_in_log
            oid = uuid.uuid4()
            rec.insert_events(save_events(f"parent-{round_no}", [(oid, 2)]))
            assert [e.originator_version for e in rec.select_events(oid)] == [1, 2]
        finally:
            f.close()
        new = quarantine_files(store, before)
        if contents.tail:
            assert list(new.values()) == [contents.tail], (seed, round_no)
            (name,) = new
            assert name.endswith(f".at-{contents.committed_end}")
        else:
            assert new == {}, (seed, round_no)
        after = read_log(store / "events.jsonl")
        assert after.tail == b""
        if round_no % 4 == 0 or round_no == ROUNDS:  # the log grows: not every round
            verdicts = fs.verify_store(store)
            assert all(r.ok for r in verdicts), (seed, round_no, [r.to_dict() for r in verdicts])

    assert kills >= 50
    final = read_log(store / "events.jsonl")
    check_log(final)
    assert {s for s, (n, _) in reported.items() if n} <= set(final.saves)
    f = factory(store)
    try:
        rec = f.process_recorder()
        for w in range(WRITERS_PER_ROUND):
            nids = [nid for s, (_, nid) in reported.items() if nid and f"-w{w}-" in s]
            if nids:
                assert (rec.max_tracking_id(f"up-{w}") or 0) >= max(nids)
    finally:
        f.close()
    print(
        f"{kills} kills, {len(reported)} saves reported, {len(final.saves)} saves in the log, "
        f"{torn_tails} tails left by a kill ({torn_by_kill} killed inside one write), "
        f"{quarantined_by_writers} moved by a writer"
    )


# ---------------------------------------------------------------------------
# Half a batch, by hand


def _store_with_saves(path: Path) -> tuple[uuid.UUID, bytes]:
    """Three committed saves; returns one aggregate's id and the log bytes."""
    f = factory(path)
    try:
        rec = f.process_recorder()
        oid = uuid.uuid4()
        rec.insert_events(save_events("a", [(oid, 3)]))
        rec.insert_events(save_events("b", [(uuid.uuid4(), 2)]), tracking=Tracking("up", 1))
        rec.insert_events(save_events("c", [(uuid.uuid4(), 1)]))
    finally:
        f.close()
    return oid, (path / "events.jsonl").read_bytes()


def _append_batch(path: Path, events: list[StoredEvent], tracking: Tracking | None) -> bytes:
    """Make one more save and return exactly the bytes it appended."""
    size = (path / "events.jsonl").stat().st_size
    f = factory(path)
    try:
        f.process_recorder().insert_events(events, tracking=tracking)
    finally:
        f.close()
    return (path / "events.jsonl").read_bytes()[size:]


def _cut_points(batch: bytes) -> dict[str, int]:
    """Where a kill could cut a batch: after whole lines, and inside lines."""
    ends = [i + 1 for i, b in enumerate(batch) if b == ord("\n")]
    return {
        "after first line": ends[0],
        "after all but the commit line": ends[-2],
        "inside first line": ends[0] // 2,
        "inside the commit line": (ends[-2] + ends[-1]) // 2,
        "commit line without newline": ends[-1] - 1,
    }


@pytest.mark.parametrize("keep_index", [True, False], ids=["index-saw-batch", "index-behind"])
@pytest.mark.parametrize(
    "cut",
    [
        "after first line",
        "after all but the commit line",
        "inside first line",
        "inside the commit line",
        "commit line without newline",
    ],
)
def test_half_written_batch(tmp_path: Path, cut: str, keep_index: bool) -> None:
    """A batch cut short is invisible to readers and quarantined by the next writer.

    ``index-saw-batch``: the writer indexed the whole batch and the log lost
    its end afterwards (the index must notice it no longer matches the log);
    ``index-behind``: the writer died before it updated the index.
    """
    store = tmp_path / "store"
    first_oid, committed = _store_with_saves(store)
    saved_index = tmp_path / "index-copy"
    shutil.copytree(store, saved_index)
    oid = uuid.uuid4()
    events = save_events("half", [(oid, 3)]) + [
        StoredEvent(first_oid, v, TOPIC, payload("half-2", v - 4, 2)) for v in (4, 5)
    ]
    batch = _append_batch(store, events, Tracking("up", 2))
    assert batch.count(b"\n") == 6
    at = _cut_points(batch)[cut]
    with open(store / "events.jsonl", "r+b") as fh:
        fh.truncate(len(committed) + at)
    if not keep_index:
        for p in saved_index.glob("events.index.sqlite*"):
            shutil.copy(p, store / p.name)
    tail = batch[:at]

    # verify names the first line of the unfinished batch.
    (report,) = fs.verify_store(store)
    assert not report.ok
    assert report.line == committed.count(b"\n") + 1
    assert "unfinished write" in (report.problem or "")

    # A reader sees the store as it was before the batch.
    f = factory(store)
    try:
        rec = f.process_recorder()
        assert rec.select_events(oid) == []
        assert [e.originator_version for e in rec.select_events(first_oid)] == [1, 2, 3]
        assert rec.max_notification_id() == 6
        assert [n.id for n in rec.select_notifications(1, 100)] == list(range(1, 7))
        assert rec.max_tracking_id("up") == 1
        assert not (store / "quarantine").exists()  # readers never move anything

        # The next writer moves the tail aside, byte for byte, then appends.
        rec.insert_events([StoredEvent(oid, 1, TOPIC, payload("next", 0, 1))])
        assert rec.max_notification_id() == 7
        assert [e.originator_version for e in rec.select_events(first_oid)] == [1, 2, 3]
    finally:
        f.close()
    (q,) = (store / "quarantine").iterdir()
    assert q.name.startswith("events.jsonl.") and q.name.endswith(f".at-{len(committed)}")
    assert q.read_bytes() == tail
    assert (store / "events.jsonl").read_bytes().startswith(committed)
    contents = read_log(store / "events.jsonl")
    check_log(contents)
    assert contents.tail == b""
    assert all(r.ok for r in fs.verify_store(store))
