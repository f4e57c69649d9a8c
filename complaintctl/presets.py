"""Starting configurations for common kinds of shop; ``init --preset NAME`` writes one.

Kept as Python dicts (not TOML files) so that they are validated by the same
code as a user's file and need no package data.
"""

from __future__ import annotations

import copy
from typing import Any

from events.policy import DEFAULT_CATEGORIES, DEFAULT_CHANNELS, MajorRules, Policy

_DEFAULTS = Policy()
_RULES = MajorRules()
_MAJOR = {
    "vip_customers": list(_RULES.vip_customers),
    "channels": list(_RULES.channels),
    "repeat_count": _RULES.repeat_count,
    "repeat_days": _RULES.repeat_days,
}

#: The policy's own defaults written out: a shop that says nothing else gets these.
GENERAL: dict[str, Any] = {
    "shop": {
        "name": "My shop",
        "timezone": "Asia/Shanghai",
        "currency": _DEFAULTS.currency,
        "working_days": list(_DEFAULTS.working_days),
        "holidays": [],
        "allow_unknown_staff": _DEFAULTS.allow_unknown_staff,
    },
    "store": {"backend": "file"},
    "categories": list(DEFAULT_CATEGORIES),
    # The default channels are the ones every kind of shop meets: every preset keeps them.
    "channels": list(DEFAULT_CHANNELS),
    "departments": [],
    "severities": ["general", "major"],
    "reply": {"hours": _DEFAULTS.reply_hours, "major_hours": 4, "basis": _DEFAULTS.reply_basis},
    "tiers": {
        str(n): {"title": t.title}
        | ({} if t.remedy_limit is None else {"remedy_limit": str(t.remedy_limit)})
        for n, t in sorted(_DEFAULTS.tiers.items())
    },
    "staff": {},
    "major": {**_MAJOR, "demand_threshold": "10000"},
}


def _preset(**changes: Any) -> dict[str, Any]:
    p = copy.deepcopy(GENERAL)
    for key, value in changes.items():
        if isinstance(value, dict) and isinstance(p.get(key), dict) and key != "staff":
            p[key].update(value)
        else:
            p[key] = value
    return p


CAR_SERVICE = _preset(
    shop={"name": "Car service workshop", "working_days": [1, 2, 3, 4, 5, 6]},
    categories=[
        "repair-quality",
        "misquote",
        "parts",
        "warranty",
        "service-attitude",
        "appointment",
        "billing",
        "other",
    ],
    departments=["service", "parts", "workshop", "warranty", "sales", "customer-service"],
    tiers={
        "1": {"title": "service adviser / customer-service director", "remedy_limit": "500"},
        "2": {"title": "service manager / technical director", "remedy_limit": "5000"},
        "3": {"title": "general manager"},
    },
    staff={
        "张伟": {"tier": 1, "role": "agent", "department": "service"},
        "李娜": {"tier": 1, "role": "supervisor", "department": "customer-service"},
        "王强": {"tier": 2, "role": "supervisor", "department": "service"},
        "陈总": {"tier": 3, "role": "manager", "department": "management"},
    },
    major={"demand_threshold": "20000"},
)

RETAIL = _preset(
    shop={"name": "Retail and booking desk", "working_days": [1, 2, 3, 4, 5, 6, 7]},
    categories=[
        "product-quality",
        "booking",
        "service-attitude",
        "delivery",
        "billing",
        "promotion",
        "other",
    ],
    departments=["front-desk", "floor", "kitchen", "delivery", "customer-service"],
    reply={"hours": 24, "major_hours": 2},
    tiers={
        "1": {"title": "front desk", "remedy_limit": "200"},
        "2": {"title": "store manager", "remedy_limit": "2000"},
        "3": {"title": "general manager"},
    },
    staff={
        "小刘": {"tier": 1, "role": "agent", "department": "front-desk"},
        "赵经理": {"tier": 2, "role": "supervisor", "department": "floor"},
        "周总": {"tier": 3, "role": "manager", "department": "management"},
    },
    major={"demand_threshold": "5000"},
)

BANK = _preset(
    shop={"name": "Bank or insurer complaints desk"},
    categories=[
        "policy-terms",
        "claims",
        "surrender",
        "billing",
        "mis-selling",
        "service-attitude",
        "technical-fault",
        "other",
    ],
    departments=["call-centre", "claims", "underwriting", "sales", "compliance"],
    reply={"hours": 24, "major_hours": 4, "basis": "working"},
    regulatory={"decision_days": 15, "extensions": [30, 60]},
    tiers={
        "1": {"title": "call-centre agent", "remedy_limit": "1000"},
        "2": {"title": "department manager", "remedy_limit": "10000"},
        "3": {"title": "general manager"},
    },
    staff={
        "agent-01": {"tier": 1, "role": "agent", "department": "call-centre"},
        "claims-manager": {"tier": 2, "role": "supervisor", "department": "claims"},
        "compliance-head": {"tier": 3, "role": "manager", "department": "compliance"},
    },
    major={"demand_threshold": "2000"},
)

PRESETS: dict[str, dict[str, Any]] = {
    "general": GENERAL,
    "car-service": CAR_SERVICE,
    "retail": RETAIL,
    "restaurant": RETAIL,
    "bank": BANK,
    "insurer": BANK,
}


def preset(name: str) -> dict[str, Any]:
    """A fresh copy of a preset (KeyError if unknown)."""
    return copy.deepcopy(PRESETS[name])
