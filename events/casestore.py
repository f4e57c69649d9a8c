"""The write model's plumbing: one case loaded, checked and saved, retried on a collision.

:class:`CaseStore` is what every command of :class:`events.application.ComplaintsApp`
stands on: the mapper (personal fields sealed per customer), the save that
keeps the append time of a back-dated event, the retry of a load-check-save
attempt that met another writer, and the loading of a case by reference.
The commands are in ``events.receipt`` (a new complaint: numbering, customer
files, the major rules at receipt) and ``events.application`` (the rest of
a case's life).
"""

from __future__ import annotations

import random
import time
import typing
from collections.abc import Callable, Iterable, Iterator
from datetime import UTC, datetime
from typing import Any, TypeVar
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError, Application
from eventsourcing.domain import Aggregate
from eventsourcing.persistence import (
    IntegrityError,
    JSONTranscoder,
    Mapper,
    OperationalError,
    Transcoder,
)

from events.businesstime import CLOCK_SKEW, check_at, stated
from events.complaint import Complaint, case_id
from events.errors import (
    CaseNotFound,
    ConcurrentChange,
    GroupNotFound,
)
from events.personal import Keyring
from events.personalmapper import PersonalMapper, PersonalTranscoding
from events.policy import Policy, StaffMember

T = TypeVar("T")
A = TypeVar("A", bound=Aggregate)


class CaseStore(Application[UUID]):
    """The application's plumbing; the persistence module comes from ``env``."""

    name = "Complaints"
    retries = 8
    # The year's counter gains an event per case: a snapshot every so often keeps
    # `new` from replaying the whole year (snapshots are a cache, never history).
    is_snapshotting_enabled = True
    snapshot_every = 100

    def __init__(
        self,
        env: dict[str, str] | None = None,
        *,
        policy: Policy | None = None,
        clock: Callable[[], datetime] | None = None,
        keyring: Keyring | None = None,
        seal_text: bool = False,
    ) -> None:
        # With a keyring, customers' personal fields are sealed per customer
        # (events.personal); the mapper is built in super().__init__, so first.
        self.keyring = keyring
        super().__init__(env)
        self.seal_text = seal_text
        self.policy = policy or Policy()
        #: How many events the last save wrote (0: the command changed nothing).
        self.written = 0
        self.clock = clock or (lambda: datetime.now(UTC))

    def construct_mapper(self) -> Mapper[UUID]:
        """The library's mapper, or with a keyring one that seals personal fields."""
        if self.keyring is None:
            return super().construct_mapper()
        mapper = self.factory.mapper(
            transcoder=self.construct_transcoder(), mapper_class=PersonalMapper
        )
        assert isinstance(mapper, PersonalMapper)
        mapper.keyring = self.keyring
        return mapper

    @property
    def seal_text(self) -> bool:
        """Whether case events' free text is sealed with the customer's key too
        (``[privacy] seal_free_text``; only with a keyring)."""
        return isinstance(self.mapper, PersonalMapper) and self.mapper.seal_text

    @seal_text.setter
    def seal_text(self, on: bool) -> None:
        # Set again once a joined desk has read the shop's rules from the store.
        if isinstance(self.mapper, PersonalMapper):
            self.mapper.seal_text = on

    def construct_transcoder(self) -> Transcoder:
        """The library's JSON transcoder, encoding with orjson (:mod:`events.transcoding`);
        a transcoder named by ``TRANSCODER_TOPIC`` is left as it is."""
        transcoder = self.factory.transcoder()
        if type(transcoder) is JSONTranscoder:
            from events.transcoding import FastJSONTranscoder

            transcoder = FastJSONTranscoder()
        if isinstance(transcoder, JSONTranscoder):
            self.register_transcodings(transcoder)
        return transcoder

    def register_transcodings(self, transcoder: JSONTranscoder) -> None:
        super().register_transcodings(transcoder)
        # Registered even without a keyring: sealed values then read as "[encrypted]".
        transcoder.register(PersonalTranscoding(self.keyring))

    def now(self) -> datetime:
        """The time of the action: the business time the command stated (``--at``), else now."""
        return stated() or self.clock()

    def save(self, *objs: Any, **kwargs: Any) -> Any:
        """Save; events made at a stated time also carry when they were recorded.

        An event whose own time is not now (``--at``, a past ``--received-at``, an
        imported row) gets the saving command's clock in its payload as
        ``recorded_at``: SQLite and PostgreSQL keep no append time of their own
        (:mod:`events.businesstime`).
        """
        pending = [ev for obj in objs for ev in getattr(obj, "pending_events", ())]
        self.written = len(pending)
        self._stamp(pending)
        return super().save(*objs, **kwargs)

    def _stamp(self, events: Iterable[Any]) -> None:
        """Give the events made at a stated time the saving command's clock (``save``)."""
        recorded_at = self.clock()
        at = stated()
        for ev in events:
            if at is not None or ev.timestamp + CLOCK_SKEW < recorded_at:
                vars(ev)["recorded_at"] = recorded_at

    def save_many(self, aggregates: list[Aggregate]) -> None:
        """Save many new or changed aggregates in one atomic batch, as ``save`` does but
        without the library's per-object work a bulk save does not need.

        ``Application.save`` checks each object against the library's runtime
        protocols (slow in Python 3.11: about a third of a big import's save), and
        looks for snapshots to take and processes to notify, which this
        application has none of (its snapshots are taken by hand). The events go
        through the same event store: the same mapper, one ``insert_events``.
        """
        events = [ev for agg in aggregates for ev in agg.collect_events()]
        self._stamp(events)
        self.written = len(events)
        if events:
            self.events.put(events)

    def _replay(self, cls: type[A], aggregate_id: UUID) -> A | None:
        """An aggregate from its events alone (None: it has none), for aggregates that
        never have a snapshot (customer files): the library's ``get`` first looks
        for one, a second read each time."""
        agg: Any = None
        for ev in self.events.get(aggregate_id):
            agg = typing.cast("Any", ev).mutate(agg)
        if agg is None:
            return None
        assert isinstance(agg, cls)
        return agg

    def close(self) -> None:
        super().close()
        close = getattr(self.keyring, "close", None)
        if close is not None:
            close()

    # -- plumbing ----------------------------------------------------------

    def _retrying(self, attempt: Callable[[], T]) -> T:
        """Run a load-check-save attempt again when another writer got there first."""
        for n in range(self.retries):
            try:
                return attempt()
            except IntegrityError:
                time.sleep(random.uniform(0, 0.01 * (n + 1)))  # jitter: writers drift apart
        raise ConcurrentChange(
            f"another writer kept changing the same records; gave up after {self.retries} tries"
        )

    def _snapshot(self, aggregate_id: UUID) -> None:
        """Take a snapshot; failing to is harmless (the events are saved already)."""
        try:
            self.take_snapshot(aggregate_id)
        except (IntegrityError, OperationalError) as e:
            import logging  # loaded only here: no write imports it otherwise

            logging.getLogger(__name__).warning("no snapshot of %s: %s", aggregate_id, e)

    def _load(self, cls: type[A], aggregate_id: UUID) -> A | None:
        try:
            agg: object = self.repository.get(aggregate_id)
        except AggregateNotFoundError:
            return None
        assert isinstance(agg, cls)
        return agg

    def _case(self, ref: str) -> Complaint:
        case = self._load(Complaint, case_id(ref))
        if case is None:
            raise CaseNotFound(ref.strip().upper())
        return case

    def _staff(self, actor: str) -> StaffMember:
        """The acting staff member of a writing command (auditors are refused here)."""
        return self.policy.writer(actor)

    def _change(self, ref: str, actor: str, act: Callable[[Complaint, StaffMember], object]) -> str:
        """Load, check and save one case; return its reference."""

        def attempt() -> str:
            staff = self._staff(actor)
            case = self._case(ref)
            check_at(self.clock(), case.ref, case.modified_on)
            act(case, staff)
            self.written = 0
            if case.pending_events:
                self.save(case)
            return case.ref

        return self._retrying(attempt)

    # -- queries -------------------------------------------------------------

    def check_case(self, ref: str) -> str:
        """The case's reference as stored; CaseNotFound (exit 3) if there is no such case."""
        return self._case(ref).ref

    def get_group(self, name: str) -> dict[str, Any]:
        from events.groups import CaseGroup, group_id  # its aggregate: only for groups

        g = self._load(CaseGroup, group_id(name))
        if g is None:
            raise GroupNotFound(name)
        return {"name": g.name, "members": list(g.members), "opened_by": g.opened_by}

    def iter_attachments(self) -> Iterator[dict[str, Any]]:
        """Every attachment recorded in the store: its case's reference, name, size, SHA-256."""
        refs: dict[UUID, str] = {}
        start: int | None = None
        while True:
            batch = self.recorder.select_notifications(
                start, 500, topics=["complaints:Attached"], inclusive_of_start=start is None
            )
            if not batch:
                return
            for n in batch:
                ev = self.mapper.to_domain_event(n)
                oid = ev.originator_id
                if oid not in refs:
                    refs[oid] = self._case_by_id(oid).ref
                d = vars(ev)
                yield {
                    "ref": refs[oid],
                    "name": d["name"],
                    "size": d["size"],
                    "sha256": d["sha256"],
                }
            start = batch[-1].id

    def _case_by_id(self, oid: UUID) -> Complaint:
        agg: object = self.repository.get(oid)
        assert isinstance(agg, Complaint)
        return agg
