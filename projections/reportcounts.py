"""The counts a report needs, kept in the cache where an indexed query reaches them.

``report daily`` at 200,000 open cases should cost what it costs at 1,000
(issue 14, goal 7). Two of its figures count cases that the report does not
name, and counting them at each report scanned an index entry per case:

- the seven-day trend: per day of the shop's zone, the cases received,
  acknowledged, resolved, ... that day (a case escalated twice is one
  escalated case). ``day_counts (day, kind, cases)`` holds them, seven days
  one indexed range; ``day_marks (day, kind, case_id)`` says which case is
  counted already. The cache's catch-up counts the ``activity`` rows it has
  just written (:func:`count_since`).
- the backlog by age: ``open_hours (hour, cases)``, the open cases per hour
  of receipt (``hour``: ``floor(received / 3600)``), kept by triggers on
  ``cases`` as its rows are written; a bucket of ages is the sum of the
  whole hours inside it plus the cases of its two partial hours, counted
  over the ``(status, received)`` index (:func:`open_received`).

A rebuild counts both once, after its bulk load and its indexes
(:func:`build`), and only then adds the triggers. The days are those of the
shop's zone, which is part of the cache's settings fingerprint (a changed
fingerprint counts the days again, :func:`recount_days`; the open hours are
UTC's and stay); the open statuses are
:data:`events.lifecycle.OPEN`, written into the triggers when a cache is
built (a change of them needs a new cache format).
"""

from __future__ import annotations

import math
import sqlite3
from collections import Counter
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from events.lifecycle import OPEN
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
CREATE TABLE IF NOT EXISTS open_hours (hour INTEGER PRIMARY KEY, cases INTEGER NOT NULL);
"""

_OPEN = ",".join(f"'{s}'" for s in OPEN)


def _hour(col: str) -> str:
    """SQL for ``floor(col / 3600)``: a truncation, one less where it went up (negatives)."""
    trunc = f"CAST({col} / 3600 AS INTEGER)"
    return f"({trunc} - ({col} < {trunc} * 3600))"


#: The open cases' hours follow every write of ``cases``: a replaced row (INSERT OR
#: REPLACE, which fires no delete trigger while recursive triggers are off) leaves its
#: hour before the new row joins its own.
TRIGGERS = f"""
CREATE TRIGGER IF NOT EXISTS open_hours_replaced BEFORE INSERT ON cases BEGIN
    UPDATE open_hours SET cases = cases - 1 WHERE hour = (
        SELECT {_hour("received")} FROM cases
        WHERE id = NEW.id AND status IN ({_OPEN}) AND received IS NOT NULL);
END;
CREATE TRIGGER IF NOT EXISTS open_hours_inserted AFTER INSERT ON cases
WHEN NEW.status IN ({_OPEN}) AND NEW.received IS NOT NULL BEGIN
    INSERT OR IGNORE INTO open_hours VALUES ({_hour("NEW.received")}, 0);
    UPDATE open_hours SET cases = cases + 1 WHERE hour = {_hour("NEW.received")};
END;
CREATE TRIGGER IF NOT EXISTS open_hours_updated AFTER UPDATE OF status, received ON cases BEGIN
    UPDATE open_hours SET cases = cases - 1
    WHERE OLD.status IN ({_OPEN}) AND hour = {_hour("OLD.received")};
    INSERT OR IGNORE INTO open_hours SELECT {_hour("NEW.received")}, 0
    WHERE NEW.status IN ({_OPEN}) AND NEW.received IS NOT NULL;
    UPDATE open_hours SET cases = cases + 1
    WHERE NEW.status IN ({_OPEN}) AND hour = {_hour("NEW.received")};
END;
CREATE TRIGGER IF NOT EXISTS open_hours_deleted AFTER DELETE ON cases BEGIN
    UPDATE open_hours SET cases = cases - 1
    WHERE OLD.status IN ({_OPEN}) AND hour = {_hour("OLD.received")};
END;
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
    """Count a freshly built cache's ``activity`` and open cases (its indexes made already).

    The days: :func:`_count_days`. The open hours: one grouped pass over the
    open cases. Then the triggers.
    """
    db.executescript(SCHEMA)
    db.execute("BEGIN")
    _count_days(db, zone)
    db.execute(
        f"INSERT INTO open_hours SELECT {_hour('received')}, count(*) FROM cases"
        f" WHERE status IN ({_OPEN}) AND received IS NOT NULL GROUP BY 1"
    )
    db.execute("COMMIT")
    db.executescript(TRIGGERS)


def recount_days(db: sqlite3.Connection, zone: ZoneInfo) -> None:
    """The shop's zone may have changed: count the days again (the open hours are UTC's).

    Called with the settings' other recomputations (:func:`projections.redate.redate`),
    inside the caller's transaction.
    """
    db.execute("DELETE FROM day_marks")
    db.execute("DELETE FROM day_counts")
    _count_days(db, zone)


def _count_days(db: sqlite3.Connection, zone: ZoneInfo) -> None:
    """One pass per day of ``zone`` that has activity (the next such day found through
    the ``activity_ts`` index), each a range of the covering ``activity_kind`` index;
    the counts are then those of the marks."""
    kinds = ",".join("?" * len(KINDS))
    mark = (
        "INSERT OR IGNORE INTO day_marks (day, kind, case_id)"
        f" SELECT ?, kind, case_id FROM activity WHERE kind IN ({kinds}) AND ts >= ? AND ts < ?"
    )
    (ts,) = db.execute("SELECT min(ts) FROM activity").fetchone()
    while ts is not None:
        day = day_of(ts, zone)
        start, end = (b.timestamp() for b in day_bounds(day, zone))
        db.execute(mark, (day.isoformat(), *KINDS, start, end))
        (ts,) = db.execute("SELECT min(ts) FROM activity WHERE ts >= ?", (end,)).fetchone()
    db.execute(
        "INSERT INTO day_counts SELECT day, kind, count(*) FROM day_marks GROUP BY day, kind"
    )


def counts(db: sqlite3.Connection, first: date, last: date) -> dict[tuple[str, str], int]:
    """The cases per (day, kind) from ``first`` to ``last`` (both included; none: absent)."""
    rows = db.execute(
        "SELECT day, kind, cases FROM day_counts WHERE day >= ? AND day <= ?",
        (first.isoformat(), last.isoformat()),
    )
    return {(day, kind): n for day, kind, n in rows}


def open_received(db: sqlite3.Connection, after: float, before: float, upto: bool) -> int:
    """The open cases received after ``after`` and before ``before`` (``upto``: or at it).

    ``after`` may be ``-inf``. Whole hours between are summed from ``open_hours``;
    the two partial hours at the ends are counted over the ``(status, received)``
    index, at most an hour's receipts each.
    """
    marks = ",".join("?" * len(OPEN))
    count = f"SELECT count(*) FROM cases WHERE status IN ({marks}) AND received > ? AND received"

    def exact(lo: float, hi: float, closed: bool) -> int:
        (n,) = db.execute(f"{count} {'<=' if closed else '<'} ?", (*OPEN, lo, hi)).fetchone()
        return int(n)

    last = math.floor(before / 3600)  # the hour holding ``before``: partial
    if last * 3600 > before:  # the division rounded up
        last -= 1
    first = None if math.isinf(after) else math.floor(after / 3600) + 1  # whole from here
    if first is not None and first >= last:
        return exact(after, before, upto)
    (whole,) = db.execute(
        "SELECT coalesce(sum(cases), 0) FROM open_hours WHERE hour >= ? AND hour < ?",
        (first if first is not None else -(2**62), last),
    ).fetchone()
    head = exact(after, first * 3600, False) if first is not None else 0
    # The hour holding ``before``, from its start (``received > start - ...`` is not it):
    (tail,) = db.execute(
        f"SELECT count(*) FROM cases WHERE status IN ({marks}) AND received >= ?"
        f" AND received {'<=' if upto else '<'} ?",
        (*OPEN, last * 3600, before),
    ).fetchone()
    return int(whole) + head + int(tail)
