"""``complaintctl.toml``: read with tomllib, checked key by key, written with tomli-w.

Every problem names its key (``tiers.2.remedy_limit: not a decimal``) so a
shop can fix its file without reading code; the CLI turns it into exit 2.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import tomli_w

from events.policy import ROLES, SEVERITIES, MajorRules, Policy, StaffMember, Tier

CONFIG_NAME = "complaintctl.toml"
BACKENDS = ("file", "sqlite", "postgres")
_TOP_KEYS = {
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
}
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
    """The parsed file: the policy the rules read, plus store settings for the edge."""

    policy: Policy
    backend: str = "file"
    store: dict[str, Any] = field(default_factory=dict)
    raw: dict[str, Any] = field(default_factory=dict)
    # Customers' names, contacts and accounts sealed per customer (events.personal).
    encrypt_personal: bool = False


def _table(data: dict[str, Any], key: str, where: str) -> dict[str, Any]:
    value = data.get(key, {})
    if not isinstance(value, dict):
        raise ConfigError(f"{where}{key}", "must be a table")
    return value


def _strings(data: dict[str, Any], key: str, where: str, *, required: bool = False) -> list[str]:
    if key not in data:
        if required:
            raise ConfigError(f"{where}{key}", "is missing")
        return []
    value = data[key]
    if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
        raise ConfigError(f"{where}{key}", "must be a list of non-empty strings")
    if len(set(value)) != len(value):
        raise ConfigError(f"{where}{key}", "has duplicates")
    return list(value)


def _int(
    data: dict[str, Any], key: str, where: str, default: int | None, lo: int = 0
) -> int | None:
    if key not in data:
        return default
    value = data[key]
    if isinstance(value, bool) or not isinstance(value, int) or value < lo:
        raise ConfigError(f"{where}{key}", f"must be a whole number >= {lo}")
    return value


def _decimal(data: dict[str, Any], key: str, where: str) -> Decimal | None:
    if key not in data:
        return None
    value = data[key]
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise ConfigError(f"{where}{key}", 'must be a decimal written as a string, e.g. "500"')
    try:
        d = Decimal(str(value))
    except InvalidOperation:
        raise ConfigError(f"{where}{key}", f"not a decimal: {value!r}") from None
    if not d.is_finite() or d < 0:
        raise ConfigError(f"{where}{key}", "must be a finite amount >= 0")
    return d


def _str(data: dict[str, Any], key: str, where: str, default: str) -> str:
    value = data.get(key, default)
    if not isinstance(value, str) or not value.strip():
        raise ConfigError(f"{where}{key}", "must be a non-empty string")
    return value


def _bool(data: dict[str, Any], key: str, where: str, default: bool) -> bool:
    value = data.get(key, default)
    if not isinstance(value, bool):
        raise ConfigError(f"{where}{key}", "must be true or false")
    return value


def parse(data: dict[str, Any]) -> Config:
    """Check a config mapping and build the policy; raise ConfigError naming the key."""
    unknown = sorted(set(data) - _TOP_KEYS)
    if unknown:
        raise ConfigError(unknown[0], f"unknown key (known: {', '.join(sorted(_TOP_KEYS))})")
    shop = _table(data, "shop", "")
    tz = _str(shop, "timezone", "shop.", "UTC")
    try:
        ZoneInfo(tz)
    except (ZoneInfoNotFoundError, ValueError):
        raise ConfigError("shop.timezone", f"unknown time zone {tz!r}") from None
    currency = _str(shop, "currency", "shop.", "CNY")
    if not (len(currency) == 3 and currency.isalpha() and currency.isupper()):
        raise ConfigError("shop.currency", "must be a three-letter code such as CNY")
    days = shop.get("working_days", [1, 2, 3, 4, 5])
    if not isinstance(days, list) or not all(
        isinstance(d, int) and not isinstance(d, bool) and 1 <= d <= 7 for d in days
    ):
        raise ConfigError("shop.working_days", "must be a list of ISO weekdays 1 (Monday) to 7")
    holidays: list[date] = []
    if not isinstance(shop.get("holidays", []), list):
        raise ConfigError("shop.holidays", "must be a list of dates")
    for i, h in enumerate(shop.get("holidays", [])):
        if isinstance(h, date):
            holidays.append(h)
            continue
        try:
            holidays.append(date.fromisoformat(h))
        except (TypeError, ValueError):
            raise ConfigError(f"shop.holidays[{i}]", f"not a date: {h!r}") from None

    store = _table(data, "store", "")
    backend = _str(store, "backend", "store.", "file")
    if backend not in BACKENDS:
        raise ConfigError("store.backend", f"must be one of {', '.join(BACKENDS)}")
    # How long a writer waits for another one's lock before exit 7 (seconds).
    timeout = store.get("lock_timeout", 10)
    if (
        isinstance(timeout, bool)
        or not isinstance(timeout, int | float)
        or not 0 <= timeout <= 86_400
    ):
        raise ConfigError("store.lock_timeout", "must be a number of seconds from 0 to 86400")
    privacy = _table(data, "privacy", "")
    for where, table in (("store.", store), ("privacy.", privacy)):
        for name in _KEY_NAMES:
            if name in table:
                raise ConfigError(
                    f"{where}{name}",
                    "an encryption key never goes in the config file: set "
                    "COMPLAINTCTL_CIPHER_KEY or use --key-file / COMPLAINTCTL_KEY_FILE",
                )
    _bool(store, "encrypt", "store.", False)
    if "key_file" in store and not isinstance(store["key_file"], str):
        raise ConfigError("store.key_file", "must be a path")
    unknown_privacy = sorted(set(privacy) - {"encrypt_personal", "retention_days"})
    if unknown_privacy:
        raise ConfigError(f"privacy.{unknown_privacy[0]}", "unknown key")
    retention = _int(privacy, "retention_days", "privacy.", None, lo=1)

    categories = _strings(data, "categories", "", required=True)
    channels = _strings(data, "channels", "", required=True)
    if not categories:
        raise ConfigError("categories", "must not be empty")
    if not channels:
        raise ConfigError("channels", "must not be empty")
    severities = _strings(data, "severities", "") or list(SEVERITIES)
    if sorted(severities) != sorted(SEVERITIES):
        raise ConfigError("severities", "must be exactly general and major")

    reply = _table(data, "reply", "")
    hours = _int(reply, "hours", "reply.", 24, lo=1)
    major_hours = _int(reply, "major_hours", "reply.", None, lo=1)
    basis = _str(reply, "basis", "reply.", "calendar")
    if basis not in ("calendar", "working"):
        raise ConfigError("reply.basis", "must be calendar or working")

    reg = _table(data, "regulatory", "")
    decision_days = _int(reg, "decision_days", "regulatory.", None, lo=1)
    ext = reg.get("extensions", [])
    if not isinstance(ext, list) or not all(isinstance(e, int) and e > 0 for e in ext):
        raise ConfigError("regulatory.extensions", "must be a list of day counts")
    if ext and ext != sorted(ext):
        raise ConfigError("regulatory.extensions", "must grow: e.g. [30, 60]")

    tiers_raw = _table(data, "tiers", "")
    tiers: dict[int, Tier] = {}
    for key, t in tiers_raw.items():
        if key not in ("1", "2", "3"):
            raise ConfigError(f"tiers.{key}", "tiers are 1, 2 and 3")
        if not isinstance(t, dict):
            raise ConfigError(f"tiers.{key}", "must be a table")
        tiers[int(key)] = Tier(
            int(key),
            _str(t, "title", f"tiers.{key}.", f"tier {key}"),
            _decimal(t, "remedy_limit", f"tiers.{key}."),
        )
    if sorted(tiers) != [1, 2, 3]:
        raise ConfigError("tiers", "must define tiers 1, 2 and 3")
    limits = [tiers[n].remedy_limit for n in (1, 2, 3)]
    for n in (1, 2):
        lo, hi = limits[n - 1], limits[n]
        if (lo is None and hi is not None) or (lo is not None and hi is not None and hi < lo):
            raise ConfigError(f"tiers.{n + 1}.remedy_limit", "must not be below the tier under it")

    staff: dict[str, StaffMember] = {}
    for name, s in _table(data, "staff", "").items():
        where = f"staff.{name}."
        if not isinstance(s, dict):
            raise ConfigError(f"staff.{name}", "must be a table")
        tier = _int(s, "tier", where, 1, lo=1)
        assert tier is not None
        if tier > 3:
            raise ConfigError(f"{where}tier", "must be 1, 2 or 3")
        role = _str(s, "role", where, "agent")
        if role not in ROLES:
            raise ConfigError(f"{where}role", f"must be one of {', '.join(ROLES)}")
        dept = s.get("department", "")
        if not isinstance(dept, str):
            raise ConfigError(f"{where}department", "must be a string")
        staff[name] = StaffMember(name=name, tier=tier, role=role, department=dept)

    major = _table(data, "major", "")
    major_channels = _strings(major, "channels", "major.")
    for ch in major_channels:
        if ch not in channels:
            raise ConfigError("major.channels", f"{ch!r} is not in channels")
    repeat_count = _int(major, "repeat_count", "major.", None, lo=2)
    rules = MajorRules(
        vip_customers=tuple(_strings(major, "vip_customers", "major.")),
        channels=tuple(major_channels),
        demand_threshold=_decimal(major, "demand_threshold", "major."),
        repeat_count=repeat_count,
        repeat_days=_int(major, "repeat_days", "major.", 90, lo=1) or 90,
    )
    assert hours is not None
    policy = Policy(
        categories=tuple(categories),
        channels=tuple(channels),
        departments=tuple(_strings(data, "departments", "")),
        currency=currency,
        reply_hours=hours,
        reply_hours_major=major_hours,
        reply_basis=basis,
        timezone=tz,
        working_days=tuple(days),
        holidays=tuple(holidays),
        tiers=tiers,
        staff=staff,
        allow_unknown_staff=_bool(shop, "allow_unknown_staff", "shop.", True),
        major=rules,
        decision_days=decision_days,
        decision_extensions=tuple(ext),
        retention_days=retention,
    )
    return Config(
        policy=policy,
        backend=backend,
        store=dict(store),
        raw=data,
        encrypt_personal=_bool(privacy, "encrypt_personal", "privacy.", False),
    )


def load(path: Path) -> Config:
    """Read and check a config file."""
    try:
        text = path.read_bytes()
    except FileNotFoundError:
        raise ConfigError(
            str(path), "no configuration here; run `complaintctl init` first"
        ) from None
    except PermissionError as e:
        raise ConfigUnreadable(str(path), f"cannot read: {e.strerror}") from None
    except OSError as e:
        raise ConfigError(str(path), f"cannot read: {e.strerror}") from None
    try:
        data = tomllib.loads(text.decode("utf-8"))
    except UnicodeDecodeError:
        raise ConfigError(str(path), "not UTF-8") from None
    except tomllib.TOMLDecodeError as e:
        raise ConfigError(str(path), f"not valid TOML: {e}") from None
    return parse(data)


def write(path: Path, data: dict[str, Any]) -> None:
    """Check, then write the config with tomli-w (atomically: a temp file and a rename)."""
    parse(data)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(tomli_w.dumps(data), encoding="utf-8")
    tmp.replace(path)
