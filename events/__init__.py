"""The write model: what can happen to a complaint, and the rules that refuse it.

Knows nothing of click or files; the persistence module comes from the
environment given to :class:`ComplaintsApp`.
"""

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
