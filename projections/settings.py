"""What the read models take from the config beyond the write model's ``Policy``.

The config parser checks its top-level keys strictly, so these settings live
as extra keys inside tables it already has (it ignores keys it does not know
inside a table). Every one has a default, so a store made by ``init`` works
without them:

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
from dataclasses import dataclass, field
from datetime import time
from typing import Any

import orjson

from events.policy import Policy

STATUSES = (
    "received",
    "acknowledged",
    "in_progress",
    "awaiting_customer",
    "resolved",
    "closed",
    "archived",
    "withdrawn",
)


class SettingsError(ValueError):
    """A read-model setting in the config is invalid; the message names the key."""


def _default_shifts() -> dict[str, tuple[time, time]]:
    return {"day": (time(8), time(20)), "night": (time(20), time(8))}


@dataclass(frozen=True)
class ReadSettings:
    """Read-side settings with their defaults."""

    pause_statuses: tuple[str, ...] = ("awaiting_customer",)
    resolve_hours: int = 168
    followup_days: int = 3
    followup_quota: int = 20
    due_soon_hours: int = 24
    shifts: dict[str, tuple[time, time]] = field(default_factory=_default_shifts)

    @classmethod
    def from_config(cls, raw: dict[str, Any]) -> ReadSettings:
        """Read the extra keys from a parsed config mapping; raise SettingsError naming a key."""
        reply = raw.get("reply") or {}
        shop = raw.get("shop") or {}
        pause = reply.get("pause_statuses", list(cls.pause_statuses))
        if not isinstance(pause, list) or any(s not in STATUSES for s in pause):
            raise SettingsError(f"reply.pause_statuses: must be a list of {', '.join(STATUSES)}")

        def whole(table: dict[str, Any], key: str, where: str, default: int) -> int:
            value = table.get(key, default)
            if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                raise SettingsError(f"{where}.{key}: must be a whole number >= 0")
            return value

        shifts_raw = shop.get("shifts")
        shifts = _default_shifts()
        if shifts_raw is not None:
            if not isinstance(shifts_raw, dict) or not shifts_raw:
                raise SettingsError("shop.shifts: must be a table of shifts")
            shifts = {}
            for name, s in shifts_raw.items():
                try:
                    shifts[name] = (time.fromisoformat(s["start"]), time.fromisoformat(s["end"]))
                except (TypeError, KeyError, ValueError):
                    raise SettingsError(
                        f"shop.shifts.{name}: needs start and end as HH:MM"
                    ) from None
        return cls(
            pause_statuses=tuple(pause),
            resolve_hours=whole(reply, "resolve_hours", "reply", cls.resolve_hours),
            followup_days=whole(shop, "followup_days", "shop", cls.followup_days),
            followup_quota=whole(shop, "followup_quota", "shop", cls.followup_quota),
            due_soon_hours=whole(shop, "due_soon_hours", "shop", cls.due_soon_hours),
            shifts=shifts,
        )


def fingerprint(policy: Policy, settings: ReadSettings) -> str:
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
    return hashlib.sha256(orjson.dumps(data)).hexdigest()[:16]
