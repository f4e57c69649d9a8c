"""Many OS processes writing to one file store at once (issue 2, point 3).

Six writer processes (real processes from a fork server, each with its own
file descriptors, flock and index connection) start together on a barrier
and save to one shared aggregate and to aggregates of their own. The log is
then judged from the file itself: nothing lost, nothing twice, positions
1..N, every save whole and not interleaved, and the losers of a version race
got the library's ``IntegrityError``.
"""

from __future__ import annotations

import queue
import threading
import uuid
from pathlib import Path
from typing import Any

import pytest
from eventsourcing.persistence import IntegrityError, StoredEvent, Tracking
from filestore_checks import check_log, read_log
from filestore_workers import (
    TOPIC,
    factory,
    fresh_opener,
    lockstep_writer,
    mp_context,
    payload,
    race_writer,
    save_events,
)

from complaintctl import filestore as fs

WRITERS = 6


def run_processes(target: Any, *args: Any) -> list[dict[str, Any]]:
    """Run ``target(worker, barrier, results, *args)`` in ``WRITERS`` processes at once."""
    ctx = mp_context()
    barrier = ctx.Barrier(WRITERS)
    results = ctx.Queue()
    procs = [
        ctx.Process(target=target, args=(args[0], w, barrier, results, *args[1:]))
        for w in range(WRITERS)
    ]
    for p in procs:
        p.start()
    out = []
    try:
        for _ in procs:
            out.append(results.get(timeout=120))
    except queue.Empty:
        raise AssertionError(f"a writer hung or died: got {len(out)} of {WRITERS}") from None
    finally:
        for p in procs:
            p.join(timeout=30)
    assert [p.exitcode for p in procs] == [0] * WRITERS
    for r in out:
        assert r["error"] is None, r
    return out


def test_many_processes_same_and_different_aggregates(tmp_path: Path) -> None:
    store = tmp_path / "store"
    shared_id, first_id = str(uuid.uuid4()), str(uuid.uuid4())
    results = run_processes(race_writer, str(store), shared_id, first_id, 25, 8)

    # A version race: one winner, every loser got the library's IntegrityError.
    firsts = sorted(r["first"] for r in results)
    assert firsts.count("won") == 1, firsts
    assert firsts.count("eventsourcing.persistence.IntegrityError") == WRITERS - 1, firsts

    contents = read_log(store / "events.jsonl")
    assert contents.tail == b""
    check_log(contents)

    # Every save that returned is in the log under the ids it was given,
    # and nothing is there that no writer saved.
    returned = {save_id: ids for r in results for save_id, ids in r["saves"]}
    assert len(returned) == WRITERS * 33
    logged = {
        save_id: [contents.lines[i]["position"] for i in idxs]
        for save_id, idxs in contents.saves.items()
        if not save_id.startswith("first-")
    }
    assert logged == returned

    # The shared aggregate got every successful save, in one unbroken sequence.
    shared = [r for r in contents.lines if r.get("originator_id") == shared_id]
    assert [r["version"] for r in shared] == list(range(1, len(shared) + 1))
    shared_saves = {r["data"]["save"] for r in shared}
    assert len(shared_saves) == WRITERS * 8

    # The store's own reader agrees with the file, and the chain verifies.
    f = factory(store)
    try:
        rec = f.application_recorder()
        assert rec.max_notification_id() == len(contents.lines)
        assert len(rec.select_events(uuid.UUID(shared_id))) == len(shared)
        notes = rec.select_notifications(start=1, limit=len(contents.lines) + 10)
        assert [n.id for n in notes] == [r["position"] for r in contents.lines]
    finally:
        f.close()
    reports = fs.verify_store(store)
    assert reports and all(r.ok for r in reports), [r.to_dict() for r in reports]
    assert reports[0].events == len(contents.lines)


def test_version_races_in_lockstep(tmp_path: Path) -> None:
    """Every round, all writers append the same next version: one wins, the rest fail."""
    store = tmp_path / "store"
    shared_id, rounds = str(uuid.uuid4()), 15
    results = run_processes(lockstep_writer, str(store), shared_id, rounds)
    won = [s for r in results for s in r["won"]]
    lost = [e for r in results for e in r["lost"]]
    assert len(won) == rounds
    assert lost == ["eventsourcing.persistence.IntegrityError"] * rounds * (WRITERS - 1)
    contents = read_log(store / "events.jsonl")
    check_log(contents)
    # Only the winners' saves are there, in the order they won; the losers left no line.
    assert list(contents.saves) == sorted(won, key=lambda s: int(s.split("-r")[1]))
    assert {r["originator_id"] for r in contents.lines} == {shared_id}
    assert all(r.ok for r in fs.verify_store(store))


# ---------------------------------------------------------------------------
# Threads of one process: their saves are written in groups (one fsync)


def test_threads_group_commit_keeps_each_save_whole_and_checked(tmp_path: Path) -> None:
    """Eight threads on one recorder, in lockstep so that their saves meet in one group.

    Each round every thread appends the same next version of a shared
    aggregate (one wins, seven get ``IntegrityError``), a save of its own,
    and a tracking record of one shared application name with the same id
    (one wins): conflicts inside a group fail only their own save.
    """
    threads, rounds = 8, 12
    f = factory(tmp_path)
    rec = f.process_recorder()
    barrier = threading.Barrier(threads)
    shared = uuid.uuid4()
    outcomes: list[tuple[str, str]] = []
    errors: list[BaseException] = []
    lock = threading.Lock()

    def worker(w: int) -> None:
        try:
            for r in range(rounds):
                barrier.wait()
                current = rec.select_events(shared, desc=True, limit=1)
                start = current[0].originator_version if current else 0
                barrier.wait()
                jobs = [
                    ("shared", [StoredEvent(shared, start + 1, TOPIC, payload(f"w{w}r{r}", 0, 1))]),
                    ("own", save_events(f"own-w{w}r{r}", [(uuid.uuid4(), 3)])),
                ]
                for kind, events in jobs:
                    try:
                        rec.insert_events(events)
                        result = "won"
                    except IntegrityError:
                        result = "lost"
                    with lock:
                        outcomes.append((kind, result))
                try:
                    rec.insert_events([], tracking=Tracking("shared-app", r + 1))
                    result = "won"
                except IntegrityError:
                    result = "lost"
                with lock:
                    outcomes.append(("tracking", result))
        except BaseException as e:
            errors.append(e)
            barrier.abort()

    pool = [threading.Thread(target=worker, args=(w,)) for w in range(threads)]
    for t in pool:
        t.start()
    for t in pool:
        t.join(timeout=120)
    try:
        assert errors == []
        assert outcomes.count(("shared", "won")) == rounds
        assert outcomes.count(("shared", "lost")) == rounds * (threads - 1)
        assert outcomes.count(("own", "won")) == rounds * threads
        assert outcomes.count(("tracking", "won")) == rounds
        assert rec.max_tracking_id("shared-app") == rounds
    finally:
        f.close()
    contents = read_log(tmp_path / "events.jsonl")
    check_log(contents)
    assert len(contents.saves) == rounds + rounds * threads
    tracking = [r["notification_id"] for r in contents.lines if "tracking" in r]
    assert tracking == list(range(1, rounds + 1))
    assert all(r.ok for r in fs.verify_store(tmp_path))


def test_conflict_anywhere_in_a_big_save_fails_all_of_it(tmp_path: Path) -> None:
    """The uniqueness check queries many (case, version) pairs at once, in chunks.

    A recorded version at any place of a big save, in any chunk, fails the
    whole save and writes nothing; so does a version twice in one save.
    """
    f = factory(tmp_path)
    try:
        rec = f.application_recorder()
        old = [uuid.uuid4() for _ in range(100)]
        rec.insert_events(save_events("old", [(oid, 10) for oid in old]))
        size = (tmp_path / "events.jsonl").stat().st_size
        for at in (0, 399, 400, 401, 850, 999):
            events = save_events("new", [(uuid.uuid4(), 10) for _ in range(100)])
            clash = old[at % 100]
            events[at] = StoredEvent(clash, 1 + at % 10, TOPIC, payload("new", at, 1000))
            with pytest.raises(IntegrityError):
                rec.insert_events(events)
            events = save_events("new", [(uuid.uuid4(), 10) for _ in range(100)])
            events[at] = events[(at + 1) % 1000]
            with pytest.raises(IntegrityError):
                rec.insert_events(events)
        assert (tmp_path / "events.jsonl").stat().st_size == size
        assert rec.max_notification_id() == 1000
    finally:
        f.close()


def test_fresh_store_opened_by_many_at_once(tmp_path: Path) -> None:
    """Six processes create one store's index at the same moment, 25 times over.

    Found by CI: one process read the format number and the table count in
    two snapshots, saw another's fresh tables without the number, and
    deleted the index under it ("no such table: meta").
    """
    rounds = 25
    results = run_processes(fresh_opener, str(tmp_path), rounds)
    assert [r["errors"] for r in results] == [[]] * WRITERS
    for r in range(rounds):
        contents = read_log(tmp_path / f"s{r}" / "events.jsonl")
        assert len(contents.lines) == WRITERS
        check_log(contents)
