"""The shop's settings as events: one aggregate, every change of a rule appended to the log.

Several desks share one store; the rules (staff and roles, tiers and remedy
limits, categories, reply targets, calendar, major rules, privacy) are the
shop's, not a desk's, so they live in the log where every desk reads them and
an auditor sees who changed which rule when. The pure rules of dotted keys
live in :mod:`events.rules` (a reader applies them without this module's
aggregate; ``projections.settings`` folds these events for reading). A desk's ``complaintctl.toml``
gives the starting values; each :class:`SettingChanged` overrides one dotted
key (``tiers.1.remedy_limit``), oldest first. What belongs to one desk (the
``[store]`` table: connection, key file) is never a shop setting.

Values are plain TOML values (strings, numbers, booleans, lists, tables);
checking them is the edge's business (``complaintctl.config`` checks the
merged mapping as it checks the file), so a change that would make the rules
invalid is refused before it is saved.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any, cast
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError, Application
from eventsourcing.domain import Aggregate, event
from eventsourcing.persistence import IntegrityError

from events.businesstime import event_time
from events.errors import ConcurrentChange
from events.ids import SETTINGS_ID as SETTINGS_ID
from events.rules import LOCAL_TABLES as LOCAL_TABLES
from events.rules import apply_change as apply_change
from events.rules import in_force as in_force
from events.rules import is_local as is_local
from events.rules import leaves as leaves
from events.rules import shop_rules as shop_rules
from events.rules import split_key as split_key


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
