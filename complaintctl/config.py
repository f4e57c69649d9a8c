"""``complaintctl.toml``: read with tomllib, checked key by key, written with tomli-w.

Every problem names its key (``tiers.2.remedy_limit: not a decimal``) so a
shop can fix its file without reading code; the CLI turns it into exit 2.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from datetime import date, datetime, time
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from complaintctl.i18n import _
from events.calendar import BASES
from events.currencies import currency_code
from events.errors import InvalidInput
from events.lifecycle import STATUSES
from events.policy import (
    DEFAULT_INFLUENTIAL_TYPES,
    ROLES,
    SEVERITIES,
    MajorRules,
    Policy,
    StaffMember,
    Tier,
)
from projections.settings import ReadSettings

CONFIG_NAME = "complaintctl.toml"
BACKENDS = ("file", "sqlite", "postgres")
#: Upper bounds that keep every deadline and cutoff inside datetime's range (and sane):
#: hours and days of a clock up to ten years, a retention up to a century.
MAX_HOURS = 24 * 366 * 10
MAX_DAYS = 366 * 10
MAX_RETENTION_DAYS = 366 * 100
MAX_COUNT = 1_000_000

# The keys each table may hold; anything else is refused, naming the dotted key.
_TOP_KEYS = frozenset(
    {
        "shop",
        "store",
        "categories",
        "channels",
        "departments",
        "severities",
        "reply",
        "regulatory",
        "tiers",
        "staff",
        "major",
        "privacy",
        "attachments",
        "display",
        "calendar",
    }
)
_CALENDAR_KEYS = frozenset({"holidays", "workdays"})
_DISPLAY_KEYS = frozenset({"language", "zh", "en"})
#: What ``[display.<language>]`` names: the shop's keys, shown to people by these names.
_NAMED = ("categories", "channels", "departments", "shifts")
_SHOP_KEYS = frozenset(
    {
        "name",
        "preset",
        "timezone",
        "currency",
        "working_days",
        "holidays",
        "allow_unknown_staff",
        "followup_days",
        "followup_quota",
        "due_soon_hours",
        "shifts",
    }
)
_POSTGRES_KEYS = ("host", "port", "dbname", "user", "password", "schema")
#: [store] keys for a busy shop's PostgreSQL (app.PG_PASS_THROUGH): bounds of each.
POSTGRES_TUNING: dict[str, tuple[int, int]] = {
    "pool_size": (1, 100),
    "max_overflow": (0, 100),
    "connect_timeout": (1, 300),
    "max_waiting": (0, 100_000),
    "conn_max_age": (1, 86_400),
    "idle_in_transaction_session_timeout": (0, 86_400),
}
SSLMODES = ("disable", "allow", "prefer", "require", "verify-ca", "verify-full")
_STORE_KEYS = frozenset(
    {
        "backend",
        "lock_timeout",
        "encrypt",
        "key_file",
        "sqlite_dbname",
        "sslmode",
        "pre_ping",
        *_POSTGRES_KEYS,
        *POSTGRES_TUNING,
    }
)
_PRIVACY_KEYS = frozenset({"encrypt_personal", "seal_free_text", "retention_days"})
_REPLY_KEYS = frozenset({"hours", "major_hours", "basis", "pause_statuses", "resolve_hours"})
_REGULATORY_KEYS = frozenset({"decision_days", "extensions"})
_TIER_KEYS = frozenset({"title", "remedy_limit"})
_STAFF_KEYS = frozenset({"tier", "role", "department"})
_MAJOR_KEYS = frozenset(
    {
        "vip_customers",
        "channels",
        "demand_threshold",
        "repeat_count",
        "repeat_days",
        "influential_types",
        "transfers",
        "group_size",
    }
)
_SHIFT_KEYS = frozenset({"start", "end"})
#: Keys that would put an encryption key in the config file: refused, never read.
_KEY_NAMES = ("key", "cipher_key", "encryption_key", "secret")


class ConfigError(Exception):
    """The config file is missing, unreadable or invalid; ``key`` says where."""

    def __init__(self, key: str, problem: str) -> None:
        super().__init__(f"{key}: {problem}")
        self.key = key
        self.problem = problem


class ConfigUnreadable(ConfigError):
    """The file is there but this user may not read it: no permission, not a bad file (exit 7)."""


@dataclass(frozen=True)
class Config:
    """The parsed file, once: everything that reads the config reads it from here.

    ``policy`` is what the write model's rules read, ``read`` what the read
    models add; the rest is the edge's: how to open the store (``backend``,
    and ``store``, the checked ``[store]`` table in the shape the persistence
    environment takes, as a ``migrate --target``'s settings are), whether
    personal fields are sealed, and the shop's name for people.
    """

    policy: Policy
    read: ReadSettings = field(default_factory=ReadSettings)
    backend: str = "file"
    store: dict[str, Any] = field(default_factory=dict)
    # Customers' names, contacts and accounts sealed per customer (events.personal).
    encrypt_personal: bool = False
    # Their cases' free text (summary, notes, ...) sealed with the same key (init writes true;
    # absent: an older store, its free text stays plain).
    seal_free_text: bool = False
    shop_name: str = ""
    preset: str | None = None
    #: ``[display.<language>]``: language -> category/channel/department/shift -> key -> name.
    names: dict[str, dict[str, dict[str, str]]] = field(default_factory=dict)
    #: ``[display] language``: what people read (None: the locale decides; complaintctl.i18n).
    language: str | None = None
    # The mapping as read, for rewriting the file; settings never come from here.
    raw: dict[str, Any] = field(default_factory=dict)


def _dotted(where: str, key: str) -> str:
    return f"{where}.{key}" if where else key


def _known(table: dict[str, Any], keys: frozenset[str], where: str) -> None:
    """Refuse the first key of ``table`` (at ``where``) that is not one of ``keys``."""
    unknown = sorted(set(table) - keys)
    if unknown:
        raise ConfigError(
            _dotted(where, unknown[0]),
            _("unknown key (known: {keys})").format(keys=", ".join(sorted(keys))),
        )


def _table(data: dict[str, Any], key: str, where: str = "") -> dict[str, Any]:
    value = data.get(key, {})
    if not isinstance(value, dict):
        raise ConfigError(_dotted(where, key), _("must be a table"))
    return value


def _strings(data: dict[str, Any], key: str, where: str, *, required: bool = False) -> list[str]:
    if key not in data:
        if required:
            raise ConfigError(_dotted(where, key), _("is missing"))
        return []
    value = data[key]
    if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
        raise ConfigError(_dotted(where, key), _("must be a list of non-empty strings"))
    if len(set(value)) != len(value):
        raise ConfigError(_dotted(where, key), _("has duplicates"))
    return list(value)


def _int(data: dict[str, Any], key: str, where: str, default: int, lo: int, hi: int) -> int:
    value = _opt_int(data, key, where, lo, hi)
    return default if value is None else value


def _opt_int(data: dict[str, Any], key: str, where: str, lo: int, hi: int) -> int | None:
    """A whole number within bounds (absurd values refused here, not overflowing later)."""
    if key not in data:
        return None
    value = data[key]
    if isinstance(value, bool) or not isinstance(value, int) or not lo <= value <= hi:
        raise ConfigError(
            _dotted(where, key), _("must be a whole number from {lo} to {hi}").format(lo=lo, hi=hi)
        )
    return value


def _decimal(data: dict[str, Any], key: str, where: str) -> Decimal | None:
    if key not in data:
        return None
    value = data[key]
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise ConfigError(
            _dotted(where, key), _('must be a decimal written as a string, e.g. "500"')
        )
    try:
        d = Decimal(str(value))
    except InvalidOperation:
        raise ConfigError(
            _dotted(where, key), _("not a decimal: {value}").format(value=repr(value))
        ) from None
    if not d.is_finite() or d < 0:
        raise ConfigError(_dotted(where, key), _("must be a finite amount >= 0"))
    return d


def _str(data: dict[str, Any], key: str, where: str, default: str) -> str:
    value = data.get(key, default)
    if not isinstance(value, str) or not value.strip():
        raise ConfigError(_dotted(where, key), _("must be a non-empty string"))
    return value


def _bool(data: dict[str, Any], key: str, where: str, default: bool) -> bool:
    value = data.get(key, default)
    if not isinstance(value, bool):
        raise ConfigError(_dotted(where, key), _("must be true or false"))
    return value


def parse(data: dict[str, Any]) -> Config:
    """Check a config mapping and build everything that reads it; ConfigError names the key."""
    _known(data, _TOP_KEYS, "")
    shop = _table(data, "shop")
    _known(shop, _SHOP_KEYS, "shop")
    store, backend, encrypt_personal, retention = _store_and_privacy(data)
    policy = _policy(data, shop, retention)
    name = shop.get("name", "")
    if not isinstance(name, str):
        raise ConfigError("shop.name", _("must be a string"))
    preset = shop.get("preset")
    if preset is not None and not isinstance(preset, str):
        raise ConfigError("shop.preset", _("must be a string"))
    read = _read_settings(shop, _table(data, "reply"))
    display = _table(data, "display")
    return Config(
        policy=policy,
        read=read,
        backend=backend,
        store=store,
        encrypt_personal=encrypt_personal,
        seal_free_text=_bool(_table(data, "privacy"), "seal_free_text", "privacy", False),
        shop_name=name,
        preset=preset,
        language=_display_language(display),
        names=_display_names(display),
        raw=data,
    )


def _display_language(display: dict[str, Any]) -> str | None:
    """``[display] language``: one of the languages the CLI speaks (complaintctl.i18n)."""
    from complaintctl.i18n import LANGUAGES

    _known(display, _DISPLAY_KEYS, "display")
    if "language" not in display:
        return None
    value = display["language"]
    if value not in LANGUAGES:
        raise ConfigError(
            "display.language", _("must be one of: {values}").format(values=", ".join(LANGUAGES))
        )
    return str(value)


def _display_names(display: dict[str, Any]) -> dict[str, dict[str, dict[str, str]]]:
    """``[display.zh]`` and ``[display.en]``: the names people read for the shop's own keys.

    Keys stay what scripts and imports type. A name for a key the config does not (or no
    longer) has is kept but never shown, so that editing a list never breaks the file.
    """
    out: dict[str, dict[str, dict[str, str]]] = {}
    for language in ("zh", "en"):
        if language not in display:
            continue
        table = _table(display, language, "display")
        _known(table, frozenset(_NAMED), f"display.{language}")
        out[language] = {}
        for what in _NAMED:
            where = f"display.{language}.{what}"
            names = _table(table, what, f"display.{language}")
            for key, name in names.items():
                if not isinstance(name, str) or not name.strip():
                    raise ConfigError(f"{where}.{key}", _("must be a non-empty string"))
            out[language][what] = dict(names)
    return out


def _calendar(shop: dict[str, Any]) -> tuple[str, tuple[int, ...], tuple[date, ...]]:
    """The shop's zone, working weekdays and holidays."""
    tz = _str(shop, "timezone", "shop", "UTC")
    try:
        ZoneInfo(tz)
    except (ZoneInfoNotFoundError, ValueError):
        raise ConfigError(
            "shop.timezone", _("unknown time zone {zone}").format(zone=repr(tz))
        ) from None
    days = shop.get("working_days", [1, 2, 3, 4, 5])
    if (
        not isinstance(days, list)
        or not days
        or not all(isinstance(d, int) and not isinstance(d, bool) and 1 <= d <= 7 for d in days)
    ):
        raise ConfigError(
            "shop.working_days", _("must be a non-empty list of ISO weekdays 1 (Monday) to 7")
        )
    return tz, tuple(days), _dates(shop, "holidays", "shop")


def _dates(table: dict[str, Any], key: str, where: str) -> tuple[date, ...]:
    """A list of dates (TOML dates or ISO text)."""
    out: list[date] = []
    raw = table.get(key, [])
    if not isinstance(raw, list):
        raise ConfigError(_dotted(where, key), _("must be a list of dates"))
    for i, h in enumerate(raw):
        if isinstance(h, date) and not isinstance(h, datetime):
            out.append(h)
            continue
        try:
            out.append(date.fromisoformat(h))
        except (TypeError, ValueError):
            raise ConfigError(
                f"{_dotted(where, key)}[{i}]", _("not a date: {value}").format(value=repr(h))
            ) from None
    return tuple(out)


def _official(data: dict[str, Any]) -> tuple[str | None, tuple[date, ...]]:
    """``[calendar]``: the official holidays kept (``cn``) and the shop's extra working dates."""
    from events.calendar import OFFICIAL

    table = _table(data, "calendar")
    _known(table, _CALENDAR_KEYS, "calendar")
    official = table.get("holidays")
    if official is not None and official not in OFFICIAL:
        raise ConfigError(
            "calendar.holidays", _("must be one of: {values}").format(values=", ".join(OFFICIAL))
        )
    return official, _dates(table, "workdays", "calendar")


def _store_and_privacy(data: dict[str, Any]) -> tuple[dict[str, Any], str, bool, int | None]:
    """The checked ``[store]`` table, the backend, and the ``[privacy]`` settings."""
    store = _table(data, "store")
    privacy = _table(data, "privacy")
    for where, table in (("store", store), ("privacy", privacy)):
        for name in _KEY_NAMES:
            if name in table:
                raise ConfigError(
                    f"{where}.{name}",
                    _(
                        "an encryption key never goes in the config file: set "
                        "COMPLAINTCTL_CIPHER_KEY or use --key-file / COMPLAINTCTL_KEY_FILE"
                    ),
                )
    _known(store, _STORE_KEYS, "store")
    _known(privacy, _PRIVACY_KEYS, "privacy")
    attachments = _table(data, "attachments")  # max_mb, read by complaintctl.attachments
    _known(attachments, frozenset({"max_mb"}), "attachments")
    _opt_int(attachments, "max_mb", "attachments", 1, 1 << 20)
    backend = _str(store, "backend", "store", "file")
    if backend not in BACKENDS:
        raise ConfigError(
            "store.backend", _("must be one of: {values}").format(values=", ".join(BACKENDS))
        )
    # How long a writer waits for another one's lock before exit 7 (seconds).
    timeout = store.get("lock_timeout", 10)
    if (
        isinstance(timeout, bool)
        or not isinstance(timeout, int | float)
        or not 0 <= timeout <= 86_400
    ):
        raise ConfigError("store.lock_timeout", _("must be a number of seconds from 0 to 86400"))
    _bool(store, "encrypt", "store", False)
    for key in ("key_file", "sqlite_dbname"):
        if key in store and not (isinstance(store[key], str) and store[key].strip()):
            raise ConfigError(f"store.{key}", _("must be a path"))
    for key, (lo, hi) in POSTGRES_TUNING.items():
        _opt_int(store, key, "store", lo, hi)
    _bool(store, "pre_ping", "store", False)
    if "sslmode" in store and store["sslmode"] not in SSLMODES:
        raise ConfigError(
            "store.sslmode", _("must be one of: {values}").format(values=", ".join(SSLMODES))
        )
    for key in _POSTGRES_KEYS:
        if key == "port":
            _opt_int(store, "port", "store", 1, 65_535)
        elif key in store and not isinstance(store[key], str):
            raise ConfigError(f"store.{key}", _("must be a string"))
    return (
        dict(store),
        backend,
        _bool(privacy, "encrypt_personal", "privacy", False),
        _opt_int(privacy, "retention_days", "privacy", 1, MAX_RETENTION_DAYS),
    )


def _policy(data: dict[str, Any], shop: dict[str, Any], retention: int | None) -> Policy:
    """The write model's rules: lists, reply clock, tiers, staff, major rules."""
    tz, days, holidays = _calendar(shop)
    official, workdays = _official(data)
    try:
        currency = currency_code(_str(shop, "currency", "shop", "CNY"))
    except InvalidInput:
        raise ConfigError("shop.currency", _("must be an ISO 4217 code such as CNY")) from None

    categories = _strings(data, "categories", "", required=True)
    channels = _strings(data, "channels", "", required=True)
    if not categories:
        raise ConfigError("categories", _("must not be empty"))
    if not channels:
        raise ConfigError("channels", _("must not be empty"))
    severities = _strings(data, "severities", "") or list(SEVERITIES)
    if sorted(severities) != sorted(SEVERITIES):
        raise ConfigError("severities", _("must be exactly general and major"))

    reply = _table(data, "reply")
    _known(reply, _REPLY_KEYS, "reply")
    hours = _int(reply, "hours", "reply", 24, 1, MAX_HOURS)
    major_hours = _opt_int(reply, "major_hours", "reply", 1, MAX_HOURS)
    basis = _str(reply, "basis", "reply", "calendar")
    if basis not in BASES:
        raise ConfigError("reply.basis", _("must be {values}").format(values=" or ".join(BASES)))

    reg = _table(data, "regulatory")
    _known(reg, _REGULATORY_KEYS, "regulatory")
    decision_days = _opt_int(reg, "decision_days", "regulatory", 1, MAX_DAYS)
    ext = reg.get("extensions", [])
    if not isinstance(ext, list) or not all(
        isinstance(e, int) and not isinstance(e, bool) and 0 < e <= MAX_DAYS for e in ext
    ):
        raise ConfigError(
            "regulatory.extensions",
            _("must be a list of day counts up to {days}").format(days=MAX_DAYS),
        )
    if ext and ext != sorted(ext):
        raise ConfigError("regulatory.extensions", _("must grow: e.g. [30, 60]"))

    return Policy(
        categories=tuple(categories),
        channels=tuple(channels),
        departments=tuple(_strings(data, "departments", "")),
        currency=currency,
        reply_hours=hours,
        reply_hours_major=major_hours,
        reply_basis=basis,
        timezone=tz,
        working_days=days,
        holidays=holidays,
        workdays=workdays,
        official_holidays=official,
        tiers=_tiers(_table(data, "tiers")),
        staff=_staff(_table(data, "staff")),
        allow_unknown_staff=_bool(shop, "allow_unknown_staff", "shop", True),
        major=_major(_table(data, "major"), channels),
        decision_days=decision_days,
        decision_extensions=tuple(ext),
        retention_days=retention,
    )


def _tiers(tiers_raw: dict[str, Any]) -> dict[int, Tier]:
    tiers: dict[int, Tier] = {}
    for key, t in tiers_raw.items():
        if key not in ("1", "2", "3"):
            raise ConfigError(f"tiers.{key}", _("tiers are 1, 2 and 3"))
        if not isinstance(t, dict):
            raise ConfigError(f"tiers.{key}", _("must be a table"))
        _known(t, _TIER_KEYS, f"tiers.{key}")
        tiers[int(key)] = Tier(
            int(key),
            _str(t, "title", f"tiers.{key}", f"tier {key}"),
            _decimal(t, "remedy_limit", f"tiers.{key}"),
        )
    if sorted(tiers) != [1, 2, 3]:
        raise ConfigError("tiers", _("must define tiers 1, 2 and 3"))
    limits = [tiers[n].remedy_limit for n in (1, 2, 3)]
    for n in (1, 2):
        lo, hi = limits[n - 1], limits[n]
        if (lo is None and hi is not None) or (lo is not None and hi is not None and hi < lo):
            raise ConfigError(
                f"tiers.{n + 1}.remedy_limit", _("must not be below the tier under it")
            )
    return tiers


def _staff(table: dict[str, Any]) -> dict[str, StaffMember]:
    staff: dict[str, StaffMember] = {}
    for name, s in table.items():
        where = f"staff.{name}"
        if not isinstance(s, dict):
            raise ConfigError(where, _("must be a table"))
        _known(s, _STAFF_KEYS, where)
        tier = _int(s, "tier", where, 1, 1, 3)
        role = _str(s, "role", where, "agent")
        if role not in ROLES:
            raise ConfigError(
                f"{where}.role", _("must be one of: {values}").format(values=", ".join(ROLES))
            )
        dept = s.get("department", "")
        if not isinstance(dept, str):
            raise ConfigError(f"{where}.department", _("must be a string"))
        staff[name] = StaffMember(name=name, tier=tier, role=role, department=dept)
    return staff


def _major(major: dict[str, Any], channels: list[str]) -> MajorRules:
    _known(major, _MAJOR_KEYS, "major")
    major_channels = _strings(major, "channels", "major")
    for ch in major_channels:
        if ch not in channels:
            raise ConfigError(
                "major.channels", _("{channel} is not in channels").format(channel=repr(ch))
            )
    return MajorRules(
        vip_customers=tuple(_strings(major, "vip_customers", "major")),
        channels=tuple(major_channels),
        demand_threshold=_decimal(major, "demand_threshold", "major"),
        repeat_count=_opt_int(major, "repeat_count", "major", 2, MAX_COUNT),
        repeat_days=_int(major, "repeat_days", "major", 90, 1, MAX_DAYS),
        influential_types=tuple(_strings(major, "influential_types", "major"))
        if "influential_types" in major
        else DEFAULT_INFLUENTIAL_TYPES,
        transfers=_opt_int(major, "transfers", "major", 1, MAX_COUNT)
        if "transfers" in major
        else 3,
        group_size=_opt_int(major, "group_size", "major", 2, MAX_COUNT)
        if "group_size" in major
        else 3,
    )


def _read_settings(shop: dict[str, Any], reply: dict[str, Any]) -> ReadSettings:
    """What the read models add: the SLA clock's pauses and targets, follow-ups, shifts."""
    defaults = ReadSettings()
    pause = reply.get("pause_statuses", list(defaults.pause_statuses))
    if not isinstance(pause, list) or any(s not in STATUSES for s in pause):
        raise ConfigError(
            "reply.pause_statuses",
            _("must be a list of {values}").format(values=", ".join(STATUSES)),
        )
    return ReadSettings(
        pause_statuses=tuple(pause),
        resolve_hours=_int(reply, "resolve_hours", "reply", defaults.resolve_hours, 0, MAX_HOURS),
        followup_days=_int(shop, "followup_days", "shop", defaults.followup_days, 0, MAX_DAYS),
        followup_quota=_int(shop, "followup_quota", "shop", defaults.followup_quota, 0, MAX_COUNT),
        due_soon_hours=_int(shop, "due_soon_hours", "shop", defaults.due_soon_hours, 0, MAX_HOURS),
        shifts=_shifts(shop) if "shifts" in shop else defaults.shifts,
    )


def _shifts(shop: dict[str, Any]) -> dict[str, tuple[time, time]]:
    table = shop["shifts"]
    if not isinstance(table, dict) or not table:
        raise ConfigError("shop.shifts", _("must be a table of shifts"))
    shifts: dict[str, tuple[time, time]] = {}
    for name, s in table.items():
        where = f"shop.shifts.{name}"
        if not isinstance(s, dict):
            raise ConfigError(where, _("must be a table with start and end"))
        _known(s, _SHIFT_KEYS, where)
        try:
            shifts[name] = (time.fromisoformat(s["start"]), time.fromisoformat(s["end"]))
        except (TypeError, KeyError, ValueError):
            raise ConfigError(where, _("needs start and end as HH:MM")) from None
    return shifts


def load(path: Path) -> Config:
    """Read and check a config file."""
    return parse(read(path))


def parse_local(data: dict[str, Any]) -> Config:
    """A joined desk's file (``init --join``): only its [store] table; the rules are the store's.

    The policy here is a placeholder until the store's settings are applied
    (``complaintctl.settings.rules_in_force``).
    """
    _known(data, frozenset({"store"}), "")
    store, backend, _, _ = _store_and_privacy(data)
    return Config(policy=Policy(), backend=backend, store=store, raw=data)


#: A shop's config is a few kB; anything this big is not one (and is not read whole).
MAX_CONFIG_BYTES = 1 << 20


def read(path: Path) -> dict[str, Any]:
    """A config file's mapping, as TOML (ConfigError for a missing or unreadable file)."""
    from complaintctl.regularfile import NotRegular, read_regular

    try:
        text = read_regular(path, MAX_CONFIG_BYTES)
    except NotRegular as e:
        raise ConfigError(str(path), str(e).removeprefix(f"{path}: ")) from None
    except FileNotFoundError:
        raise ConfigError(
            str(path), _("no configuration here; run `complaintctl init` first")
        ) from None
    except PermissionError as e:
        raise ConfigUnreadable(
            str(path), _("cannot read: {error}").format(error=e.strerror)
        ) from None
    except OSError as e:
        raise ConfigError(str(path), _("cannot read: {error}").format(error=e.strerror)) from None
    try:
        data = tomllib.loads(text.decode("utf-8"))
    except UnicodeDecodeError:
        raise ConfigError(str(path), _("not UTF-8")) from None
    except tomllib.TOMLDecodeError as e:
        raise ConfigError(str(path), _("not valid TOML: {error}").format(error=e)) from None
    return data


def write(path: Path, data: dict[str, Any], *, local: bool = False) -> None:
    """Check, then write the config with tomli-w (atomically: a temp file and a rename).

    ``local``: a joined desk's file, only its [store] table (``parse_local``).
    """
    (parse_local if local else parse)(data)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    import tomli_w  # writing only: a read of the config never loads it

    tmp.write_text(tomli_w.dumps(data), encoding="utf-8")
    tmp.replace(path)
