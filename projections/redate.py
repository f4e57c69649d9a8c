"""A settings change: recompute what depends on the settings, not the whole cache.

The config's time zone, calendar, reply and resolve targets, pause statuses
and follow-up days (the fingerprint of :func:`projections.settings.fingerprint`)
reach the cache in two columns only: ``cases.due`` and ``cases.followup_due``
(:func:`projections.tables.case_row`). The fold (:mod:`projections.case`) and
every other column and table are the same under any settings. So when the
fingerprint changes, the cache keeps its documents and checkpoint, and this
recomputes the two deadlines of the cases that can have one (an open case,
or one resolved or closed: :data:`.sla.FOLLOWUP_STATUSES`); for every other
status both are ``NULL`` under any rules. At 1M events this reads ~half the
case documents instead of refolding the log (figures in BENCHMARKS.md).

The report's counts by local day depend on the time zone: they are counted
again here too (:func:`projections.reportcounts.recount_days`). Anything added
to the cache later that depends on the settings must be recomputed here as well.
"""

from __future__ import annotations

import sqlite3
from typing import Any

import orjson

from events.lifecycle import OPEN
from projections import reportcounts
from projections.sla import FOLLOWUP_STATUSES, Clock

#: Rows read and updated at a time (bounded memory on a big cache).
_PART = 5000


def _epoch(due: Any) -> float | None:
    return due.timestamp() if due is not None else None


def redate(db: sqlite3.Connection, clock: Clock, fingerprint: str) -> int:
    """Recompute every case's deadline columns under ``clock``; record ``fingerprint``.

    Runs in one transaction (the caller holds the cache alone); returns how
    many cases were read.
    """
    statuses = (*OPEN, *FOLLOWUP_STATUSES)
    marks = ",".join("?" * len(statuses))
    n = 0
    db.execute("BEGIN IMMEDIATE")
    try:
        last = 0
        query = (
            f"SELECT seq, doc FROM cases WHERE seq > ? AND status IN ({marks})"
            f" ORDER BY seq LIMIT {_PART}"
        )
        # In parts by ``seq``, each a query of its own: no cursor is open over rows updated.
        while rows := db.execute(query, (last, *statuses)).fetchall():
            out = []
            for seq, doc in rows:
                case = orjson.loads(doc)
                out.append((_epoch(clock.next_due(case)), _epoch(clock.followup_due(case)), seq))
            db.executemany("UPDATE cases SET due = ?, followup_due = ? WHERE seq = ?", out)
            n += len(rows)
            last = rows[-1][0]
        reportcounts.recount_days(db, clock.policy.zone)
        db.execute("INSERT OR REPLACE INTO meta VALUES ('settings', ?)", (fingerprint,))
        db.execute("COMMIT")
    except BaseException:
        if db.in_transaction:
            db.execute("ROLLBACK")
        raise
    return n
