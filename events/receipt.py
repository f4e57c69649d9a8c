"""Receiving complaints: numbering, the customer's files, the major rules at receipt.

:class:`Receiving` numbers a new case from the year's counter (read at its
two ends: O(1)), files it under every file of its customer (by account and
by contact) and flags it major when a rule matches, alone (``new``) or a
batch in one atomic save (``import``). Numbering is held under the edge's
``numbering_lock`` where several machines share one counter.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import replace
from datetime import datetime, timedelta
from functools import partial
from typing import TYPE_CHECKING, Any
from uuid import UUID

from eventsourcing.domain import Aggregate
from eventsourcing.persistence import IntegrityError, OperationalError, StoredEvent

from events.businesstime import acting_at, check_future, stated
from events.casestore import CaseStore
from events.complaint import Complaint, case_id
from events.currencies import currency_code
from events.errors import (
    InvalidInput,
)
from events.ids import customer_key
from events.money import check_amount
from events.personal import FORGOTTEN, SEALED, ready
from events.policy import SEVERITIES, StaffMember

if TYPE_CHECKING:
    from events.customers import CustomerFile
    from events.intake import ImportRow, NewCase
    from events.numbering import CaseCounter

# The customer files', the counter's and the import markers' modules (their aggregates)
# are imported by the methods that receive a case: the commands on a case need none;
# so are the bulk path (events.bulkreceipt) and logging (only for a failed snapshot).

#: ``numbering_lock(counter_id)``: see :attr:`Receiving.numbering_lock`.
NumberingLock = Callable[[UUID | None], AbstractContextManager[list[StoredEvent] | None]]


@contextmanager
def no_lock(_counter: UUID | None = None) -> Iterator[list[StoredEvent] | None]:
    """No numbering lock (one writer, or the library's retries alone); nothing read."""
    yield None


class Receiving(CaseStore):
    """The commands that receive complaints (``new``, ``import``)."""

    #: Held around numbering a new case: the edge gives a lock where several writers
    #: share one counter (so they queue instead of colliding). Given the counter's id,
    #: it may yield the counter's last stored event read under the lock (a list of none
    #: or one); None: the caller reads it.
    numbering_lock: NumberingLock = staticmethod(no_lock)
    #: An import's cases and markers made as their events alone and mapped in one pass
    #: (:mod:`events.bulkreceipt`); False: through the library's aggregates and
    #: ``save_many`` (the same stored events: ``tests/test_import_bulk.py``).
    bulk_receipt: bool = True

    def _make_keys(self, files: list[CustomerFile]) -> None:
        """Make the new customers' keys before the save that seals with them, all at once.

        A key must be on disk before any event sealed with it; made here, a batch of
        new customers costs one durable write, not one each as the mapper meets them.
        """
        if self.keyring is not None:
            # A customer's further file (by contact) has no name to seal: no key of its own.
            subjects = [f.key for f in files if f.customer]
            self.keyring.create_keys(subjects)
            for subject in subjects:  # the save that follows may be under the numbering lock
                if (key := self.keyring.key(subject)) is not None:
                    ready(key)

    def _file_keys(
        self, customer: str, contact: str, account: str | None
    ) -> tuple[str, str | None]:
        """A case's customer file keys: by account (or contact), and with an account by
        contact too (None without one); with a keyring keyed hashes, so no contact is in
        the log."""
        key = self._pseudonym(customer_key(customer, contact, account))
        by_contact = self._pseudonym(customer_key(customer, contact, None)) if account else None
        return key, by_contact

    def customer_of(self, ref: str) -> str:
        """Who brought case ``ref``: one name for all the files linked to its customer's.

        Read from the case's ``Received`` event (its customer, contact and account)
        and the customer files; a case whose customer was forgotten counts as
        a customer of its own. The group rule counts customers, not cases.
        """
        from events.customers import CustomerFile, customer_file_id, customer_of, linked_files

        first = next(iter(self.events.get(case_id(ref), lte=1)), None)
        d = vars(first) if first is not None else {}
        customer, contact, account = d.get("customer"), d.get("contact"), d.get("account")
        if not isinstance(customer, str) or not isinstance(contact, str):
            return f"case:{ref}"
        if {customer, contact} & {FORGOTTEN, SEALED}:
            return f"case:{ref}"
        keys = [k for k in self._file_keys(customer, contact, account) if k is not None]
        files = [f for f in (self._load(CustomerFile, customer_file_id(k)) for k in keys) if f]
        if not files:
            return f"case:{ref}"
        return customer_of(files + linked_files(partial(self._load, CustomerFile), files))

    def _pseudonym(self, key: str) -> str:
        return self.keyring.pseudonym(key) if self.keyring is not None else key

    # -- receive -------------------------------------------------------------

    def check_new(self, new: NewCase, actor: str) -> StaffMember:
        """Refuse a complaint that cannot be received as stated; nothing is loaded."""
        from events.intake import MAX_NAME

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
        for name, what in ((new.customer, "customer"), (new.contact, "contact")):
            if len(name) > MAX_NAME:
                raise InvalidInput(f"{what} is {len(name)} characters long: at most {MAX_NAME}")
        if new.account is not None and len(new.account) > MAX_NAME:
            raise InvalidInput(f"account is {len(new.account)} characters long: at most {MAX_NAME}")
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
        known: dict[UUID, CustomerFile] | None = None,
        severity: tuple[str, str | None, list[str]] | None = None,
    ) -> Complaint:
        """Number a checked complaint, flag it major if the rules match, file it (in every
        file of the customer: by account and by contact); ``severity`` if judged already."""
        return Complaint(**self._case_fields(new, staff, counter, files, now, known, severity))

    def _case_fields(
        self,
        new: NewCase,
        staff: StaffMember,
        counter: CaseCounter,
        files: list[CustomerFile],
        now: datetime,
        known: dict[UUID, CustomerFile] | None = None,
        severity: tuple[str, str | None, list[str]] | None = None,
    ) -> dict[str, Any]:
        """What :meth:`_new_case` receives the case with: numbered, judged, filed."""
        p = self.policy
        if new.currency is not None:
            new = replace(new, currency=currency_code(new.currency))
        received_at = new.received_at or now
        owner = new.owner or staff.name
        level, severity_by, reasons = severity or self._severity(new, staff, files, now, known)
        ref = counter.next_ref(staff.name)
        currency = new.currency or (p.currency if new.demand_amount is not None else None)
        case = dict(
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
            severity=level,
            severity_by=severity_by,
            major_reasons=reasons,
            decision_due=p.decision_deadline(received_at),
            actor=staff.name,
        )
        keys = [f.key for f in files] if len(files) > 1 else None
        for file in files:
            file.add_case(ref, received_at, staff.name, keys)
        return case

    def _severity(
        self,
        new: NewCase,
        staff: StaffMember,
        files: list[CustomerFile],
        now: datetime,
        known: dict[UUID, CustomerFile] | None = None,
    ) -> tuple[str, str | None, list[str]]:
        """The severity of a new case, who set it and why: the major rules it matches
        (read from the customer's files; needs no number, so judged before numbering)."""
        from events.customers import CustomerFile, linked_files

        # An import's files, saved with the batch, are read as this batch left them.
        batch = known or {}

        def load(fid: UUID) -> CustomerFile | None:
            return batch.get(fid) or self._replay(CustomerFile, fid)

        received_at = new.received_at or now
        reasons = self.major_reasons(new, files + linked_files(load, files), received_at)
        if reasons:
            return "major", "rule", reasons
        if new.severity == "major":
            why = new.severity_reason or f"set major at receipt by {staff.name}"
            return "major", staff.name, [why]
        return "general", None, []

    def received_time(self, new: NewCase) -> datetime | None:
        """The business time of a receipt: ``--at``, else the received time, else now (None)."""
        return stated() or new.received_at

    def _counter_start(self, now: datetime) -> tuple[int, StoredEvent | None]:
        """The year of ``now`` and its counter's first event (None: no case yet this year).

        The first event never changes once there, so it is read before numbering
        (outside the numbering lock); :meth:`_counter` reads the last one under it.
        """
        from events.numbering import counter_id

        year = now.astimezone(self.policy.zone).year
        first = self.recorder.select_events(counter_id(year), limit=1)
        return year, first[0] if first else None

    def _counter(
        self,
        year: int,
        first: StoredEvent | None,
        actor: str,
        last: list[StoredEvent] | None = None,
    ) -> CaseCounter:
        """The year's counter as it stands now: its last event read (O(1): no replay);
        ``last``: read already, under the numbering lock."""
        from events.numbering import CaseCounter, counter_at, counter_id

        cid = counter_id(year)
        if last is None:
            last = list(self.recorder.select_events(cid, desc=True, limit=1))
        if not last:  # no number handed out this year yet
            return CaseCounter(year=year, actor=actor)
        if first is None:  # made since by another writer
            first = self.recorder.select_events(cid, limit=1)[0]
        to_event = self.mapper.to_domain_event
        return counter_at(to_event(first), to_event(last[0]))

    def _customer_files(
        self, new: NewCase, actor: str, known: dict[UUID, CustomerFile] | None = None
    ) -> list[CustomerFile]:
        """The customer's files: by account (or contact), and with an account by contact too."""
        from events.customers import CustomerFile, customer_files

        key, contact = self._file_keys(new.customer, new.contact, new.account)
        load = partial(self._replay, CustomerFile)
        return customer_files(load, key, contact, new.customer, actor, known)

    def _snapshot_if_due(self, counter: CaseCounter, before: int) -> None:
        from events.numbering import CaseCounter

        if counter.version // self.snapshot_every != before // self.snapshot_every:
            # Taken from the counter in hand (read from its two ends), not by a replay.
            try:
                assert self.snapshots is not None
                self.snapshots.put([CaseCounter.Snapshot.take(counter)])
            except (IntegrityError, OperationalError) as e:
                import logging

                logging.getLogger(__name__).warning("no snapshot of %s: %s", counter.id, e)

    def receive(self, new: NewCase, actor: str) -> str:
        """Record a new complaint, number it, flag it major if the rules match; its reference."""
        from events.numbering import counter_id

        staff = self.check_new(new, actor)

        def attempt() -> str:
            # What needs no number first, outside the lock: the customer's files and
            # keys, the major rules; under it only the counter's last event and the save.
            year, first = self._counter_start(self.clock())
            files = self._customer_files(new, staff.name)
            self._make_keys(files)
            with acting_at(self.received_time(new)):
                now = self.now()
                severity = self._severity(new, staff, files, now)
            with self.numbering_lock(counter_id(year)) as last:
                counter = self._counter(year, first, staff.name, last)
                before = counter.version
                with acting_at(self.received_time(new)):
                    case = self._new_case(new, staff, counter, files, now, severity=severity)
                self.save(counter, *files, case)
            self._snapshot_if_due(counter, before)
            return case.ref

        return self._retrying(attempt)

    def receive_many(
        self,
        rows: list[ImportRow],
        actor: str,
        source: str,
        files: dict[UUID, CustomerFile] | None = None,
    ) -> list[tuple[ImportRow, str, bool]]:
        """Receive a batch of checked complaints in one atomic save (one fsync).

        A row whose content was imported before (its marker exists) is not
        received again: the result says which case it became. Returns
        ``(row, ref, created)`` per row, in order. ``files``: the customer files
        as the import's earlier batches left them (the caller keeps the dict
        from batch to batch, so a returning customer is not read back each
        time); emptied when an attempt fails, as its files then hold events
        that were not written (the next attempt reads them again, and a file
        another writer changed meanwhile collides on its version).
        """
        staff = self._staff(actor)
        known: dict[UUID, CustomerFile] = {} if files is None else files
        numbered: list[tuple[CaseCounter, int]] = []  # the counter saved, and its version before

        def attempt() -> list[tuple[ImportRow, str, bool]]:
            numbered.clear()
            try:
                return self._receive_batch(rows, staff, source, known, numbered)
            except BaseException:
                known.clear()
                raise

        with self.numbering_lock(None):
            results = self._retrying(attempt)
        for counter, before in numbered:  # after the numbering transaction, not in it
            self._snapshot_if_due(counter, before)
        return results

    def _receive_batch(
        self,
        rows: list[ImportRow],
        staff: StaffMember,
        source: str,
        files: dict[UUID, CustomerFile],
        numbered: list[tuple[CaseCounter, int]],
    ) -> list[tuple[ImportRow, str, bool]]:
        """One attempt at a batch; the counter saved goes into ``numbered`` (its snapshot
        is taken after the numbering lock, not under it)."""
        from events.bulkreceipt import created_event, save_events
        from events.customers import CustomerFile, customer_file_id, customer_files
        from events.imports import ImportedRow, import_marker_id

        counter = self._counter(*self._counter_start(self.clock()), staff.name)
        before = counter.version
        touched: dict[UUID, CustomerFile] = {}  # the files this batch adds a case to
        new_aggregates: list[Aggregate] = []
        new_events: list[Any] = []  # the bulk path's: the cases' and markers' events alone
        results: list[tuple[ImportRow, str, bool]] = []
        markers = [import_marker_id(row.key) for row in rows]
        keys = [self._file_keys(r.new.customer, r.new.contact, r.new.account) for r in rows]
        file_ids = {customer_file_id(k) for pair in keys for k in pair if k is not None}
        # One look for the whole batch at which markers and files exist: the rest are
        # new, and are not read one by one (most rows of a first import).
        recorded = self._recorded_among([*markers, *(file_ids - set(files))])

        def load(fid: UUID) -> CustomerFile | None:
            return self._replay(CustomerFile, fid) if fid in recorded else None

        for row, marker, (key, by_contact) in zip(rows, markers, keys, strict=True):
            imported = self._imported_as(marker) if marker in recorded else None
            if imported is not None:
                results.append((row, imported, False))
                continue
            mine = customer_files(load, key, by_contact, row.new.customer, staff.name, files)
            with acting_at(self.received_time(row.new)):
                fields = self._case_fields(row.new, staff, counter, mine, self.now(), files)
                if self.bulk_receipt:
                    new_events.append(
                        created_event(Complaint, "Received", case_id(fields["ref"]),
                                      **fields)
                    )  # fmt: skip
                else:
                    new_aggregates.append(Complaint(**fields))
            touched.update((f.id, f) for f in mine)
            marked = dict(row_key=row.key, ref=fields["ref"], source=source, line=row.line,
                          actor=staff.name)  # fmt: skip
            if self.bulk_receipt:
                new_events.append(created_event(ImportedRow, "RowImported", marker,
                                                **marked))  # fmt: skip
            else:
                new_aggregates.append(ImportedRow(**marked))
            results.append((row, fields["ref"], True))
        if new_aggregates or new_events:
            self._make_keys(list(touched.values()))
            if self.bulk_receipt:
                save_events(self, [counter, *touched.values()], new_events)
            else:
                self.save_many([counter, *touched.values(), *new_aggregates])
            numbered.append((counter, before))
        return results

    def _recorded_among(self, ids: list[UUID]) -> set[UUID]:
        """Which of these aggregates have events: in one query where the recorder can
        (the file store's ``originators_recorded``), else one ``select_events`` each."""
        bulk = getattr(self.recorder, "originators_recorded", None)
        if bulk is not None:
            return set(bulk(ids))
        return {i for i in ids if self.recorder.select_events(i, limit=1)}

    def _imported_as(self, marker_id: UUID) -> str | None:
        """The case an import marker names (None: the row was not imported before), read
        from its one event: no snapshot looked up, no aggregate rebuilt."""
        stored = self.recorder.select_events(marker_id, limit=1)
        if not stored:
            return None
        return str(vars(self.mapper.to_domain_event(stored[0]))["ref"])

    def major_reasons(
        self, new: NewCase, files: list[CustomerFile], received_at: datetime
    ) -> list[str]:
        """Which of the config's major rules this complaint matches."""
        from events.intake import major_reasons

        return major_reasons(self.policy, new, files, received_at)
