"""A rebuild of a big file-store log on several processes, merged in SQLite.

Cases are independent, so each process folds the aggregates of one bucket
(``PartedSource.read_part``: the first hex digit of the id) into a cache
file of its own; the calling process folds bucket 0 into the new cache file
and then copies the other parts' rows into it. :mod:`projections.cache`
decides when this pays (a log of ``PARALLEL_BYTES`` or more, two cores).
"""

from __future__ import annotations

import os
import pickle
import resource
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from events.personal import Keyring
from projections import reportcounts
from projections.sla import Clock
from projections.source import Checkpoint, Event, PartedSource
from projections.tables import CASE_COLUMNS, INDEXES, bulk_db

if TYPE_CHECKING:
    from projections.cache import Projector

#: The tables copied from a part as they are (``cases`` gets new ``seq`` numbers).
_PLAIN_TABLES = ("activity", "groups", "handovers")


def _start_part(args: tuple[Any, ...]) -> subprocess.Popen[bytes]:
    """Start a helper process for one part of a parallel rebuild.

    A plain child interpreter rather than ``multiprocessing``: spawning through
    it re-imports the caller's main module (a script, pytest, the CLI), and
    forking a process that may run threads (the file store's group commit)
    is unsafe.
    """
    root = str(Path(__file__).resolve().parent.parent)
    env = dict(os.environ)
    env["PYTHONPATH"] = root + os.pathsep + env.get("PYTHONPATH", "")
    proc = subprocess.Popen(
        # -P: not the current directory first, where another checkout's
        # ``projections`` would run in place of this install's.
        [sys.executable, "-P", "-c", "from projections.parallel import part_main; part_main()"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=env,
    )
    assert proc.stdin is not None
    proc.stdin.write(pickle.dumps(args))
    proc.stdin.close()
    proc.stdin = None  # written: communicate() must not touch it again
    return proc


def part_main() -> None:
    """The helper's entry: arguments pickled on stdin, the event count pickled on stdout."""
    args = pickle.loads(sys.stdin.buffer.read())
    n = _fold_part(*args)
    peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    sys.stdout.buffer.write(pickle.dumps((n, peak_kb)))


def _fold_part(
    source: PartedSource,
    path: str,
    end: Checkpoint,
    part: int,
    parts: int,
    clock: Clock,
    max_cached: int,
    flush_every: int,
    keyring: Keyring | None = None,
) -> int:
    """A worker of a parallel rebuild: fold one bucket of aggregates into a file of its own."""
    from projections.cache import Projector

    target = Path(path)
    p = Projector(
        target.parent,
        source,
        clock,
        "",
        max_cached=max_cached,
        flush_every=flush_every,
        path=target,
        keyring=keyring,
    )
    target.unlink(missing_ok=True)
    db = bulk_db(target)
    db.execute("BEGIN")
    n = p._fold(
        db,
        Checkpoint(),
        load=False,
        batches=((b, end) for b in source.read_part(end, part, parts)),
    )
    db.execute("COMMIT")
    db.close()
    return n


def rebuild_parallel(
    p: Projector,
    end: Checkpoint,
    workers: int,
    progress: Callable[[int, int], None] | None,
) -> int:
    """Fold the log up to ``end`` on ``workers`` processes into a new file, put it in place."""
    source = p.source
    assert isinstance(source, PartedSource)
    p.helpers_peak_kb = 0
    tmp, db = p._fresh()
    parts = [tmp.with_name(f"{tmp.name}.part{k}") for k in range(1, workers)]
    total = end.position
    helpers = [
        _start_part(
            (
                source,
                str(part),
                end,
                k + 1,
                workers,
                p.clock,
                p.max_cached,
                p.flush_every,
                p.keyring,
            )
        )
        for k, part in enumerate(parts)
    ]

    def mine() -> Iterator[tuple[list[Event], Checkpoint]]:
        for batch in source.read_part(end, 0, workers):
            if progress and batch:
                progress(batch[-1]["position"], total)
            yield batch, end

    try:
        db.execute("BEGIN")
        n = p._fold(db, Checkpoint(), load=False, batches=mine())
        db.execute("COMMIT")
        # Indexed now, while the helpers (started a fresh interpreter later) still fold:
        # their rows then go into the indexes as they are merged, and the indexes are
        # not built over the whole table alone at the end.
        db.executescript(INDEXES)
    except BaseException:
        for h in helpers:
            h.kill()
            h.wait()
        raise
    for h in helpers:
        out, err = h.communicate()
        if h.returncode != 0:
            raise RuntimeError(f"a rebuild helper failed: {err.decode()[-2000:]}")
        count, peak_kb = pickle.loads(out)
        n += int(count)
        p.helpers_peak_kb += int(peak_kb)
    for part in parts:
        db.execute("ATTACH DATABASE ? AS part", (str(part),))
        db.execute("BEGIN")
        db.execute(f"INSERT INTO cases ({CASE_COLUMNS}) SELECT {CASE_COLUMNS} FROM part.cases")
        for table in _PLAIN_TABLES:
            db.execute(f"INSERT INTO {table} SELECT * FROM part.{table}")
        db.execute("COMMIT")
        db.execute("DETACH DATABASE part")
        part.unlink()
    p._write_checkpoint(db, end)
    reportcounts.build(db, p.clock.policy.zone)  # over the merged rows and their indexes
    db.close()
    p._install(tmp)
    if progress:
        progress(total, total)
    return n
