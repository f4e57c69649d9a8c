"""Starting configurations for common kinds of shop; ``init --preset NAME`` writes one.

Kept as Python dicts (not TOML files) so that they are validated by the same
code as a user's file and need no package data.
"""

from __future__ import annotations

import copy
from typing import Any

from events.policy import Policy

# The policy's default channels are the ones every kind of shop meets.
_COMMON_CHANNELS = list(Policy().channels)

_MAJOR = {
    "vip_customers": [],
    "channels": ["media", "regulator", "consumer-association"],
    "repeat_count": 3,
    "repeat_days": 90,
}

GENERAL: dict[str, Any] = {
    "shop": {
        "name": "My shop",
        "timezone": "Asia/Shanghai",
        "currency": "CNY",
        "working_days": [1, 2, 3, 4, 5],
        "holidays": [],
        "allow_unknown_staff": True,
    },
    "store": {"backend": "file"},
    "categories": [
        "product-quality",
        "service-attitude",
        "technical-fault",
        "billing",
        "appointment",
        "repair-quality",
        "delivery",
        "other",
    ],
    "channels": _COMMON_CHANNELS,
    "departments": [],
    "severities": ["general", "major"],
    "reply": {"hours": 24, "major_hours": 4, "basis": "calendar"},
    "tiers": {
        "1": {"title": "front line", "remedy_limit": "500"},
        "2": {"title": "department manager", "remedy_limit": "5000"},
        "3": {"title": "general manager"},
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
