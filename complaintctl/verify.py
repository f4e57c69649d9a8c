"""``verify``: the log's hash chain (file store) and every attached file, in one report."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from complaintctl.attachments import open_store
from events.application import ComplaintsApp


def verify_store(
    app: ComplaintsApp, store: Path, backend: str, raw_config: Mapping[str, Any]
) -> dict[str, Any]:
    """What ``verify --json`` prints: ``ok``, one entry per log file and per attachment,
    and the ``stale`` files a killed attach left (reported; the next attach removes them)."""
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
    return {"ok": ok, "logs": logs, "attachments": attachments, "stale": stale}
