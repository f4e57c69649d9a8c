"""``verify``: the log's hash chain (file store) and every attached file, in one report."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from eventsourcing.persistence import DataError

from complaintctl.attachments import open_store
from complaintctl.integrity import check_counters, walk_log
from complaintctl.migrate import digest_store
from events.application import ComplaintsApp
from projections.source import EventSource


def verify_store(
    app: ComplaintsApp,
    store: Path,
    backend: str,
    raw_config: Mapping[str, Any],
    source: EventSource,
    expect: tuple[int, str] | None = None,
) -> dict[str, Any]:
    """What ``verify --json`` prints: ``ok``, one entry per log file and per attachment,
    the ``stale`` files a killed attach left (reported; the next attach removes them),
    the log's ``head``, the ``digest`` of docs/migrate.md, and the ``problems`` a pass
    over every event found (version gaps, a counter that disagrees with the log)."""
    logs: list[dict[str, Any]] = []
    if backend == "file":
        from complaintctl import filestore

        for report in filestore.verify_store(store):
            logs.append(
                {
                    "file": report.file,
                    "ok": report.ok,
                    "line": report.line,
                    "problem": report.problem,
                    "events": report.events,
                }
            )
    attachments = []
    box = open_store(store, app, raw_config)
    for a in app.iter_attachments():
        problem = box.check(a["sha256"], a["size"])
        attachments.append(
            {
                "ref": a["ref"],
                "name": a["name"],
                "sha256": a["sha256"],
                "ok": problem is None,
                "problem": problem,
            }
        )
    stale = box.stale()
    ok = all(r["ok"] for r in logs) and all(a["ok"] for a in attachments)
    result: dict[str, Any] = {
        "ok": ok,
        "logs": logs,
        "attachments": attachments,
        "stale": stale,
        "head": None,
        "digest": None,
        "problems": [],
    }
    if expect is not None:
        result["expected"] = {"position": expect[0], "hash": expect[1], "found": None, "ok": False}
    if not ok and logs:
        return result | {"ok": False}  # a broken file log: its own report names the line
    try:
        walk = walk_log(source, expect)
        check_counters(walk, app.repository.get)
        result["digest"] = digest_store(app.recorder).digest
    except DataError as e:  # an event the database holds cannot be read
        result["problems"].append({"problem": "unreadable", "detail": f"the log is damaged: {e}"})
        return result | {"ok": False}
    result["head"] = walk.head
    result["problems"] = walk.problems
    if walk.expected is not None:
        result["expected"] = walk.expected
    result["ok"] = ok and walk.ok
    return result
