"""When an action really happened: the business time of the events a command writes.

A shop types in the afternoon's calls or yesterday's paper log: the command
states the time (``--at``) and every event it writes carries it as the
event's own ``timestamp``, which is what the read side folds (SLA clocks,
reports, handovers, ``--as-of``). The log keeps the time of the write as
well: the file store writes ``recorded_at`` on each line, and an event whose
own time is not the time it is saved (a stated time, a past received time,
an imported row) also carries ``recorded_at`` in its payload (the writing
command's clock, :meth:`events.application.ComplaintsApp.save`), so SQLite
and PostgreSQL, which keep no append time, still know it. An event without
that field was recorded at its own time.

The edge states the time around one command (:func:`acting_at`); the
aggregates' events read it when they are made (:func:`event_time`), so no
command method needs a parameter for it. The rules are :func:`check_at`.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, datetime, timedelta

from events.errors import InvalidInput, RuleRefused

#: Clocks of desks and phones drift: a stated time this far ahead of ours is "now".
CLOCK_SKEW = timedelta(minutes=5)

_STATED: ContextVar[datetime | None] = ContextVar("business_time", default=None)


@contextmanager
def acting_at(at: datetime | None) -> Iterator[None]:
    """Within the block, events are made at ``at`` (``None``: at the time they are made)."""
    if at is not None and at.tzinfo is None:
        raise ValueError("a business time needs a time zone")
    token = _STATED.set(at.astimezone(UTC) if at is not None else None)
    try:
        yield
    finally:
        _STATED.reset(token)


def stated() -> datetime | None:
    """The business time the current command stated, if it stated one."""
    return _STATED.get()


def event_time() -> datetime:
    """The ``timestamp`` of an event being made: the stated time, else now (UTC)."""
    at = _STATED.get()
    return at if at is not None else datetime.now(UTC)


def check_future(at: datetime, now: datetime) -> None:
    """A stated time may not be in the future (beyond :data:`CLOCK_SKEW`): exit 2."""
    if at > now + CLOCK_SKEW:
        raise InvalidInput(
            f"--at {at.isoformat(timespec='minutes')} is in the future "
            f"(now is {now.astimezone(UTC).isoformat(timespec='minutes')})"
        )


def check_at(now: datetime, ref: str, previous: datetime | None) -> None:
    """Refuse the stated time of an action on case ``ref`` whose last action was ``previous``.

    Nothing to check when the command stated no time. A time before the
    case's previous action would reorder its history: rule
    ``at-before-previous-action`` (exit 4).
    """
    at = _STATED.get()
    if at is None:
        return
    check_future(at, now)
    if previous is not None and at < previous:
        raise RuleRefused(
            "at-before-previous-action",
            f"--at {at.isoformat(timespec='minutes')} is before {ref}'s previous action "
            f"({previous.astimezone(UTC).isoformat(timespec='minutes')})",
        )
