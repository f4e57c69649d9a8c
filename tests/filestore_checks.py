"""Checks of a file store log read straight from the file (not through our reader).

Shared by the multi-process and crash tests: they must judge the log by what
is on disk, line by line (with plain ``orjson``, not the store's line
decoder), so that a bug in the store's own reader cannot hide a bug in its
writer.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson


@dataclass
class LogContents:
    """What a log holds up to its last committed line."""

    lines: list[dict[str, Any]] = field(default_factory=list)  # committed lines, parsed
    committed_end: int = 0  # byte offset after the last committed line
    tail: bytes = b""  # bytes after it (torn or uncommitted: not part of the store)
    saves: dict[str, list[int]] = field(default_factory=dict)  # save id -> line indexes


def read_log(path: Path) -> LogContents:
    """Parse every committed line as JSON; group events by save."""
    data = path.read_bytes() if path.exists() else b""
    out = LogContents()
    pending: list[dict[str, Any]] = []
    offset = 0
    for raw in data.splitlines(keepends=True):
        if not raw.endswith(b"\n"):
            break
        try:
            rec = orjson.loads(raw)
        except orjson.JSONDecodeError:
            break
        offset += len(raw)
        pending.append(rec)
        if rec.get("commit") is True:
            out.lines.extend(pending)
            pending = []
            out.committed_end = offset
    out.tail = data[out.committed_end :]
    saves: dict[str, list[int]] = defaultdict(list)
    for idx, rec in enumerate(out.lines):
        if "position" in rec:
            saves[rec["data"]["save"]].append(idx)
    out.saves = dict(saves)
    return out


def check_log(contents: LogContents) -> None:
    """Assert the store's invariants on committed lines.

    Positions are 1..N without gaps; no aggregate version appears twice and
    each aggregate's versions are 1..n in order; every save is whole (all
    ``n`` events) and its lines are consecutive (no other save interleaved).
    """
    positions = [r["position"] for r in contents.lines if "position" in r]
    assert positions == list(range(1, len(positions) + 1)), "positions not 1..N"
    versions: dict[str, list[int]] = defaultdict(list)
    for r in contents.lines:
        if "position" in r:
            versions[r["originator_id"]].append(r["version"])
    for oid, vs in versions.items():
        assert vs == list(range(1, len(vs) + 1)), f"versions of {oid}: {vs[:20]}"
    for save_id, idxs in contents.saves.items():
        n = contents.lines[idxs[0]]["data"]["n"]
        assert len(idxs) == n, f"save {save_id}: {len(idxs)} of {n} events"
        assert idxs == list(range(idxs[0], idxs[0] + n)), f"save {save_id} interleaved"
        assert [contents.lines[i]["data"]["i"] for i in idxs] == list(range(n))
