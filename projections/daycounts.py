"""The cases of each day and kind, counted once and kept in the cache (issue 14, goal 7).

The seven-day trend of ``report daily`` counts, per day of the shop's zone,
the cases received, acknowledged, resolved, ... that day (a case escalated
twice is one escalated case). Counted from the ``activity`` rows at each
report, that is a scan of every row of the week: 200,000 index entries for a
shop whose backlog is all this week's. Here the counts are kept instead:

- ``day_counts (day, kind, cases)``: what the trend reads, seven days in one
  indexed range;
- ``day_marks (day, kind, case_id)``: which case is counted already, so a
  case's second escalation on a day does not count again.

The cache's catch-up counts the ``activity`` rows it has just written
(:func:`count_since`); a rebuild counts the whole table once, day by day,
over the ``activity_kind`` index (:func:`build`). The days are those of the
shop's zone, which is part of the cache's settings fingerprint: a changed
zone rebuilds the cache and these counts with it.
"""

from __future__ import annotations

import sqlite3
from collections import Counter
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from projections.tables import ACTIVITY

SCHEMA = """
CREATE TABLE IF NOT EXISTS day_counts (
    day TEXT NOT NULL,
    kind TEXT NOT NULL,
    cases INTEGER NOT NULL,
    PRIMARY KEY (day, kind)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS day_marks (
    day TEXT NOT NULL,
    kind TEXT NOT NULL,
    case_id TEXT NOT NULL,
    PRIMARY KEY (day, kind, case_id)
) WITHOUT ROWID;
"""

#: Every kind the ``activity`` table holds (one home: :data:`projections.tables.ACTIVITY`).
KINDS = tuple(dict.fromkeys(ACTIVITY.values()))
_ONE_DAY = timedelta(days=1)


def day_bounds(day: date, zone: ZoneInfo) -> tuple[datetime, datetime]:
    """The day's first instant and the next day's, in ``zone`` (what a report calls a day)."""
    return datetime.combine(day, time(0), zone), datetime.combine(day + _ONE_DAY, time(0), zone)


def day_of(ts: float, zone: ZoneInfo) -> date:
    """The day whose :func:`day_bounds` hold ``ts`` (also where midnight is skipped by DST)."""
    day = datetime.fromtimestamp(ts, zone).date()
    start, end = day_bounds(day, zone)
    if ts < start.timestamp():
        return day - _ONE_DAY
    if ts >= end.timestamp():
        return day + _ONE_DAY
    return day


def last_activity(db: sqlite3.Connection) -> int:
    """The last ``activity`` row's id: what :func:`count_since` counts from after a fold."""
    row = db.execute("SELECT max(rowid) FROM activity").fetchone()
    return int(row[0] or 0)


def count_since(db: sqlite3.Connection, after: int, zone: ZoneInfo) -> int:
    """Count the ``activity`` rows written after row ``after``; return the new (case, day)s.

    Run in the catch-up's transaction, so the counts move with the checkpoint.
    """
    added: Counter[tuple[str, str]] = Counter()
    rows = db.execute(
        "SELECT ts, kind, case_id FROM activity WHERE rowid > ? ORDER BY rowid", (after,)
    ).fetchall()
    for ts, kind, case_id in rows:
        day = day_of(ts, zone).isoformat()
        cur = db.execute("INSERT OR IGNORE INTO day_marks VALUES (?, ?, ?)", (day, kind, case_id))
        if cur.rowcount == 1:
            added[day, kind] += 1
    db.executemany(
        "INSERT INTO day_counts VALUES (?, ?, ?)"
        " ON CONFLICT (day, kind) DO UPDATE SET cases = cases + excluded.cases",
        [(day, kind, n) for (day, kind), n in added.items()],
    )
    return sum(added.values())


def build(db: sqlite3.Connection, zone: ZoneInfo) -> None:
    """Count a freshly built cache's whole ``activity`` table (its indexes made already).

    One pass per day that has activity (the next such day found through the
    ``activity_ts`` index), each a range of the covering ``activity_kind``
    index; the counts are then those of the marks.
    """
    db.executescript(SCHEMA)
    kinds = ",".join("?" * len(KINDS))
    mark = (
        "INSERT OR IGNORE INTO day_marks (day, kind, case_id)"
        f" SELECT ?, kind, case_id FROM activity WHERE kind IN ({kinds}) AND ts >= ? AND ts < ?"
    )
    db.execute("BEGIN")
    (ts,) = db.execute("SELECT min(ts) FROM activity").fetchone()
    while ts is not None:
        day = day_of(ts, zone)
        start, end = (b.timestamp() for b in day_bounds(day, zone))
        db.execute(mark, (day.isoformat(), *KINDS, start, end))
        (ts,) = db.execute("SELECT min(ts) FROM activity WHERE ts >= ?", (end,)).fetchone()
    db.execute(
        "INSERT INTO day_counts SELECT day, kind, count(*) FROM day_marks GROUP BY day, kind"
    )
    db.execute("COMMIT")


def counts(db: sqlite3.Connection, first: date, last: date) -> dict[tuple[str, str], int]:
    """The cases per (day, kind) from ``first`` to ``last`` (both included; none: absent)."""
    rows = db.execute(
        "SELECT day, kind, cases FROM day_counts WHERE day >= ? AND day <= ?",
        (first.isoformat(), last.isoformat()),
    )
    return {(day, kind): n for day, kind, n in rows}
