"""What the read-model cache holds: its tables, the row of a case, and the small folds.

:mod:`projections.cache` keeps these tables caught up with the log; the
read models (``projections.cases`` and the others) query them. The case
document is :mod:`projections.case`'s fold; groups and handovers are small
enough to fold here (:func:`fold_group`, :func:`fold_handover`).
"""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

import orjson

from events.topics import GROUP_TOPICS, HANDOVER_TOPICS
from projections.case import Case, epoch, priority, val
from projections.sla import Clock

SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS cases (
    seq INTEGER PRIMARY KEY,
    id TEXT NOT NULL UNIQUE,
    ref TEXT NOT NULL UNIQUE,
    status TEXT NOT NULL,
    owner TEXT,
    category TEXT,
    severity TEXT,
    channel TEXT,
    customer TEXT,
    contact TEXT,
    contact_key TEXT,
    account_key TEXT,
    groups TEXT,
    remedy_state TEXT,
    priority INTEGER,
    open_actions INTEGER,
    received REAL,
    due REAL,
    followup_due REAL,
    updated REAL,
    doc BLOB NOT NULL
);
CREATE TABLE IF NOT EXISTS activity (
    ts REAL NOT NULL,
    case_id TEXT NOT NULL,
    kind TEXT NOT NULL,
    actor TEXT,
    detail TEXT
);
CREATE TABLE IF NOT EXISTS groups (
    key TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    opened_by TEXT,
    opened_at TEXT,
    members TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS handovers (
    id TEXT PRIMARY KEY,
    shift TEXT NOT NULL,
    recorded_by TEXT,
    recorded_at REAL,
    accepted_by TEXT,
    accepted_at REAL,
    doc BLOB NOT NULL
);
"""

# Created after the bulk load of a rebuild (an index built once is faster than kept up).
INDEXES = """
CREATE INDEX IF NOT EXISTS cases_status ON cases (status, received);
CREATE INDEX IF NOT EXISTS cases_priority ON cases (priority, received);
CREATE INDEX IF NOT EXISTS cases_actions ON cases (open_actions) WHERE open_actions IS NOT NULL;
CREATE INDEX IF NOT EXISTS cases_received ON cases (received);
CREATE INDEX IF NOT EXISTS cases_owner ON cases (owner);
CREATE INDEX IF NOT EXISTS cases_customer ON cases (customer);
CREATE INDEX IF NOT EXISTS cases_contact ON cases (contact);
CREATE INDEX IF NOT EXISTS cases_contact_key ON cases (contact_key);
CREATE INDEX IF NOT EXISTS cases_account_key ON cases (account_key) WHERE account_key IS NOT NULL;
CREATE INDEX IF NOT EXISTS cases_due ON cases (due) WHERE due IS NOT NULL;
CREATE INDEX IF NOT EXISTS cases_followup ON cases (followup_due) WHERE followup_due IS NOT NULL;
CREATE INDEX IF NOT EXISTS activity_ts ON activity (ts);
CREATE INDEX IF NOT EXISTS activity_kind ON activity (kind, ts, case_id);
CREATE INDEX IF NOT EXISTS cases_updated ON cases (updated);
CREATE INDEX IF NOT EXISTS cases_groups ON cases (groups) WHERE groups IS NOT NULL;
CREATE INDEX IF NOT EXISTS cases_major ON cases (status) WHERE severity = 'major';
CREATE INDEX IF NOT EXISTS cases_channel ON cases (channel, status);
"""

#: Which events leave a dated row in ``activity`` (the kind it is counted as).
ACTIVITY = {
    "complaints:Received": "received",
    "complaints:Acknowledged": "acknowledged",
    "complaints:Resolved": "resolved",
    "complaints:Closed": "closed",
    "complaints:Escalated": "escalated",
    "complaints:Reopened": "reopened",
    "complaints:FollowedUp": "followed_up",
    "complaints:Withdrawn": "withdrawn",
}
GROUP_OPENED = "complaints:GroupOpened"
HANDOVER_RECORDED = "complaints:HandoverRecorded"
assert GROUP_OPENED in GROUP_TOPICS and HANDOVER_RECORDED in HANDOVER_TOPICS


def person_key(text: str | None) -> str | None:
    """A contact or account as the write model's customer key compares it (no spaces, no case)."""
    key = "".join((text or "").split()).casefold()
    return key or None


def case_row(case: Case, clock: Clock) -> tuple[Any, ...]:
    """The cases row of a state: filter columns, deadlines, and the JSON document."""
    due = clock.next_due(case)
    fdue = clock.followup_due(case)
    return (
        case["_"]["id"],
        case["ref"],
        case["status"],
        case["owner"],
        case["category"],
        case["severity"],
        case["channel"],
        case["customer"],
        case["contact"],
        person_key(case["contact"]),
        person_key(case.get("account")),
        "|" + "|".join(g.strip().casefold() for g in case["groups"]) + "|"
        if case["groups"]
        else None,
        case.get("remedy_state"),
        priority(case),
        sum(1 for a in case["review_actions"] if not a["done"]) or None,
        epoch(case["received_at"]),
        due.timestamp() if due else None,
        fdue.timestamp() if fdue else None,
        epoch(case["updated_at"]),
        orjson.dumps(case),
    )


# A replaced row gets a new ``seq`` at the end of the table: rows (and their large
# documents) are written in order instead of into random pages of a uuid-keyed tree.
CASE_COLUMNS = (
    "id, ref, status, owner, category, severity, channel,"
    " customer, contact, contact_key, account_key, groups, remedy_state, priority, open_actions,"
    " received, due, followup_due, updated, doc"
)
UPSERT = f"INSERT OR REPLACE INTO cases ({CASE_COLUMNS}) VALUES ({','.join('?' * 20)})"


#: The page size of a cache file (set when a rebuild creates it).
PAGE_SIZE = 16384


def bulk_db(path: Path) -> sqlite3.Connection:
    """A cache file being built: no journal, no fsync (it is renamed into place when done)."""
    db = sqlite3.connect(path, isolation_level=None)
    # Case documents are ~3 KB: in SQLite's default 4 KB pages each fills a page of its
    # own, and every index built after the bulk load scans them all page by page.
    # 16 KB pages hold five (measured: bulk insert ~1.4x, index builds ~1.7x faster).
    db.execute(f"PRAGMA page_size={PAGE_SIZE}")
    db.execute("PRAGMA journal_mode=OFF")
    db.execute("PRAGMA synchronous=OFF")
    db.executescript(SCHEMA)
    return db


def fold_group(g: dict[str, Any] | None, topic: str, data: dict[str, Any]) -> dict[str, Any] | None:
    """A group complaint after one of its events (``None``: not opened in this log)."""
    if topic == GROUP_OPENED:
        return {
            "name": data["name"],
            "opened_by": data.get("actor"),
            "opened_at": val(data["timestamp"]),
            "members": [],
        }
    if g is not None:
        g["members"].extend(r for r in data.get("refs", []) if r not in g["members"])
    return g


def group_row(key: str, g: dict[str, Any]) -> tuple[Any, ...]:
    return (key, g["name"], g["opened_by"], g["opened_at"], orjson.dumps(g["members"]))


def fold_handover(
    h: dict[str, Any] | None, oid: str, topic: str, data: dict[str, Any]
) -> dict[str, Any] | None:
    """A shift handover after one of its events (``None``: not recorded in this log)."""
    ts = val(data["timestamp"])
    if topic == HANDOVER_RECORDED:
        return {
            "id": oid,
            "shift": data["shift"],
            "recorded_by": data.get("actor"),
            "recorded_at": ts,
            "note": data.get("note"),
            "items": data.get("items", []),
            "accepted_by": None,
            "accepted_at": None,
        }
    if h is not None:
        h["accepted_by"] = data.get("actor")
        h["accepted_at"] = ts
    return h


def handover_row(key: str, h: dict[str, Any]) -> tuple[Any, ...]:
    return (
        key,
        h["shift"],
        h["recorded_by"],
        epoch(h["recorded_at"]),
        h["accepted_by"],
        epoch(h["accepted_at"]),
        orjson.dumps(h),
    )
