"""Aggregate ids derived from references: light, so readers need no aggregate class."""

from __future__ import annotations

from uuid import NAMESPACE_URL, UUID, uuid5

NAMESPACE = uuid5(NAMESPACE_URL, "https://complaintctl.invalid/")


def case_id(ref: str) -> UUID:
    """The aggregate id of a case, derived from its reference (case-insensitive)."""
    return uuid5(NAMESPACE, "case:" + ref.strip().upper())


def customer_key(customer: str, contact: str, account: str | None) -> str:
    """The same customer: by account if given, else by contact, ignoring case and spaces
    (the key of the customer's file, :mod:`events.customers`, and of their personal data)."""
    basis = account if account else contact
    return "".join(basis.split()).casefold() or customer.strip().casefold()


#: The one settings aggregate of a store (a fixed id: every desk loads the same one).
SETTINGS_ID: UUID = uuid5(NAMESPACE, "shop-settings")
