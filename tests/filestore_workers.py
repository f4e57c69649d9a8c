"""Writer processes for the file store's multi-process and crash tests.

These functions run in real OS processes started from a ``forkserver``
context (see :func:`mp_context`): the fork server imports this module and the
file store once, so each writer starts in milliseconds and a test can afford
dozens of them. The module imports nothing from pytest for the same reason.

Every event a writer saves carries, in its payload, the id of the save it
belongs to and its place in that save (``{"save": "...", "i": 0, "n": 3}``),
so a test can find each save in the raw log and check it is whole and
contiguous without trusting the writer's own account.
"""

from __future__ import annotations

import multiprocessing
import multiprocessing.context
import os
import random
import uuid
from pathlib import Path
from typing import Any

import orjson
from eventsourcing.persistence import IntegrityError, StoredEvent, Tracking

from complaintctl import filestore as fs

TOPIC = "tests:Saved"


def mp_context() -> multiprocessing.context.ForkServerContext:
    """A ``forkserver`` context whose server has this module preloaded.

    ``fork`` from a threaded pytest process is unsafe, and ``spawn`` costs
    a fresh interpreter (about half a second) per writer; the fork server
    pays the imports once. Python 3.11's fork server does not apply the
    parent's ``sys.path``, so it cannot preload this module from ``tests/``:
    it preloads the installed packages this module needs, which is what costs.
    """
    ctx = multiprocessing.get_context("forkserver")
    assert isinstance(ctx, multiprocessing.context.ForkServerContext)
    # ``__main__`` too: otherwise every child imports the parent's main
    # script again, which under pytest means importing pytest (slow on a
    # loaded machine, where writers were killed before their first save).
    ctx.set_forkserver_preload(
        ["__main__", "complaintctl.filestore", "eventsourcing.persistence", __name__]
    )
    return ctx


def factory(path: str | Path, **extra: str) -> fs.FileInfrastructureFactory:
    """A file store factory on ``path`` with fsync on, as in production."""
    env = {"FILESTORE_PATH": str(path), "FILESTORE_FSYNC": "yes", "FILESTORE_LOCK_TIMEOUT": "30"}
    return fs.FileInfrastructureFactory(env | extra)


def payload(save_id: str, i: int, n: int, pad: int = 0) -> bytes:
    """The event state that names its save (and optional padding to make it big)."""
    body: dict[str, Any] = {"save": save_id, "i": i, "n": n}
    if pad:
        body["pad"] = "x" * pad
    return orjson.dumps(body)


def save_events(
    save_id: str, aggregates: list[tuple[uuid.UUID, int]], pad: int = 0
) -> list[StoredEvent]:
    """Events of one save: for each ``(aggregate, count)``, ``count`` new versions."""
    n = sum(count for _, count in aggregates)
    events = []
    i = 0
    for oid, count in aggregates:
        for v in range(1, count + 1):
            events.append(StoredEvent(oid, v, TOPIC, payload(save_id, i, n, pad)))
            i += 1
    return events


def report_done(path: Path, line: str) -> None:
    """Record a returned save durably, *after* ``insert_events`` returned."""
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    try:
        os.write(fd, (line + "\n").encode())
        os.fsync(fd)
    finally:
        os.close(fd)


# ---------------------------------------------------------------------------
# Many processes at once


def race_writer(
    store: str,
    worker: int,
    barrier: Any,
    results: Any,
    shared_id: str,
    first_id: str,
    saves_own: int,
    saves_shared: int,
) -> None:
    """Save to the shared aggregate and to aggregates of its own, all at once.

    1. After the barrier every writer tries to record version 1 of
       ``first_id``: exactly one may win, the others must get the library's
       ``IntegrityError``.
    2. Then it alternates saves of its own aggregates (1-5 aggregates of 1-8
       events each) with read-then-append saves of ``shared_id``, retrying
       the latter on ``IntegrityError`` until ``saves_shared`` succeeded.
    Results go to ``results`` as one dict.
    """
    rng = random.Random(worker)
    f = factory(store)
    rec = f.application_recorder()
    out: dict[str, Any] = {"worker": worker, "saves": [], "conflicts": 0, "error": None}
    try:
        barrier.wait(timeout=60)
        try:
            rec.insert_events(
                [StoredEvent(uuid.UUID(first_id), 1, TOPIC, payload(f"first-{worker}", 0, 1))]
            )
            out["first"] = "won"
        except IntegrityError as e:
            out["first"] = f"{type(e).__module__}.{type(e).__qualname__}"
        own_left, shared_left, k = saves_own, saves_shared, 0
        while own_left or shared_left:
            k += 1
            save_id = f"w{worker}-s{k}"
            if shared_left and (not own_left or rng.random() < 0.5):
                current = rec.select_events(uuid.UUID(shared_id), desc=True, limit=1)
                start = current[0].originator_version if current else 0
                n = rng.randint(1, 4)
                events = [
                    StoredEvent(uuid.UUID(shared_id), start + j + 1, TOPIC, payload(save_id, j, n))
                    for j in range(n)
                ]
                try:
                    ids = rec.insert_events(events)
                except IntegrityError:
                    out["conflicts"] += 1
                    continue
                shared_left -= 1
            else:
                aggs = [(uuid.uuid4(), rng.randint(1, 8)) for _ in range(rng.randint(1, 5))]
                ids = rec.insert_events(save_events(save_id, aggs))
                own_left -= 1
            out["saves"].append((save_id, list(ids or ())))
    except BaseException as e:  # reported, not swallowed: the test fails on it
        out["error"] = repr(e)
    finally:
        f.close()
        results.put(out)


def lockstep_writer(
    store: str, worker: int, barrier: Any, results: Any, shared_id: str, rounds: int
) -> None:
    """Race the other writers for the next version of one aggregate, ``rounds`` times.

    In each round all writers read the aggregate's last version, wait for
    each other, then all append the next versions: exactly one must win and
    every other must get the library's ``IntegrityError`` (nothing written).
    """
    rng = random.Random(worker)
    f = factory(store)
    rec = f.application_recorder()
    out: dict[str, Any] = {"worker": worker, "won": [], "lost": [], "error": None}
    oid = uuid.UUID(shared_id)
    try:
        for r in range(rounds):
            barrier.wait(timeout=60)  # every write of the last round is done
            current = rec.select_events(oid, desc=True, limit=1)
            start = current[0].originator_version if current else 0
            barrier.wait(timeout=60)  # every writer has read the same version
            save_id = f"w{worker}-r{r}"
            n = rng.randint(1, 4)
            events = [
                StoredEvent(oid, start + j + 1, TOPIC, payload(save_id, j, n)) for j in range(n)
            ]
            try:
                rec.insert_events(events)
                out["won"].append(save_id)
            except IntegrityError as e:
                out["lost"].append(f"{type(e).__module__}.{type(e).__qualname__}")
    except BaseException as e:  # reported, not swallowed: the test fails on it
        out["error"] = repr(e)
    finally:
        f.close()
        results.put(out)


def fresh_opener(root: str, worker: int, barrier: Any, results: Any, rounds: int) -> None:
    """Open a store nobody has opened yet at the same moment as the others, ``rounds`` times.

    Every writer creates the index at once: none may take another's
    half-made index for one of another format and delete it.
    """
    out: dict[str, Any] = {"worker": worker, "errors": [], "error": None}
    for r in range(rounds):
        barrier.wait(timeout=60)
        try:
            f = factory(Path(root) / f"s{r}")
            try:
                rec = f.application_recorder()
                rec.max_notification_id()
                oid = uuid.uuid4()
                rec.insert_events([StoredEvent(oid, 1, TOPIC, payload(f"w{worker}-r{r}", 0, 1))])
            finally:
                f.close()
        except BaseException as e:  # reported, not swallowed: the test fails on it
            out["errors"].append(f"round {r}: {e!r}")
    results.put(out)


# ---------------------------------------------------------------------------
# Killed at random moments


def crash_writer(store: str, reports: str, round_no: int, worker: int, seed: int) -> None:
    """Save until killed: multi-event saves, some with a tracking record.

    Saves are of 1-3 new aggregates; now and then a bigger one (up to
    ~150 KB in one ``write``). About a third go through the process recorder with
    a tracking record ``("up-<worker>", round_no * 10000 + k)``, a few carry
    a tracking record and no events. After each save returns, the line
    ``"<save id> <events> <tracking id or 0>"`` is appended (fsync) to
    ``reports``; a kill between the two only means a save is present but
    unreported, which the test allows.
    """
    rng = random.Random(seed)
    f = factory(store)
    rec = f.process_recorder()
    report_path = Path(reports)
    Path(f"{reports}.ready").touch()  # the store is open: saves begin now
    k = 0
    while True:
        k += 1
        save_id = f"r{round_no}-w{worker}-s{k}"
        roll = rng.random()
        if roll < 0.04:
            aggs = [(uuid.uuid4(), rng.randint(100, 300))]
            events = save_events(save_id, aggs, pad=400)
        elif roll < 0.08:
            events = []
        else:
            aggs = [(uuid.uuid4(), rng.randint(1, 12)) for _ in range(rng.randint(1, 3))]
            events = save_events(save_id, aggs)
        tracking = None
        if not events or rng.random() < 0.35:
            tracking = Tracking(f"up-{worker}", round_no * 10000 + k)
        rec.insert_events(events, tracking=tracking)
        nid = tracking.notification_id if tracking else 0
        report_done(report_path, f"{save_id} {len(events)} {nid}")


def huge_writer(store: str, reports: str, round_no: int, events: int) -> None:
    """Make one save of ``events`` big events (megabytes in one ``write``).

    The test watches the log grow and kills this writer as soon as the
    write has begun, so that the kill lands while the kernel is still
    copying the batch: the real way a torn tail comes about.
    """
    f = factory(store)
    rec = f.process_recorder()
    save_id = f"r{round_no}-huge"
    rec.insert_events(save_events(save_id, [(uuid.uuid4(), events)], pad=2000))
    report_done(Path(reports), f"{save_id} {events} 0")
