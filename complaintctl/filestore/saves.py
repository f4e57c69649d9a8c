"""What the log's append queues and checks per save, before any line is written."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from eventsourcing.persistence import StoredEvent, Tracking


class _Save:
    """One caller's batch, queued for the write lock (see :meth:`Log.append`).

    A plain class (a ``@dataclass`` compiles its methods at import: BENCHMARKS.md,
    issue 14, fourth round); compared by identity.
    """

    __slots__ = ("done", "error", "events", "ids", "plain_json", "tracking")

    def __init__(
        self,
        events: Sequence[StoredEvent],
        tracking: Tracking | None,
        plain_json: bool = False,
        ids: list[int] | None = None,
        error: BaseException | None = None,
        done: bool = False,
    ) -> None:
        self.events = events
        self.tracking = tracking
        self.plain_json = plain_json
        self.ids: list[int] = [] if ids is None else ids
        self.error = error
        self.done = done

    def __repr__(self) -> str:
        return (
            f"_Save(events={self.events!r}, tracking={self.tracking!r}, ids={self.ids!r}, "
            f"error={self.error!r}, done={self.done!r})"
        )


def versions_once(
    events: Sequence[StoredEvent], oids: Sequence[str], claimed: set[tuple[str, int]]
) -> set[tuple[str, int]]:
    """The save's (aggregate, version) pairs; IntegrityError if one is twice in the save
    or in ``claimed`` (taken by an earlier save of the same write).

    As sets at C speed (a bulk save holds thousands); the first offending event in the
    save's order is named, as a loop over them would.
    """
    keys = set(zip(oids, [ev.originator_version for ev in events], strict=True))
    if len(keys) < len(events) or not claimed.isdisjoint(keys):
        from eventsourcing.persistence import IntegrityError

        seen: set[tuple[str, int]] = set()
        for oid, ev in zip(oids, events, strict=True):
            key = (oid, ev.originator_version)
            if key in seen:
                raise IntegrityError(f"version {key[1]} of {oid} twice in one save")
            if key in claimed:
                raise IntegrityError(f"version {key[1]} of {oid} is already recorded")
            seen.add(key)
    return keys
