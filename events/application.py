"""``ComplaintsApp``: the command methods (get -> check -> call -> save).

Every command takes the actor's name, loads the case afresh, lets the
aggregate check its rules, saves, and returns the case's reference: what a
case looks like is the read side's business (``projections.case`` folds the
saved events into the document that commands print). A save that meets a concurrent change
(``IntegrityError``) is retried from the reload, so the rules are checked
again against what the other writer did; after a few tries it gives up with
:class:`ConcurrentChange`. A refused command raises before anything is saved.
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, nullcontext
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from functools import partial
from typing import Any, TypeVar
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError, Application
from eventsourcing.domain import Aggregate
from eventsourcing.persistence import IntegrityError, JSONTranscoder, Mapper, OperationalError

from events.businesstime import CLOCK_SKEW, acting_at, check_at, check_future, stated
from events.complaint import Complaint, case_id
from events.currencies import currency_code
from events.customers import (
    CustomerFile,
    customer_files,
    customer_key,
    linked_files,
)
from events.errors import (
    CaseNotFound,
    ConcurrentChange,
    GroupNotFound,
    InvalidInput,
)
from events.groups import CaseGroup, check_group_name, group_id, group_major
from events.imports import ImportedRow, import_marker_id
from events.intake import ImportRow, NewCase, major_reasons
from events.money import check_amount
from events.numbering import CaseCounter, counter_at, counter_id
from events.personal import Keyring, PersonalMapper, PersonalTranscoding
from events.policy import ATTACHMENT_KINDS, SEVERITIES, Policy, StaffMember
from events.promises import check_message

__all__ = ["ComplaintsApp", "ImportRow", "NewCase"]

log = logging.getLogger(__name__)

T = TypeVar("T")
A = TypeVar("A", bound=Aggregate)


class ComplaintsApp(Application[UUID]):
    """The write model's application; the persistence module comes from ``env``."""

    name = "Complaints"
    retries = 8
    # The year's counter gains an event per case: a snapshot every so often keeps
    # `new` from replaying the whole year (snapshots are a cache, never history).
    is_snapshotting_enabled = True
    snapshot_every = 100
    #: Held around numbering a new case: the edge gives a database lock where writers
    #: on several machines share one counter (so they queue instead of colliding).
    numbering_lock: Callable[[], AbstractContextManager[object]] = staticmethod(nullcontext)

    def __init__(
        self,
        env: dict[str, str] | None = None,
        *,
        policy: Policy | None = None,
        clock: Callable[[], datetime] | None = None,
        keyring: Keyring | None = None,
    ) -> None:
        # With a keyring, customers' personal fields are sealed per customer
        # (events.personal); the mapper is built in super().__init__, so first.
        self.keyring = keyring
        super().__init__(env)
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
        recorded_at = self.clock()
        self.written = sum(len(getattr(obj, "pending_events", ())) for obj in objs)
        for obj in objs:
            for ev in getattr(obj, "pending_events", ()):
                if stated() is not None or ev.timestamp + CLOCK_SKEW < recorded_at:
                    vars(ev)["recorded_at"] = recorded_at
        return super().save(*objs, **kwargs)

    def close(self) -> None:
        super().close()
        close = getattr(self.keyring, "close", None)
        if close is not None:
            close()

    def _make_keys(self, files: list[CustomerFile]) -> None:
        """Make the new customers' keys before the save that seals with them, all at once.

        A key must be on disk before any event sealed with it; made here, a batch of
        new customers costs one durable write, not one each as the mapper meets them.
        """
        if self.keyring is not None:
            # A customer's further file (by contact) has no name to seal: no key of its own.
            self.keyring.create_keys([f.key for f in files if f.customer])

    def customer_file_key(self, new: NewCase) -> str:
        """The customer file's key: with a keyring a keyed hash, so no contact is in the log."""
        key = customer_key(new.customer, new.contact, new.account)
        return self.keyring.pseudonym(key) if self.keyring is not None else key

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
            log.warning("no snapshot of %s: %s", aggregate_id, e)

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

    # -- receive -------------------------------------------------------------

    def check_new(self, new: NewCase, actor: str) -> StaffMember:
        """Refuse a complaint that cannot be received as stated; nothing is loaded."""
        p = self.policy
        staff = self._staff(actor)
        p.check_channel(new.channel)
        p.check_category(new.category)
        if new.severity is not None and new.severity not in SEVERITIES:
            raise InvalidInput(f"severity must be one of {', '.join(SEVERITIES)}")
        if new.currency is not None and new.demand_amount is None:
            raise InvalidInput("--currency needs --demand-amount")
        if new.currency is not None:
            currency_code(new.currency)
        check_amount(new.demand_amount, "the demand amount")
        for text, what in (
            (new.customer, "customer"),
            (new.contact, "contact"),
            (new.summary, "summary"),
        ):
            if not text.strip():
                raise InvalidInput(f"{what} must not be empty")
        if new.owner:
            self.policy.owner(new.owner)
        if new.received_at is not None and new.received_at > self.clock() + timedelta(minutes=10):
            raise InvalidInput("the received time is in the future")
        at = stated()
        if at is not None:
            check_future(at, self.clock())
            if new.received_at is not None and new.received_at > at:
                raise InvalidInput("the received time is after --at (when it was recorded)")
        if new.occurred_at is not None and new.occurred_at > (new.received_at or self.clock()):
            raise InvalidInput("the problem cannot have occurred after it was received")
        return staff

    def _new_case(
        self,
        new: NewCase,
        staff: StaffMember,
        counter: CaseCounter,
        files: list[CustomerFile],
        now: datetime,
    ) -> Complaint:
        """Number a checked complaint, flag it major if the rules match, file it (in every
        file of the customer: by account and by contact)."""
        p = self.policy
        if new.currency is not None:
            new = replace(new, currency=currency_code(new.currency))
        received_at = new.received_at or now
        owner = new.owner or staff.name
        load = partial(self._load, CustomerFile)
        reasons = self.major_reasons(new, files + linked_files(load, files), received_at)
        if reasons:
            severity, severity_by = "major", "rule"
        elif new.severity == "major":
            severity, severity_by = "major", staff.name
            reasons = [new.severity_reason or f"set major at receipt by {staff.name}"]
        else:
            severity, severity_by = "general", None
        ref = counter.next_ref(staff.name)
        currency = new.currency or (p.currency if new.demand_amount is not None else None)
        case = Complaint(
            ref=ref,
            customer=new.customer,
            contact=new.contact,
            account=new.account,
            channel=new.channel,
            category=new.category,
            summary=new.summary,
            demand=new.demand,
            demand_amount=new.demand_amount,
            currency=currency,
            occurred_at=new.occurred_at,
            received_at=received_at,
            mood=new.mood,
            signed_by_customer=new.signed_by_customer,
            vip=new.vip,
            owner=owner,
            first_ask_owner=owner,
            severity=severity,
            severity_by=severity_by,
            major_reasons=reasons,
            decision_due=p.decision_deadline(received_at),
            actor=staff.name,
        )
        keys = [f.key for f in files] if len(files) > 1 else None
        for file in files:
            file.add_case(ref, received_at, staff.name, keys)
        return case

    def received_time(self, new: NewCase) -> datetime | None:
        """The business time of a receipt: ``--at``, else the received time, else now (None)."""
        return stated() or new.received_at

    def _counter(self, now: datetime, actor: str) -> CaseCounter:
        year = now.astimezone(self.policy.zone).year
        cid = counter_id(year)
        first = self.recorder.select_events(cid, limit=1)
        if not first:
            return CaseCounter(year=year, actor=actor)
        last = self.recorder.select_events(cid, desc=True, limit=1)
        to_event = self.mapper.to_domain_event
        return counter_at(to_event(first[0]), to_event(last[0]))  # O(1): no replay

    def _customer_files(
        self, new: NewCase, actor: str, known: dict[UUID, CustomerFile] | None = None
    ) -> list[CustomerFile]:
        """The customer's files: by account (or contact), and with an account by contact too."""
        contact = customer_key(new.customer, new.contact, None) if new.account else None
        if contact is not None and self.keyring is not None:
            contact = self.keyring.pseudonym(contact)
        load = partial(self._load, CustomerFile)
        return customer_files(
            load, self.customer_file_key(new), contact, new.customer, actor, known
        )

    def _snapshot_if_due(self, counter: CaseCounter, before: int) -> None:
        if counter.version // self.snapshot_every != before // self.snapshot_every:
            # Taken from the counter in hand (read from its two ends), not by a replay.
            try:
                assert self.snapshots is not None
                self.snapshots.put([CaseCounter.Snapshot.take(counter)])
            except (IntegrityError, OperationalError) as e:
                log.warning("no snapshot of %s: %s", counter.id, e)

    def receive(self, new: NewCase, actor: str) -> str:
        """Record a new complaint, number it, flag it major if the rules match; its reference."""
        staff = self.check_new(new, actor)

        def attempt() -> str:
            now = self.clock()
            counter = self._counter(now, staff.name)
            before = counter.version
            files = self._customer_files(new, staff.name)
            with acting_at(self.received_time(new)):
                case = self._new_case(new, staff, counter, files, self.now())
            self._make_keys(files)
            self.save(counter, *files, case)
            self._snapshot_if_due(counter, before)
            return case.ref

        with self.numbering_lock():
            return self._retrying(attempt)

    def receive_many(
        self, rows: list[ImportRow], actor: str, source: str
    ) -> list[tuple[ImportRow, str, bool]]:
        """Receive a batch of checked complaints in one atomic save (one fsync).

        A row whose content was imported before (its marker exists) is not
        received again: the result says which case it became. Returns
        ``(row, ref, created)`` per row, in order.
        """
        staff = self._staff(actor)

        def attempt() -> list[tuple[ImportRow, str, bool]]:
            now = self.clock()
            counter = self._counter(now, staff.name)
            before = counter.version
            files: dict[UUID, CustomerFile] = {}
            new_aggregates: list[Aggregate] = []
            results: list[tuple[ImportRow, str, bool]] = []
            for row in rows:
                marker = self._load(ImportedRow, import_marker_id(row.key))
                if marker is not None:
                    results.append((row, marker.ref, False))
                    continue
                mine = self._customer_files(row.new, staff.name, files)
                with acting_at(self.received_time(row.new)):
                    case = self._new_case(row.new, staff, counter, mine, self.now())
                new_aggregates.append(case)
                new_aggregates.append(
                    ImportedRow(
                        row_key=row.key,
                        ref=case.ref,
                        source=source,
                        line=row.line,
                        actor=staff.name,
                    )
                )
                results.append((row, case.ref, True))
            if new_aggregates:
                self._make_keys(list(files.values()))
                self.save(counter, *files.values(), *new_aggregates)
                self._snapshot_if_due(counter, before)
            return results

        with self.numbering_lock():
            return self._retrying(attempt)

    def major_reasons(
        self, new: NewCase, files: list[CustomerFile], received_at: datetime
    ) -> list[str]:
        """Which of the config's major rules this complaint matches."""
        return major_reasons(self.policy, new, files, received_at)

    # -- the rest of the life of a case ----------------------------------------

    def acknowledge(
        self,
        ref: str,
        actor: str,
        reply_by: datetime | None = None,
        message: str | None = None,
    ) -> str:
        """Promise a reply time; by default the config's reply rule from now."""

        def act(c: Complaint, s: StaffMember) -> None:
            due = reply_by or self.policy.reply_deadline(self.now(), c.severity)
            if due < c.received_at:
                raise InvalidInput("the promised reply time is before the complaint was received")
            check_message(self.policy, message, self.now(), due, c.ref)
            c.acknowledge(due, message, s.name)

        return self._change(ref, actor, act)

    def assign(self, ref: str, owner: str, actor: str) -> str:
        self.policy.owner(owner)
        limit = self.policy.major.transfers

        def act(c: Complaint, s: StaffMember) -> None:
            c.assign(owner, s.name)
            c.passed_around(limit, s.name)

        return self._change(ref, actor, act)

    def transfer(
        self,
        ref: str,
        department: str,
        actor: str,
        reason: str | None = None,
        co_handle: bool = False,
    ) -> str:
        self.policy.check_department(department)
        limit = self.policy.major.transfers

        def act(c: Complaint, s: StaffMember) -> None:
            c.transfer(department, reason, co_handle, s.name)
            c.passed_around(limit, s.name)

        return self._change(ref, actor, act)

    def classify(
        self,
        ref: str,
        actor: str,
        category: str | None = None,
        severity: str | None = None,
        reason: str | None = None,
    ) -> str:
        if category is not None:
            self.policy.check_category(category)
        self.written = 0  # an unchanged case is not saved: nothing written
        return self._change(ref, actor, lambda c, s: c.classify(category, severity, reason, s.name))

    def note(self, ref: str, text: str, actor: str) -> str:
        return self._change(ref, actor, lambda c, s: c.note(text, s.name))

    def contact(
        self,
        ref: str,
        actor: str,
        outcome: str,
        channel: str | None = None,
        summary: str | None = None,
    ) -> str:
        return self._change(
            ref, actor, lambda c, s: c.contact_customer(outcome, channel, summary, s.name)
        )

    def investigate(self, ref: str, finding: str, actor: str) -> str:
        return self._change(ref, actor, lambda c, s: c.investigate(finding, s.name))

    def assess(
        self,
        ref: str,
        actor: str,
        valid: bool,
        root_cause: str | None = None,
        at_fault: list[str] | None = None,
        loss: Decimal | None = None,
        loss_currency: str | None = None,
    ) -> str:
        """Judge the case; ``loss``: the customer's documented direct loss (bounds compensation)."""
        depts = self.policy.department_names()
        if loss_currency is not None and loss is None:
            raise InvalidInput("--currency needs --loss")

        def act(c: Complaint, s: StaffMember) -> None:
            c.assess(valid, root_cause, list(at_fault or []), s.name, depts)
            if loss is not None:
                c.record_loss(loss, loss_currency or self.policy.currency, s.name)

        return self._change(ref, actor, act)

    def escalate(self, ref: str, actor: str, tier: int, reason: str) -> str:
        return self._change(ref, actor, lambda c, s: c.escalate(tier, reason, s))

    def propose(
        self,
        ref: str,
        actor: str,
        kind: str,
        amount: Decimal | None = None,
        currency: str | None = None,
        detail: str | None = None,
        mode: str | None = None,
        override_reason: str | None = None,
    ) -> str:
        """Offer a remedy, or (``mode``) add a part or an alternative to the open proposal,
        or replace it; above the proposer's tier limit the whole proposal needs approval."""
        p = self.policy
        if currency is not None and amount is None:
            raise InvalidInput("--currency needs --amount")
        if currency is not None:
            currency = currency_code(currency)
        if amount is not None and currency is None:
            currency = p.currency  # amounts are in the shop's currency unless stated
        return self._change(
            ref,
            actor,
            lambda c, s: c.propose(kind, amount, currency, detail, s, p, mode, override_reason),
        )

    def approve(self, ref: str, actor: str) -> str:
        return self._change(ref, actor, lambda c, s: c.approve(s))

    def accept(
        self, ref: str, actor: str, reason: str | None = None, option: int | None = None
    ) -> str:
        return self._change(ref, actor, lambda c, s: c.accept(reason, s.name, option))

    def reject(self, ref: str, actor: str, reason: str | None = None) -> str:
        return self._change(ref, actor, lambda c, s: c.reject(reason, s.name))

    def resolve(self, ref: str, actor: str, summary: str) -> str:
        return self._change(ref, actor, lambda c, s: c.resolve(summary, s.name))

    def follow_up(
        self,
        ref: str,
        actor: str,
        outcome: str,
        satisfaction: int | None = None,
        leftover: str | None = None,
        channel: str | None = None,
    ) -> str:
        return self._change(
            ref, actor, lambda c, s: c.follow_up(outcome, channel, satisfaction, leftover, s.name)
        )

    def reopen(self, ref: str, actor: str, reason: str) -> str:
        return self._change(ref, actor, lambda c, s: c.reopen(reason, s))

    def close_case(self, ref: str, actor: str) -> str:
        return self._change(ref, actor, lambda c, s: c.close(s.name))

    def review(
        self,
        ref: str,
        actor: str,
        root_cause: str,
        lesson: str,
        action: str | None = None,
        action_owner: str | None = None,
        action_due: datetime | None = None,
    ) -> str:
        if action_owner:
            self.policy.owner(action_owner)
        return self._change(
            ref,
            actor,
            lambda c, s: c.review(root_cause, lesson, action, action_owner, s.name, action_due),
        )

    def archive(self, ref: str, actor: str) -> str:
        return self._change(ref, actor, lambda c, s: c.archive(s.name))

    def withdraw(self, ref: str, actor: str, reason: str) -> str:
        return self._change(ref, actor, lambda c, s: c.withdraw(reason, s.name))

    def extend_decision(self, ref: str, actor: str, reason: str) -> str:
        """Move the regulatory decision date to the next extension of the config."""
        p = self.policy

        def act(c: Complaint, s: StaffMember) -> None:
            n = c.decision_extensions + 1
            has_step = p.decision_days is not None and n <= len(p.decision_extensions)
            due = p.decision_deadline(c.received_at, n) if has_step else None
            c.extend_decision(due, reason, s.name)

        return self._change(ref, actor, act)

    def attach(
        self,
        ref: str,
        actor: str,
        *,
        name: str,
        size: int,
        media_type: str,
        sha256: str,
        kind: str = "document",
    ) -> str:
        """Record evidence whose bytes the edge has stored by their SHA-256."""
        if kind not in ATTACHMENT_KINDS:
            raise InvalidInput(f"kind must be one of {', '.join(ATTACHMENT_KINDS)}")
        return self._change(
            ref, actor, lambda c, s: c.attach(name, size, media_type, sha256, kind, s.name)
        )

    def link(self, refs: list[str], actor: str, group: str | None = None) -> dict[str, Any]:
        """Link cases to each other and, with a group name, to a group (created if new)."""
        wanted = list(dict.fromkeys(r.strip().upper() for r in refs))
        if group is not None:
            check_group_name(group)
        if len(wanted) < (1 if group else 2):
            raise InvalidInput("link needs two cases, or one case and --group")

        def attempt() -> dict[str, Any]:
            staff = self._staff(actor)
            cases = [self._case(r) for r in wanted]
            for c in cases:
                check_at(self.clock(), c.ref, c.modified_on)
            g: CaseGroup | None = None
            if group:
                g = self._load(CaseGroup, group_id(group)) or CaseGroup(
                    name=group.strip(), actor=staff.name
                )
            name = g.name if g else None  # the name the group was opened with
            for c in cases:
                c.link([o.ref for o in cases if o is not c], name, staff.name)
            to_save: list[Aggregate] = list(cases)
            if g is not None:
                before = len(g.members)
                g.add([c.ref for c in cases], staff.name)
                to_save.append(g)
                size = self.policy.major.group_size
                to_save += group_major(self._case, size, g, before, cases, staff.name)
            self.save(*to_save)
            if g is not None and g.version % self.snapshot_every == 0:
                self._snapshot(g.id)
            return {"linked": [c.ref for c in cases], "group": name}

        return self._retrying(attempt)

    # -- queries -------------------------------------------------------------

    def check_case(self, ref: str) -> str:
        """The case's reference as stored; CaseNotFound (exit 3) if there is no such case."""
        return self._case(ref).ref

    def get_group(self, name: str) -> dict[str, Any]:
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
