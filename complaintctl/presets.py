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


#: Names in Chinese for the channels every shop meets (the keys stay as scripts type them).
_CHANNELS_ZH = {
    "walk-in": "到店",
    "phone": "电话",
    "letter": "信函",
    "email": "电子邮件",
    "web": "网站",
    "follow-up-call": "回访电话",
    "consumer-association": "消费者协会",
    "regulator": "监管部门",
    "media": "媒体",
}
#: The default shifts (projections.settings) by their Chinese names.
_SHIFTS_ZH = {"day": "白班", "night": "夜班"}


def _chinese(categories: dict[str, str], departments: dict[str, str]) -> dict[str, Any]:
    """``[display]`` of a Chinese shop: Chinese output, and Chinese names for its keys."""
    return {
        "language": "zh",
        "zh": {
            "categories": categories,
            "channels": _CHANNELS_ZH,
            "departments": departments,
            "shifts": _SHIFTS_ZH,
        },
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
    shop={"name": "汽车维修服务站", "working_days": [1, 2, 3, 4, 5, 6]},
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
        "1": {"title": "服务顾问/客服总监", "remedy_limit": "500"},
        "2": {"title": "服务经理/技术总监", "remedy_limit": "5000"},
        "3": {"title": "总经理"},
    },
    staff={
        "张伟": {"tier": 1, "role": "agent", "department": "service"},
        "李娜": {"tier": 1, "role": "supervisor", "department": "customer-service"},
        "王强": {"tier": 2, "role": "supervisor", "department": "service"},
        "陈总": {"tier": 3, "role": "manager", "department": "management"},
    },
    major={"demand_threshold": "20000"},
    display=_chinese(
        {
            "repair-quality": "维修质量",
            "misquote": "报价不符",
            "parts": "配件",
            "warranty": "保修",
            "service-attitude": "服务态度",
            "appointment": "预约",
            "billing": "收费",
            "other": "其他",
        },
        {
            "service": "服务部",
            "parts": "配件部",
            "workshop": "车间",
            "warranty": "保修部",
            "sales": "销售部",
            "customer-service": "客服部",
        },
    ),
)

RETAIL = _preset(
    shop={"name": "零售与预订服务台", "working_days": [1, 2, 3, 4, 5, 6, 7]},
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
        "1": {"title": "前台", "remedy_limit": "200"},
        "2": {"title": "店长", "remedy_limit": "2000"},
        "3": {"title": "总经理"},
    },
    staff={
        "小刘": {"tier": 1, "role": "agent", "department": "front-desk"},
        "赵经理": {"tier": 2, "role": "supervisor", "department": "floor"},
        "周总": {"tier": 3, "role": "manager", "department": "management"},
    },
    major={"demand_threshold": "5000"},
    display=_chinese(
        {
            "product-quality": "商品质量",
            "booking": "预订",
            "service-attitude": "服务态度",
            "delivery": "配送",
            "billing": "收费",
            "promotion": "促销活动",
            "other": "其他",
        },
        {
            "front-desk": "前台",
            "floor": "楼面",
            "kitchen": "厨房",
            "delivery": "配送部",
            "customer-service": "客服部",
        },
    ),
)

BANK = _preset(
    shop={"name": "银行/保险投诉受理中心"},
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
        "1": {"title": "客服专员", "remedy_limit": "1000"},
        "2": {"title": "部门经理", "remedy_limit": "10000"},
        "3": {"title": "总经理"},
    },
    staff={
        "agent-01": {"tier": 1, "role": "agent", "department": "call-centre"},
        "claims-manager": {"tier": 2, "role": "supervisor", "department": "claims"},
        "compliance-head": {"tier": 3, "role": "manager", "department": "compliance"},
    },
    major={"demand_threshold": "2000"},
    display=_chinese(
        {
            "policy-terms": "条款争议",
            "claims": "理赔",
            "surrender": "退保",
            "billing": "收费",
            "mis-selling": "销售误导",
            "service-attitude": "服务态度",
            "technical-fault": "系统故障",
            "other": "其他",
        },
        {
            "call-centre": "客服中心",
            "claims": "理赔部",
            "underwriting": "核保部",
            "sales": "销售部",
            "compliance": "合规部",
        },
    ),
)
#: The insurer of the seeds: the bank desk's rules, its staff by their Chinese names.
INSURER = _preset(
    **{k: copy.deepcopy(v) for k, v in BANK.items() if k != "staff"},
    staff={
        "客服小王": {"tier": 1, "role": "agent", "department": "call-centre"},
        "理赔经理": {"tier": 2, "role": "supervisor", "department": "claims"},
        "合规总监": {"tier": 3, "role": "manager", "department": "compliance"},
    },
)
INSURER["shop"]["name"] = "保险公司投诉受理中心"

PRESETS: dict[str, dict[str, Any]] = {
    "general": GENERAL,
    "car-service": CAR_SERVICE,
    "retail": RETAIL,
    "restaurant": RETAIL,
    "bank": BANK,
    "insurer": INSURER,
}


def preset(name: str) -> dict[str, Any]:
    """A fresh copy of a preset (KeyError if unknown)."""
    return copy.deepcopy(PRESETS[name])
