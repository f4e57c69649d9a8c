"""Forgetting a customer (crypto-shredding) as application calls, beside ``ComplaintsApp``.

Functions taking the application, like ``events.handovers``, so the write
model's main module stays the glossary of case actions.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from events.application import ComplaintsApp
from events.customers import CustomerFile, customer_file_id, customer_key
from events.errors import RuleRefused
from events.policy import StaffMember


def check_forget(app: ComplaintsApp, actor: str) -> StaffMember:
    """Refuse before anything is listed: only a manager forgets, and only sealed data."""
    staff = app.policy.require_role(actor, ("manager",), "forget-needs-manager", "forget")
    if app.keyring is None:
        raise RuleRefused(
            "forget-needs-sealed-data",
            "this store keeps personal data in plain text ([privacy] encrypt_personal is off), "
            "so it cannot be shredded",
        )
    return staff


def subject_of_case(app: ComplaintsApp, case: dict[str, Any]) -> str | None:
    """The subject whose key seals a (read-model) case's personal fields; None if forgotten."""
    if app.keyring is None or case["customer"] == "[forgotten]":
        return None
    return app.keyring.pseudonym(customer_key(case["customer"], case["contact"], case["account"]))


@dataclass
class Forgettable:
    """One customer a ``forget`` query matched: their subject, names, contact and cases.

    ``sealed`` is False for a customer the log holds in plain text (recorded
    before ``[privacy] encrypt_personal`` was on): there is no key to delete.
    """

    subject: str
    contact: str
    names: set[str] = field(default_factory=set)
    cases: list[str] = field(default_factory=list)
    sealed: bool = True

    @property
    def label(self) -> str:
        return f"{'/'.join(sorted(self.names))} <{self.contact}>"


def plan_forget(app: ComplaintsApp, cases: list[dict[str, Any]]) -> list[Forgettable]:
    """Group read-model cases by the customer (subject) whose key seals them.

    Cases already forgotten are left out; what remains is what ``forget``
    lists before it asks.
    """
    keyring = app.keyring
    found: dict[str, Forgettable] = {}
    for case in cases:
        subject = subject_of_case(app, case)
        if subject is None or keyring is None:
            continue
        entry = found.get(subject)
        if entry is None:
            entry = found[subject] = Forgettable(
                subject, case["contact"], sealed=keyring.key(subject) is not None
            )
        entry.names.add(case["customer"])
        entry.cases.append(case["ref"])
    return list(found.values())


def forget_customers(app: ComplaintsApp, subjects: list[str], actor: str) -> list[dict[str, Any]]:
    """Record ``CustomerForgotten`` on each customer file, then delete each subject's key.

    The event is saved first: if deleting a key fails, the command can be run
    again; the log never claims less than what was done. Returns, per subject,
    the cases its file lists and whether a key was deleted.
    """
    staff = check_forget(app, actor)
    keyring = app.keyring
    assert keyring is not None
    done: list[dict[str, Any]] = []
    for subject in subjects:

        def attempt(subject: str = subject) -> list[str]:
            file = app._load(CustomerFile, customer_file_id(subject))
            if file is None:
                return []
            file.forget(staff.name)
            app.save(file)
            return [str(c["ref"]) for c in file.cases]

        refs = app._retrying(attempt)
        deleted = keyring.forget(subject)
        done.append({"subject": subject, "cases": refs, "key_deleted": deleted})
    return done
