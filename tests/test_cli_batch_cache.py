"""``batch`` holds the read-model cache open between lines (``cli.batch.CacheHold``).

Each line's reads close the cache when done; without a connection held for
the batch, the last one to close would checkpoint and delete the WAL, four
disk flushes per read after a write. The held connection is read-only: it
never checkpoints, so a cache replaced meanwhile (a ``rebuild`` line, a
settings change) is read as a lone command would read it. Real processes,
real store.
"""

from __future__ import annotations

import json
from typing import Any

from conftest import MANAGER, Store, run_cli


def batch(store: Store, lines: list[str]) -> list[dict[str, Any]]:
    r = run_cli(store.path, "batch", actor=MANAGER, input="\n".join(lines) + "\n", timeout=600)
    assert r.returncode == 0, r.stderr
    return [json.loads(line) for line in r.stdout.splitlines()]


def test_reads_after_writes_a_rebuild_and_a_settings_change_see_every_write(
    store: Store,
) -> None:
    ref = store.new()
    out = batch(
        store,
        [
            f"note {ref} 一",
            f"show {ref}",
            f"note {ref} 二",
            "list --limit 5",  # the cache caught up (show reads the case's own events)
            "rebuild",  # the cache file replaced while the batch holds the old one
            f"note {ref} 三",
            f"show {ref}",
            "config set reply.hours 12",  # the deadlines recomputed in place
            f"note {ref} 四",
            f"show {ref}",
            f"sla {ref}",
        ],
    )
    assert [o["exit"] for o in out] == [0] * 11, out
    assert [n["text"] for n in out[1]["result"]["notes"]] == ["一"]
    assert [n["text"] for n in out[6]["result"]["notes"]] == ["一", "二", "三"]
    last = out[9]["result"]
    assert [n["text"] for n in last["notes"]] == ["一", "二", "三", "四"]
    # A lone command afterwards reads the same case from the same cache.
    assert store.show(ref) == last
    sla = {k: v for k, v in out[10]["result"].items() if k != "as_of"}
    assert {k: v for k, v in store.json("sla", ref).items() if k != "as_of"} == sla
    check = store.invoke("verify")
    assert check.exit_code == 0, check.stdout


def test_the_held_connection_is_the_last_to_close(store: Store) -> None:
    ref = store.new()
    wal = store.path / "cache" / "projections.sqlite-wal"
    store.json("list")  # the cache made (show reads the case's own events, not the cache)
    assert not wal.exists()  # a lone command, the last to close: checkpointed, deleted
    out = batch(store, [f"note {ref} 一", "list --limit 5", f"note {ref} 二", "list --limit 5"])
    assert [o["exit"] for o in out] == [0, 0, 0, 0]
    assert [c["ref"] for c in out[3]["result"]] == [ref]
    # No line's connection was the last: the WAL was not checkpointed away after each
    # read (and the held, read-only one never checkpoints); the next command does.
    assert wal.exists()
    assert store.json("list") == out[3]["result"]
    assert not wal.exists()
