"""The write model: what can happen to a complaint, and the rules that refuse it.

Knows nothing of click or files; the persistence module comes from the
environment given to :class:`ComplaintsApp`.

The names below are loaded on first use (PEP 562): importing a light module
such as ``events.lifecycle`` or ``events.calendar`` must not build the
aggregates' event classes, which is most of a reading command's start-up.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from events.application import ComplaintsApp, NewCase
    from events.complaint import STATUSES, Complaint, case_id
    from events.errors import (
        CaseNotFound,
        ConcurrentChange,
        DomainError,
        GroupNotFound,
        InvalidInput,
        RuleRefused,
    )
    from events.groups import CaseGroup
    from events.numbering import CaseCounter
    from events.policy import MajorRules, Policy, StaffMember, Tier

#: Where each public name lives.
_HOMES = {
    "ComplaintsApp": "events.application",
    "NewCase": "events.application",
    "STATUSES": "events.lifecycle",
    "Complaint": "events.complaint",
    "case_id": "events.ids",
    "CaseNotFound": "events.errors",
    "ConcurrentChange": "events.errors",
    "DomainError": "events.errors",
    "GroupNotFound": "events.errors",
    "InvalidInput": "events.errors",
    "RuleRefused": "events.errors",
    "CaseGroup": "events.groups",
    "CaseCounter": "events.numbering",
    "MajorRules": "events.policy",
    "Policy": "events.policy",
    "StaffMember": "events.policy",
    "Tier": "events.policy",
}

__all__ = [
    "STATUSES",
    "CaseCounter",
    "CaseGroup",
    "CaseNotFound",
    "Complaint",
    "ComplaintsApp",
    "ConcurrentChange",
    "DomainError",
    "GroupNotFound",
    "InvalidInput",
    "MajorRules",
    "NewCase",
    "Policy",
    "RuleRefused",
    "StaffMember",
    "Tier",
    "case_id",
]


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module 'events' has no attribute {name!r}")
    value = getattr(importlib.import_module(home), name)
    globals()[name] = value
    return value
