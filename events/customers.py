"""A customer's files: the cases one customer brought, for the repeat-complaint rule.

A case is filed under its customer key (account, else contact) and, when it has an
account, under its contact as well: the same contact or the same account is the
same person, so a plate given once does not split a customer in two, and the
files linked through any chain of cases are one customer (:func:`linked_files`).

Kept in the write model (not a projection) because the rule that flags the
Nth complaint within M days must see it at the moment the case is received,
in the same atomic save.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from functools import lru_cache
from typing import Any
from uuid import UUID, uuid5

from eventsourcing.domain import Aggregate, event

from events.businesstime import event_time
from events.complaint import NAMESPACE
from events.ids import customer_key as customer_key
from events.lazyevents import install, lazy_event


def count_since(files: list[CustomerFile], since: datetime) -> int:
    """The customer's cases received since ``since``, over all their files, each case once."""
    return len(
        {
            c["ref"]
            for f in files
            for c in f.cases
            if isinstance(c["received_at"], datetime) and c["received_at"] >= since
        }
    )


# An import asks each file's id at least twice per row (the batch's look-up, then the
# row's files): each uuid5 made once. Bounded; a UUID is immutable.
@lru_cache(maxsize=1 << 16)
def customer_file_id(key: str) -> UUID:
    return uuid5(NAMESPACE, "customer:" + key)


class CustomerFile(Aggregate):
    """Every case of one customer, oldest first."""

    TOPIC = "complaints:CustomerFile"

    class Event(Aggregate.Event):
        TOPIC = "complaints:CustomerFile.Event"
        create_timestamp = staticmethod(event_time)  # the business time (--at)

    @staticmethod
    def create_id(key: str) -> UUID:
        return customer_file_id(key)

    @event("CustomerFileOpened", topic="complaints:CustomerFileOpened")
    def __init__(self, key: str, customer: str, actor: str) -> None:
        self.key = key
        self.customer = customer
        self.cases: list[dict[str, Any]] = []

    def count_since(self, since: datetime) -> int:
        return sum(
            1
            for c in self.cases
            if isinstance(c["received_at"], datetime) and c["received_at"] >= since
        )

    def add_case(
        self, ref: str, received_at: datetime, actor: str, also: list[str] | None = None
    ) -> None:
        """File a case; ``also``: the keys of the customer's other files it went to."""
        self._case_added(ref=ref, received_at=received_at, actor=actor, also=also or None)

    @lazy_event("CustomerCaseAdded", topic="complaints:CustomerCaseAdded")
    def _case_added(
        self, ref: str, received_at: datetime, actor: str, also: list[str] | None = None
    ) -> None:
        self.cases.append({"ref": ref, "received_at": received_at, "also": also or []})

    def linked_keys(self) -> set[str]:
        """The keys of the other files this customer's cases went to (account <-> contact)."""
        return {k for c in self.cases for k in c.get("also") or [] if k != self.key}

    def forget(self, actor: str) -> None:
        """Record, for auditors, that this customer's personal data was crypto-shredded.

        The event holds no personal data; the cases stay counted (the repeat rule
        still sees them), only the key that opened the names and contacts is gone.
        """
        self._forgotten(actor=actor)

    @lazy_event("CustomerForgotten", topic="complaints:CustomerForgotten")
    def _forgotten(self, actor: str) -> None:
        self.customer = "[forgotten]"
        self.forgotten_by = actor


install(CustomerFile)  # its events but the first: built on first use


Loader = Callable[[UUID], "CustomerFile | None"]


def customer_files(
    load: Loader,
    key: str,
    contact_key: str | None,
    customer: str,
    actor: str,
    known: dict[UUID, CustomerFile] | None = None,
) -> list[CustomerFile]:
    """The files a new case goes to: its customer key's, and (``contact_key``: a case with
    an account) its contact's, where a later call without the account looks.

    The same contact or the same account is the same person. The contact's file
    opens with no name (the name is sealed with the case's own customer key, so
    forgetting that customer leaves nothing readable behind). ``known``: files
    already loaded in this save (an import), updated.
    """
    known = known if known is not None else {}
    files: list[CustomerFile] = []
    for k, name in ((key, customer), (contact_key, "")):
        if k is None or any(f.key == k for f in files):
            continue
        fid = customer_file_id(k)
        f = known.get(fid) or load(fid) or CustomerFile(key=k, customer=name, actor=actor)
        known[fid] = f
        files.append(f)
    return files


def linked_files(load: Loader, files: list[CustomerFile]) -> list[CustomerFile]:
    """Every file linked to these, through any chain of links (a contact's file names the
    account's, and back): only read, for the repeat rule and the group rule.

    The same contact or the same account is the same person, however far apart:
    case 1 by contact X, case 2 by X with account P, case 3 by account P with
    contact Y, case 4 by Y alone are one customer's four cases.
    """
    seen = {f.key for f in files}
    todo = sorted({k for f in files for k in f.linked_keys()} - seen)
    out: list[CustomerFile] = []
    while todo:
        key = todo.pop()
        seen.add(key)
        f = load(customer_file_id(key))
        if f is None:
            continue
        out.append(f)
        todo += sorted(f.linked_keys() - seen - set(todo))
    return out


def customer_of(files: list[CustomerFile]) -> str:
    """One name for the person behind a case's files and all files linked to them."""
    return min(f.key for f in files)
