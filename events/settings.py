"""The shop's settings as events: one aggregate, every change of a rule appended to the log.

Several desks share one store; the rules (staff and roles, tiers and remedy
limits, categories, reply targets, calendar, major rules, privacy) are the
shop's, not a desk's, so they live in the log where every desk reads them and
an auditor sees who changed which rule when. A desk's ``complaintctl.toml``
gives the starting values; each :class:`SettingChanged` overrides one dotted
key (``tiers.1.remedy_limit``), oldest first. What belongs to one desk (the
``[store]`` table: connection, key file) is never a shop setting.

Values are plain TOML values (strings, numbers, booleans, lists, tables);
checking them is the edge's business (``complaintctl.config`` checks the
merged mapping as it checks the file), so a change that would make the rules
invalid is refused before it is saved.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any, cast
from uuid import UUID, uuid5

from eventsourcing.application import AggregateNotFoundError, Application
from eventsourcing.domain import Aggregate, event
from eventsourcing.persistence import IntegrityError

from events.businesstime import event_time
from events.complaint import NAMESPACE
from events.errors import ConcurrentChange

#: The one settings aggregate of a store (a fixed id: every desk loads the same one).
SETTINGS_ID: UUID = uuid5(NAMESPACE, "shop-settings")
#: Top-level tables that belong to one desk and never become a shop setting.
LOCAL_TABLES = ("store",)


def split_key(key: str) -> tuple[str, ...]:
    """A dotted key as its parts (``tiers.1.remedy_limit`` -> 3 parts); ValueError if malformed."""
    parts = tuple(p.strip() for p in key.split("."))
    if not key.strip() or any(not p for p in parts):
        raise ValueError(f"not a dotted key: {key!r}")
    return parts


def is_local(key: str) -> bool:
    """True for a key of one desk (``store.host``): it stays in the desk's file."""
    return split_key(key)[0] in LOCAL_TABLES


def apply_change(data: dict[str, Any], key: str, value: Any) -> None:
    """Set (or, with ``None``, remove) one dotted key in a config mapping, in place."""
    parts = split_key(key)
    path = [data]
    for part in parts[:-1]:
        inner = path[-1].get(part)
        if not isinstance(inner, dict):
            if value is None:
                return
            inner = path[-1][part] = {}
        path.append(inner)
    if value is not None:
        path[-1][parts[-1]] = copy.deepcopy(value)
        return
    path[-1].pop(parts[-1], None)
    # A removed staff member's last key takes its table with it (an empty table is not a member).
    for depth in range(len(parts) - 1, 0, -1):
        if path[depth]:
            break
        path[depth - 1].pop(parts[depth - 1], None)


def in_force(base: Mapping[str, Any], changes: Iterable[tuple[str, Any]]) -> dict[str, Any]:
    """The mapping ``base`` (a desk's file) with the store's changes applied, oldest first."""
    data = copy.deepcopy(dict(base))
    for key, value in changes:
        apply_change(data, key, value)
    return data


def leaves(data: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    """Every dotted key of a mapping with its value (a list is one value, a table is not)."""
    out: dict[str, Any] = {}
    for k, v in data.items():
        key = f"{prefix}.{k}" if prefix else str(k)
        if isinstance(v, Mapping) and v:
            out.update(leaves(v, key))
        else:
            out[key] = v
    return out


class ShopSettings(Aggregate):
    """The shop's rule changes in the order they were made; ``changes`` replays them."""

    TOPIC = "complaints:ShopSettings"

    class Event(Aggregate.Event):
        TOPIC = "complaints:ShopSettings.Event"
        create_timestamp = staticmethod(event_time)  # the business time (config set --at)

    @staticmethod
    def create_id() -> UUID:
        return SETTINGS_ID

    @event("SettingsStarted", topic="complaints:SettingsStarted")
    def __init__(self, rules: dict[str, Any], actor: str) -> None:
        #: The shop's rules as the first desk's file gave them (a joining desk starts here).
        self.rules = rules
        self.changes: list[tuple[str, Any]] = []
        #: Who last set each key (the log has when).
        self.set_by: dict[str, str] = {}

    def change(self, key: str, value: Any, actor: str) -> None:
        """Record that ``actor`` set ``key`` to ``value`` (``None``: the key removed)."""
        if is_local(key):
            raise ValueError(f"{key} belongs to one desk, not to the shop")
        self._changed(key=key, value=value, actor=actor)

    @event("SettingChanged", topic="complaints:SettingChanged")
    def _changed(self, key: str, value: Any, actor: str) -> None:
        self.changes.append((key, value))
        self.set_by[key] = actor


def load_settings(app: Application[UUID]) -> ShopSettings | None:
    """The store's settings aggregate, or None while no rule was ever changed in the store."""
    try:
        agg: object = app.repository.get(SETTINGS_ID)
    except AggregateNotFoundError:
        return None
    assert isinstance(agg, ShopSettings)
    return agg


def settings_at(app: Application[UUID], at: datetime) -> ShopSettings | None:
    """The settings as they stood at ``at``: the starting rules and the changes made by then.

    A change's time is its event's (``config set --at`` states it); the
    starting rules hold from the first, whenever they were recorded.
    """
    agg: Any = None
    for ev in cast(Iterable[Any], app.events.get(SETTINGS_ID)):
        if agg is not None and ev.timestamp > at:
            break
        agg = ev.mutate(agg)
    assert agg is None or isinstance(agg, ShopSettings)
    return agg


def last_change_at(app: Application[UUID]) -> datetime | None:
    """When the latest rule change happened (None: none yet; the starting rules always held).

    A back-dated change (``config set --at``) may not come before it, so the
    changes stay in the order of their times and :func:`settings_at` can stop
    at the first one after the time asked for.
    """
    last = app.recorder.select_events(SETTINGS_ID, desc=True, limit=1)
    if not last:
        return None
    ev: Any = app.mapper.to_domain_event(last[0])
    return None if ev.originator_version == 1 else cast(datetime, ev.timestamp)


def changes_in_force(app: Application[UUID]) -> list[tuple[str, Any]]:
    """The store's rule changes, oldest first (none on a store whose rules are all the file's)."""
    agg = load_settings(app)
    return list(agg.changes) if agg is not None else []


def start_settings(app: Application[UUID], rules: Mapping[str, Any], actor: str) -> None:
    """Record the first desk's rules, so a further desk can join with nothing but a connection."""
    if load_settings(app) is None:
        app.save(ShopSettings(rules=shop_rules(rules), actor=actor))


def shop_rules(data: Mapping[str, Any]) -> dict[str, Any]:
    """A config mapping without the tables that belong to one desk."""
    return {k: copy.deepcopy(v) for k, v in data.items() if k not in LOCAL_TABLES}


def record_changes(
    app: Application[UUID],
    changes: list[tuple[str, Any]],
    actor: str,
    *,
    baseline: Mapping[str, Any],
    tries: int = 8,
) -> int:
    """Append the changes in one save (all or none); returns the settings' new version.

    The caller has checked the actor (a manager) and the merged rules; two
    managers saving at once collide on the version and the later one retries
    on top of the other's change. A store's first settings start from
    ``baseline`` (the desk's file: the rules the shop had until then).
    """
    for _ in range(tries):
        agg = load_settings(app) or ShopSettings(rules=shop_rules(baseline), actor=actor)
        for key, value in changes:
            agg.change(key, value, actor)
        try:
            app.save(agg)
        except IntegrityError:
            continue
        return int(agg.version)
    raise ConcurrentChange("another manager kept changing the settings; try again")
