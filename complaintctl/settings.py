"""The rules in force on a desk: its ``complaintctl.toml`` overridden by the store's settings.

The shop's rules are events in the store (:mod:`events.settings`): ``config set``
and ``config import`` append them, and every desk reads them on each command,
so a limit a manager changed on one desk holds on every desk at once. The
desk's file gives the starting values and keeps what belongs to the desk alone
(the ``[store]`` table: connection, key file). Every change is checked as the
file is (:func:`complaintctl.config.parse` on the merged mapping) before it is
saved: the store never holds rules a desk cannot read.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from datetime import UTC, date, datetime, time
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol
from uuid import UUID

from complaintctl.config import Config, ConfigError, parse
from complaintctl.errors import NotFound, UsageProblem
from complaintctl.i18n import _
from complaintctl.refusals import detail
from events.businesstime import check_at, stated
from events.ids import SETTINGS_ID
from events.rules import LOCAL_TABLES, apply_change, in_force, is_local, leaves, split_key

if TYPE_CHECKING:
    from eventsourcing.application import Application

# The write side (``events.settings``: the aggregate and the library's domain classes)
# is imported where a command records or loads through the application: a reading
# command takes the settings from the read side (``projections.settings``) instead.


class _Shop(Protocol):
    """The store's settings as either side gives them (``ShopSettings``, ``ShopRules``)."""

    rules: dict[str, Any]
    changes: list[tuple[str, Any]]
    set_by: dict[str, str]


def _load(app: Application[UUID]) -> _Shop | None:
    from events.settings import load_settings

    return load_settings(app)


if TYPE_CHECKING:  # the read side is imported where it is used (cold start)
    from projections.sla import Era
    from projections.source import EventSource

#: The tables the SLA clock reads (calendar, reply and resolve targets, follow-ups).
CLOCK_TABLES = ("shop", "reply", "calendar")
#: The rule a non-manager's ``config set`` is refused by (exit 4).
RULE = "settings-need-manager"
#: Shown instead of a password, wherever a setting is printed.
MASK = "********"


def plain(value: Any) -> Any:
    """A TOML value as the log keeps it: dates and times as ISO text, tables and lists deep."""
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [plain(v) for v in value]
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    return value


def parse_value(text: str) -> Any:
    """``config set``'s VALUE: a TOML value (``500``, ``true``, ``["a", "b"]``), else the text."""
    import tomllib  # here: a read whose config parse was kept never loads it

    try:
        parsed = tomllib.loads(f"v = {text}")
    except tomllib.TOMLDecodeError:
        return text
    if set(parsed) != {"v"}:
        return text
    return plain(parsed["v"])


def joined(data: Mapping[str, Any]) -> bool:
    """True for a desk that joined a shop (``init --join``): its file holds only its own part."""
    return set(data) <= set(LOCAL_TABLES)


def _mapping(local: Config, agg: _Shop | None) -> dict[str, Any]:
    """The rules in force as a config mapping (with the desk's own [store] table).

    A desk with the shop's rules in its file starts from them; a joined desk
    from the rules the first desk recorded; both then apply every change.
    """
    if agg is None:
        if joined(local.raw):
            raise ConfigError(
                "store", _("this database holds no shop's settings: run `init` on the first desk")
            )
        return dict(local.raw)
    base = {**agg.rules, **local.raw} if joined(local.raw) else dict(local.raw)
    return in_force(base, agg.changes)


def current(local: Config, app: Application[UUID]) -> dict[str, Any]:
    """The rules in force as a config mapping: what ``config show`` lists."""
    return _mapping(local, _load(app))


def rules_in_force(local: Config, app: Application[UUID], at: datetime | None = None) -> Config:
    """The desk's config with the store's settings applied: what every command obeys.

    ``at`` (a command's ``--at``): the rules as they stood then, the changes
    made after it left out, so a back-dated action is checked by the limits,
    roles and targets of its own time.
    """
    if at is None:
        return rules_from(local, _load(app))
    from events.settings import settings_at

    return rules_from(local, settings_at(app, at))


def rules_from(local: Config, agg: _Shop | None) -> Config:
    """The desk's config with the settings ``agg`` applied (from either side)."""
    if agg is None and not joined(local.raw):
        return local
    return parse(_mapping(local, agg))


def rule_eras(local: Config, source: EventSource) -> list[Era]:
    """The rules as they were before each change the shop made to what the SLA clock reads.

    Read from the settings' own events at their business time (``config set
    --at``), for the read side's SLA clocks (:class:`projections.sla.Clock`):
    each era is the rules in force until a change, oldest first (none: the
    rules now have always held).
    """
    from projections.case import val

    rules: dict[str, Any] | None = None
    changes: list[tuple[datetime, str, Any]] = []
    for ev in source.aggregate(SETTINGS_ID):
        data = ev["data"]
        if ev["topic"] == "complaints:SettingsStarted":
            rules = data["rules"]
        elif ev["topic"] == "complaints:SettingChanged":
            when = datetime.fromisoformat(val(data["timestamp"]))
            changes.append((when, data["key"], data.get("value")))
    if not changes:
        return []
    base = {**(rules or {}), **local.raw} if joined(local.raw) else local.raw
    mapping = copy.deepcopy(base)
    eras: list[Era] = []
    for when, key, value in changes:
        # Only a change of what the clock reads starts an era (a new staff member does not).
        if split_key(key)[0] in CLOCK_TABLES and (not eras or eras[-1][0] != when):
            try:
                cfg = parse(mapping)
            except ConfigError:  # the desk's file was edited since: that era is unknown
                pass
            else:
                eras.append((when, cfg.policy, cfg.read))
        apply_change(mapping, key, value)
    return eras


def _check_key(key: str) -> str:
    try:
        split_key(key)
    except ValueError as e:
        raise UsageProblem(detail(str(e))) from None
    if is_local(key):
        raise UsageProblem(
            _("{key} belongs to this desk, not to the shop: edit its complaintctl.toml").format(
                key=key
            )
        )
    return key.strip()


def change(
    app: Application[UUID], local: Config, actor: str, wanted: list[tuple[str, Any]]
) -> tuple[Config, list[tuple[str, Any]]]:
    """Check and record rule changes by ``actor``; the rules now in force and what changed.

    Only a manager (in the rules in force) changes them (RuleRefused, exit 4); a
    value is checked as the file is (ConfigError, exit 2); a change to the value
    already in force records nothing.
    """
    at = stated()
    if at is not None:  # config set --at: not in the future, not before the latest change
        from events.settings import last_change_at

        check_at(datetime.now(UTC), "config", last_change_at(app))
    now_raw = current(local, app)
    parse(now_raw).policy.require_role(actor, ("manager",), RULE, "changing the shop's settings")
    now = leaves(plain(now_raw))
    effective: list[tuple[str, Any]] = []
    for key, value in wanted:
        key = _check_key(key)
        if value is None and key not in now and not any(k.startswith(key + ".") for k in now):
            continue
        if value is not None and now.get(key, object()) == value:
            continue
        effective.append((key, value))
    if not effective:
        return parse(now_raw), []
    merged = parse(in_force(now_raw, effective))
    from events.settings import record_changes

    record_changes(app, effective, actor, baseline=plain(local.raw))
    return merged, effective


def start(app: Application[UUID], local: Config, actor: str) -> None:
    """Record the desk's rules as the store's starting point, if the store has none yet."""
    if not joined(local.raw):
        local.policy.require_role(actor, ("manager",), RULE, "changing the shop's settings")
        from events.settings import start_settings

        start_settings(app, plain(local.raw), actor)


def import_changes(local: Config, app: Application[UUID], path: Path) -> list[tuple[str, Any]]:
    """What a hand-edited config file changes against the rules in force, key by key.

    The file is checked whole first (``config.load``); its ``[store]`` table is
    the desk's own and never imported. A key the file no longer has is removed.
    """
    from complaintctl.config import load

    theirs = load(path).raw
    ours = current(local, app)
    mine = {k: v for k, v in leaves(plain(ours)).items() if not is_local(k)}
    file = {k: v for k, v in leaves(plain(theirs)).items() if not is_local(k)}
    out: list[tuple[str, Any]] = [(k, v) for k, v in file.items() if mine.get(k, object()) != v]
    out += [(k, None) for k in mine if k not in file]
    return out


def shown(key: str, value: Any) -> Any:
    """A setting's value as printed: a password never."""
    return MASK if key.rsplit(".", 1)[-1] == "password" and value else value


def origins(local: Config, app: Application[UUID]) -> list[dict[str, Any]]:
    """Every key in force with its value and where it comes from (``config show --origin``).

    ``store``: a ``config set`` or ``config import`` in the log (``set_by`` says
    who; ``config log`` says when); ``file``: the desk's file, unchanged by the
    shop; ``desk``: a key of this desk alone (``[store]``).
    """
    agg = _load(app)
    set_by = agg.set_by if agg is not None else {}
    merged = _mapping(local, agg)
    rows = []
    for key, value in leaves(plain(merged)).items():
        by = next(
            (who for k, who in set_by.items() if key == k or key.startswith(k + ".")),
            None,
        )
        origin = "desk" if is_local(key) else "store" if by else "file"
        rows.append({"key": key, "value": shown(key, value), "origin": origin, "set_by": by})
    return rows


def get(config: Config, key: str) -> Any:
    """One key (or a table) of the rules in force; NotFound (exit 3) if nobody set it."""
    value: Any = plain(config.raw)
    try:
        parts = split_key(key)
    except ValueError as e:
        raise UsageProblem(detail(str(e))) from None
    for part in parts:
        if not isinstance(value, dict) or part not in value:
            raise NotFound(
                _("{key}: not set (its default applies), or no such key").format(key=key)
            )
        value = value[part]
    if isinstance(value, dict):
        return {k: shown(k, v) for k, v in leaves(value).items()}
    return shown(key, value)
