"""The case document: its shape right after ``Received``, and how its values read.

:mod:`projections.case` folds every later event into this document (the keys
of ``show --json``, docs/cli.md, plus a private ``_`` member, see there); the
read models read it. Kept apart from the handlers of the fold so that the
document's shape is in one place and readers of the document (``priority``,
``public``) need not import the fold.
"""

from __future__ import annotations

import copy
from datetime import datetime
from typing import Any

from events.lifecycle import PARTIES
from events.personal import Keyring, reveal

Case = dict[str, Any]


def val(value: Any, keyring: Keyring | None = None) -> Any:
    """Unwrap a transcoded value (datetime, Decimal, UUID) to its JSON string form.

    A sealed personal value opens with ``keyring``: its plain text, or
    ``[forgotten]``, or ``[encrypted]`` without a keyring.
    """
    if type(value) is dict and "_type_" in value:
        data = value["_data_"]
        if value["_type_"] == "uuid_hex":
            return f"{data[:8]}-{data[8:12]}-{data[12:16]}-{data[16:20]}-{data[20:]}"
        if value["_type_"] == "personal":
            return reveal(data, keyring)
        return data
    return value


def epoch(iso: str | None) -> float | None:
    """Seconds since the epoch of an ISO time (the sortable form kept in the cache)."""
    if not iso:
        return None
    return datetime.fromisoformat(iso).timestamp()


def new_case(case_uuid: str, data: dict[str, Any], ts: str, keyring: Keyring | None) -> Case:
    """The state right after ``Received``: the keys of ``show --json``."""
    received_at = val(data["received_at"])
    return {
        "ref": data["ref"],
        "status": "received",
        "customer": val(data["customer"], keyring),
        "contact": val(data["contact"], keyring),
        "account": val(data.get("account"), keyring),
        "channel": data["channel"],
        "category": data["category"],
        "severity": data["severity"],
        "severity_by": data.get("severity_by"),
        "major_reasons": list(data.get("major_reasons") or []),
        "owner": data["owner"],
        "first_ask_owner": data.get("first_ask_owner", data["owner"]),
        "received_by": data.get("actor"),
        "tier": 1,
        "summary": data.get("summary"),
        "demand": data.get("demand"),
        "demand_amount": val(data.get("demand_amount")),
        "demand_currency": data.get("currency"),
        "mood": data.get("mood"),
        "vip": bool(data.get("vip")),
        "signed_by_customer": bool(data.get("signed_by_customer")),
        "occurred_at": val(data.get("occurred_at")),
        "received_at": received_at,
        "acknowledged_at": None,
        "reply_by": None,
        "decision_due": val(data.get("decision_due")),
        "decision_extensions": 0,
        "departments": [],
        "valid": None,
        "root_cause": None,
        "at_fault": [],
        "at_fault_staff": [],
        "at_fault_departments": [],
        "findings": [],
        "notes": [],
        "contacts": [],
        "escalations": 0,
        "proposals": [],
        "pending_proposal": None,
        "loss": None,
        "outside_parties": [],
        "external_route": None,
        "major_triggers": [],
        "remedy_state": None,
        "remedy_accepted_at": None,
        "resolution": None,
        "resolved_at": None,
        "closed_at": None,
        "archived_at": None,
        "withdrawn_reason": None,
        "followups": [],
        "supervisor_flag": None,
        "reviews": [],
        "review_actions": [],
        "reopen_count": 0,
        "links": [],
        "groups": [],
        "attachments": [],
        "created_at": ts,
        "updated_at": ts,
        "version": 1,
        "_": {
            "id": case_uuid,
            "statuses": [[ts, "received"]],
            "promises": [],
            "escalated": [],
            "first_resolved_at": None,
            "resolutions": [],
            "remedies": [],
        },
    }


def priority(case: Case) -> int:
    """Which cases come first in lists: 0 a consumer association or regulator involved
    (by channel or later), 1 other major cases, 2 the rest."""
    if case.get("outside_parties"):
        return 0
    if case["channel"] in PARTIES:  # the channels of the same names
        return 0
    return 1 if case["severity"] == "major" else 2


def public(case: Case) -> Case:
    """The case as ``show --json`` gives it: without the private ``_`` member."""
    return {k: v for k, v in case.items() if k != "_"}


def clone(case: Case) -> Case:
    """A deep copy, for readers that must not share state with the fold."""
    return copy.deepcopy(case)
