"""Checking a log from its first line: JSON, chain, positions, versions, commits."""

from __future__ import annotations

import contextlib
import os
from pathlib import Path
from typing import Any

from complaintctl.filestore import lines
from complaintctl.filestore.errors import os_reason
from complaintctl.filestore.lines import GENESIS
from complaintctl.filestore.lock import shared_lock

LOG_NAMES = ("events.jsonl", "snapshots.jsonl", "tracking.jsonl")


class VerifyReport:
    """What :func:`verify_store` found in one log file.

    A plain class with a dataclass's ``__init__``, ``__eq__`` and ``__repr__``: a
    ``@dataclass`` compiles its methods at import, and every read of the file store
    imports this module (BENCHMARKS.md, issue 14, fourth round).
    """

    _FIELDS = ("file", "ok", "lines", "events", "line", "problem", "last_hash", "notes")

    def __init__(
        self,
        file: str,
        ok: bool = True,
        lines: int = 0,
        events: int = 0,
        line: int | None = None,
        problem: str | None = None,
        last_hash: str = GENESIS,
        notes: list[str] | None = None,
    ) -> None:
        self.file = file
        self.ok = ok
        self.lines = lines
        self.events = events
        self.line = line
        self.problem = problem
        self.last_hash = last_hash
        self.notes: list[str] = [] if notes is None else notes

    def __eq__(self, other: object) -> bool:
        if other.__class__ is not VerifyReport:
            return NotImplemented
        return all(getattr(self, n) == getattr(other, n) for n in self._FIELDS)

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        inner = ", ".join(f"{n}={getattr(self, n)!r}" for n in self._FIELDS)
        return f"VerifyReport({inner})"

    def to_dict(self) -> dict[str, Any]:
        return {
            "file": self.file,
            "ok": self.ok,
            "lines": self.lines,
            "events": self.events,
            "line": self.line,
            "problem": self.problem,
            "last_hash": self.last_hash,
            "notes": list(self.notes),
        }


def verify_store(path: str | Path) -> list[VerifyReport]:
    """Verify every log file of a file store directory (see ``docs/storage.md``)."""
    directory = Path(path)
    return [verify_log(directory / n) for n in LOG_NAMES if (directory / n).exists()]


def verify_log(path: Path) -> VerifyReport:
    """Walk one log from its first line.

    An unfinished last write is only reported as damage if it is still there
    once the writers' lock is held (a live writer may be finishing it).
    """
    report = VerifyReport(file=str(path))
    try:
        fd = os.open(path, os.O_RDONLY)
    except FileNotFoundError:
        return report
    except OSError as e:
        report.ok, report.problem = False, f"cannot read: {os_reason(e)}"
        return report
    try:
        _walk(fd, path, report, None)
    finally:
        os.close(fd)
    return report


def check_chain(fd: int, path: Path, end: int) -> VerifyReport:
    """A writer's check of the committed part ``[0, end)`` (the tail is its own business)."""
    report = VerifyReport(file=str(path))
    _walk(fd, path, report, end)
    return report


def _walk(fd: int, path: Path, report: VerifyReport, end: int | None) -> None:
    prev_hash = GENESIS
    position = 0
    versions: dict[str, int] = {}
    uncommitted_from: int | None = None  # line number where an open batch began
    offset = 0
    size = os.fstat(fd).st_size if end is None else end
    lock_checked = False
    while True:
        for link in lines.walk(fd, offset, size, prev_hash):
            offset = link.offset + link.size
            lineno = report.lines = report.lines + 1

            def bad(why: str, n: int = lineno) -> None:
                report.ok, report.line, report.problem = False, n, why

            line = link.line
            if line is None:
                return bad(f"bad line: {link.problem}")
            if not link.chained:
                return bad("broken hash chain (the line or the one before it was changed)")
            prev_hash = line.hash
            h = line.header
            if "position" in h:
                position += 1
                if h.get("position") != position:
                    return bad(f"gap in positions: found {h.get('position')}, expected {position}")
                oid, version = h.get("originator_id"), h.get("version")
                if not isinstance(oid, str) or not isinstance(version, int):
                    return bad("missing originator_id or version")
                last = versions.get(oid)
                if last is not None and version <= last:
                    return bad(f"version out of order for {oid}: {version} after {last}")
                versions[oid] = version
                report.events += 1
            elif "tracking" not in h:
                return bad("neither an event nor a tracking record")
            if h.get("commit") is True:
                uncommitted_from = None
                report.last_hash = line.hash
            elif uncommitted_from is None:
                uncommitted_from = lineno
        if end is not None:
            return None
        new_size = os.fstat(fd).st_size
        if offset >= new_size and uncommitted_from is None:
            return None
        if new_size > size:
            size = new_size
            continue
        if not lock_checked:
            # Something unfinished at the end: wait for any live writer, then look again.
            lock_checked = True
            with contextlib.suppress(OSError), shared_lock(path.with_suffix(".lock")):
                size = os.fstat(fd).st_size
            continue
        n = uncommitted_from if uncommitted_from is not None else report.lines + 1
        report.ok, report.line = False, n
        report.problem = (
            "unfinished write at the end of the log (a writer died; "
            "the next write moves it to quarantine/)"
        )
        return None
