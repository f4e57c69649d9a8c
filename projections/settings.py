"""What the read models take from the config beyond the write model's ``Policy``.

Plain typed values with their defaults, so a store made by ``init`` works
without any of them. The edge (``complaintctl.config``) parses and checks the
config file once, naming a bad key, and builds these from the parsed values;
nothing here reads a mapping. The keys they come from:

.. code-block:: toml

    [reply]
    pause_statuses = ["awaiting_customer"]  # the SLA clock stops while waiting on the customer
    resolve_hours = 168                      # target from receipt to resolution (policy basis)

    [shop]
    followup_days = 3        # a follow-up is due this many days after resolution
    followup_quota = 20      # follow-ups per staff member per ISO week
    due_soon_hours = 24      # ``overdue`` also lists what falls due within this many hours

    [shop.shifts.day]
    start = "08:00"
    end = "20:00"
    [shop.shifts.night]
    start = "20:00"
    end = "08:00"
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from datetime import datetime, time
from typing import TYPE_CHECKING, Any

import orjson

from events.ids import SETTINGS_ID
from events.policy import Policy
from events.records import field, frozen, record

if TYPE_CHECKING:
    from projections.source import EventSource


def _default_shifts() -> dict[str, tuple[time, time]]:
    return {"day": (time(8), time(20)), "night": (time(20), time(8))}


@frozen
class ReadSettings:
    """Read-side settings with their defaults (the statuses are ``events.complaint.STATUSES``)."""

    pause_statuses: tuple[str, ...] = ("awaiting_customer",)
    resolve_hours: int = 168
    followup_days: int = 3
    followup_quota: int = 20
    due_soon_hours: int = 24
    shifts: dict[str, tuple[time, time]] = field(default_factory=_default_shifts)


def fingerprint(
    policy: Policy,
    settings: ReadSettings,
    eras: Sequence[tuple[datetime, Policy, ReadSettings]] = (),
) -> str:
    """A digest of every setting that the cached deadlines depend on.

    When the config changes one of them, the cache's stored deadlines are
    stale: a changed fingerprint makes the cache rebuild.
    """
    data = {
        "tz": policy.timezone,
        "basis": policy.reply_basis,
        "days": list(policy.working_days),
        "holidays": [d.isoformat() for d in policy.holidays],
        "reply": [policy.reply_hours, policy.reply_hours_major],
        "pause": list(settings.pause_statuses),
        "resolve": settings.resolve_hours,
        "followup": settings.followup_days,
    }
    if eras:  # the rules before the latest changes bind the older cases' deadlines
        data["eras"] = [(at.isoformat(), fingerprint(p, s)) for at, p, s in eras]
    return hashlib.sha256(orjson.dumps(data)).hexdigest()[:16]


#: The settings aggregate's events (``events.settings.ShopSettings``), written out so a
#: reader folds them without building the aggregate's classes.
SETTINGS_STARTED = "complaints:SettingsStarted"
SETTING_CHANGED = "complaints:SettingChanged"


@record
class ShopRules:
    """The shop's settings as their events give them: what ``ShopSettings`` holds."""

    rules: dict[str, Any]
    changes: list[tuple[str, Any]] = field(default_factory=list)
    set_by: dict[str, str] = field(default_factory=dict)


def shop_rules_of(source: EventSource) -> ShopRules | None:
    """The store's settings folded from their events (None while the store has none).

    This is how a reading command learns the rules in force without opening the
    write application: a handful of indexed reads of one aggregate.
    """
    shop: ShopRules | None = None
    for ev in source.aggregate(SETTINGS_ID):
        data = ev["data"]
        if ev["topic"] == SETTINGS_STARTED:
            shop = ShopRules(rules=data["rules"])
        elif ev["topic"] == SETTING_CHANGED and shop is not None:
            shop.changes.append((data["key"], data["value"]))
            shop.set_by[data["key"]] = data["actor"]
    return shop
