"""The read models of one store behind one facade, :class:`ReadModels`.

Each area is a module of its own over the checkpointed cache
(:mod:`projections.cache`, shared through :class:`projections.reading.Reading`):

- :mod:`projections.cases`: one case now or as of a time, lists and filters;
- :mod:`projections.customers`: a customer's cases;
- :mod:`projections.deadlines`: the SLA clock of a case, overdue, follow-ups, purge age;
- :mod:`projections.stats`: statistics; :mod:`projections.reports`: the daily report;
- :mod:`projections.groups`, :mod:`projections.handovers`;
- :mod:`projections.audit`: ``history`` and ``log``, one event shape;
- :mod:`projections.actions`: the review actions, open or done.

The facade keeps the method names the commands call; nothing here knows click.
The events come through the :class:`projections.source.EventSource` the edge
builds and hands in; the keyring that opens customers' sealed fields is
passed in too (without one they stay sealed).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from datetime import UTC, date, datetime
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

from events.personal import Keyring
from events.policy import Policy
from projections.cache import Projector
from projections.case import Case
from projections.cases import REFOLD_SHARE, Cases, Filters
from projections.reading import Reading
from projections.settings import ReadSettings, fingerprint
from projections.sla import Clock, Era
from projections.source import EventSource

if TYPE_CHECKING:
    from projections.actions import ReviewActions
    from projections.audit import AuditLog
    from projections.customers import CustomerNotFound, Customers
    from projections.deadlines import Deadlines
    from projections.groups import Groups
    from projections.handovers import Handovers, handover_items
    from projections.periods import Periods
    from projections.reports import AGE_BUCKETS, Reports
    from projections.stats import BY_KEYS, Stats

#: The names this module hands on from the read models' own modules, each imported
#: when first asked for: a read imports only the models it uses (``list`` loads
#: neither the statistics nor the reports; BENCHMARKS.md, issue 14, fifth round).
_LATER = {
    "AGE_BUCKETS": "projections.reports",
    "BY_KEYS": "projections.stats",
    "CustomerNotFound": "projections.customers",
    "handover_items": "projections.handovers",
}


def __getattr__(name: str) -> Any:
    module = _LATER.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    import importlib

    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


__all__ = [
    "AGE_BUCKETS",
    "BY_KEYS",
    "CustomerNotFound",
    "Filters",
    "ReadModels",
    "handover_items",
]


class ReadModels:
    """The read side of one store: caught up on first use."""

    def __init__(
        self,
        source: EventSource,
        store: Path,
        policy: Policy,
        settings: ReadSettings | None = None,
        clock: Callable[[], datetime] | None = None,
        keyring: Keyring | None = None,
        eras: Sequence[Era] = (),
    ) -> None:
        """``eras``: the rules before the latest changes of the shop's settings
        (:class:`projections.sla.Clock`), so older cases keep their own targets."""
        self.policy = policy
        self.settings = settings or ReadSettings()
        self.sla = Clock.of(policy, self.settings, eras)
        self.source = source
        self.projector = Projector(
            store,
            self.source,
            self.sla,
            fingerprint(policy, self.settings, eras),
            keyring=keyring,
        )
        self.now = clock or (lambda: datetime.now(UTC))
        self.reading = r = Reading(
            policy, self.settings, self.sla, self.source, self.projector, keyring, self.now
        )
        self.cases = Cases(r)

    # Each other read model made (and its module imported) on first use.

    @cached_property
    def customers(self) -> Customers:
        from projections.customers import Customers

        return Customers(self.reading)

    @cached_property
    def deadlines(self) -> Deadlines:
        from projections.deadlines import Deadlines

        return Deadlines(self.reading)

    @cached_property
    def statistics(self) -> Stats:
        from projections.stats import Stats

        return Stats(self.reading)

    @cached_property
    def reports(self) -> Reports:
        from projections.reports import Reports

        return Reports(self.reading)

    @cached_property
    def periods(self) -> Periods:
        from projections.periods import Periods

        return Periods(self.reading)

    @cached_property
    def groups(self) -> Groups:
        from projections.groups import Groups

        return Groups(self.reading)

    @cached_property
    def handovers(self) -> Handovers:
        from projections.handovers import Handovers

        return Handovers(self.reading)

    @cached_property
    def audit(self) -> AuditLog:
        from projections.audit import AuditLog

        return AuditLog(self.reading)

    @cached_property
    def review_actions(self) -> ReviewActions:
        from projections.actions import ReviewActions

        return ReviewActions(self.reading)

    def close(self) -> None:
        self.projector.close()

    # -- building ------------------------------------------------------------

    def rebuild(self, progress: Callable[[int, int], None] | None = None) -> dict[str, Any]:
        import resource

        n = self.projector.rebuild(progress)
        db = self.projector.open()
        cases = db.execute("SELECT count(*) FROM cases").fetchone()[0]
        own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        return {
            "events": n,
            "cases": cases,
            "position": self.projector.position(),
            # This process and its helpers together (each one's own peak, summed).
            "peak_memory_mb": round((own + self.projector.helpers_peak_kb) / 1024),
        }

    def catch_up(self) -> None:
        self.projector.open()

    # -- cases ---------------------------------------------------------------

    def case(self, ref: str) -> Case:
        return self.cases.case(ref)

    def case_as_of(
        self, ref: str, at: datetime, seen: list[tuple[str, dict[str, Any]]] | None = None
    ) -> Case:
        return self.cases.case_as_of(ref, at, seen)

    def case_as_recorded(
        self, ref: str, at: datetime, seen: list[tuple[str, dict[str, Any]]] | None = None
    ) -> Case:
        return self.audit.case_as_recorded(ref, at, seen)

    def find(
        self, filters: Filters, limit: int | None = None, as_of: datetime | None = None
    ) -> list[Case]:
        return self.cases.find(filters, limit, as_of)

    def stream(self, filters: Filters) -> Iterator[Case]:
        """Every case matching, one at a time (for output that streams)."""
        return self.cases.stream(filters)

    def any_flagged(self, filters: Filters) -> bool:
        return self.cases.any_flagged(filters)

    def all_as_of(self, at: datetime, share: float = REFOLD_SHARE) -> dict[str, Case]:
        return self.cases.all_as_of(at, share)

    def fold_log_as_of(self, at: datetime) -> dict[str, Case]:
        return self.cases.fold_log_as_of(at)

    def compare_with_log(self) -> list[dict[str, Any]]:
        return self.cases.compare_with_log()

    def customer(self, query: str) -> dict[str, Any]:
        return self.customers.customer(query)

    # -- deadlines -----------------------------------------------------------

    def clock_of(self, ref: str, as_of: datetime | None = None) -> dict[str, Any]:
        return self.deadlines.clock_of(ref, as_of)

    def overdue(self, within_hours: int | None = None) -> dict[str, Any]:
        return self.deadlines.overdue(within_hours)

    def followups(self, within_hours: int = 0) -> list[dict[str, Any]]:
        return self.deadlines.followups(within_hours)

    def purge_candidates(self, days: int, now: datetime) -> list[dict[str, Any]]:
        return self.deadlines.purge_candidates(days, now)

    # -- figures ---------------------------------------------------------------

    def stats(
        self, since: datetime | None, until: datetime | None, by: str | None
    ) -> dict[str, Any]:
        return self.statistics.stats(since, until, by)

    def day_bounds(self, day: date) -> tuple[datetime, datetime]:
        return self.reports.day_bounds(day)

    def report_daily(self, day: date) -> dict[str, Any]:
        return self.reports.report_daily(day)

    def report_period(self, kind: str, first: date) -> dict[str, Any]:
        """``report weekly`` (kind ``week``, from a Monday) or ``monthly`` (``month``)."""
        return self.periods.report_period(kind, first)

    # -- groups and handovers ----------------------------------------------------

    def group(self, name: str) -> dict[str, Any]:
        return self.groups.group(name)

    def shift_window(self, shift: str) -> tuple[datetime, datetime]:
        return self.handovers.shift_window(shift)

    def handover(self, shift: str, at: datetime | None = None) -> dict[str, Any]:
        return self.handovers.handover(shift, at)

    def pending_handover(self, shift: str) -> str | None:
        return self.handovers.pending_handover(shift)

    # -- the audit log -----------------------------------------------------------

    def history(self, ref: str) -> list[dict[str, Any]]:
        return self.audit.history(ref)

    def log(
        self, since: datetime | None = None, until: datetime | None = None
    ) -> Iterator[dict[str, Any]]:
        return self.audit.log(since, until)
