"""``bench/report_at.py`` gives the report the command line gives, at a fixed instant.

It is how two installs' reports are compared byte for byte (BENCHMARKS.md, issue
14): it must read the rules the CLI reads (the store's settings events and their
eras, not only the desk's file) and leave the read-model cache under the CLI's
settings fingerprint, or each would refold the other's deadlines.
"""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

REPORT_AT = Path(__file__).resolve().parent.parent / "bench" / "report_at.py"
CLI = Path(sys.executable).with_name("complaintctl")
ACTOR = "陈总"


def run(*argv: str) -> str:
    env = {**os.environ, "COMPLAINTCTL_LANG": "en"}
    r = subprocess.run(argv, capture_output=True, text=True, env=env, check=False)
    assert r.returncode == 0, r.stderr[-2000:]
    return r.stdout


def cli(store: Path, *args: str) -> str:
    return run(str(CLI), "--store", str(store), "--actor", ACTOR, *args)


def fingerprint(store: Path) -> str:
    with sqlite3.connect(store / "cache" / "projections.sqlite") as db:
        (value,) = db.execute("SELECT value FROM meta WHERE key = 'settings'").fetchone()
    return str(value)


def settled(doc: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in doc.items() if k != "as_of"}


def test_the_report_of_the_cli_at_the_instant_on_the_store_s_rules(tmp_path: Path) -> None:
    store = tmp_path / "s"
    cli(store, "init", "--preset", "car-service")
    since = (datetime.now(UTC) - timedelta(days=10)).strftime("%Y-%m-%dT%H:%M")
    # Long targets in the store's settings (an event), dated before the receipt: under
    # the desk file's 24-hour ones the case would be overdue.
    for key in ("reply.hours", "reply.major_hours", "reply.resolve_hours"):
        cli(store, "config", "set", key, "720", "--at", since)
    received = (datetime.now(UTC) - timedelta(days=2)).strftime("%Y-%m-%dT%H:%MZ")
    cli(store, "new", "--customer", "王先生", "--contact", "13800000000", "--channel", "phone",
        "--category", "billing", "--summary", "账单多收费", "--received-at", received)  # fmt: skip
    by_cli = json.loads(cli(store, "report", "daily", "--json"))
    before = fingerprint(store)
    # A whole second after the last event (the log's head at the instant is in the report).
    at = datetime.now(UTC).replace(microsecond=0) + timedelta(seconds=1)
    out = run(sys.executable, str(REPORT_AT), str(store), at.isoformat())
    report = json.loads(out)
    assert report["as_of"] == at.isoformat()
    assert report["overdue_cases"] == [] and report["totals"]["overdue"] == 0
    ages = {b["age"]: b["cases"] for b in report["backlog"]["by_age"]}
    assert report["backlog"]["open"] == 1 and ages["1-3 days"] == 1
    assert settled(report) == settled(by_cli)
    assert fingerprint(store) == before  # the CLI's cache, not one under other rules
    again = run(sys.executable, str(REPORT_AT), str(store), at.isoformat())
    assert again == out  # the same instant, the same bytes
    # Every open case folded instead of the kept counts: the same report.
    assert run(sys.executable, str(REPORT_AT), "--full-scan", str(store), at.isoformat()) == out
