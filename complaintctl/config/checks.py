"""How one value of ``complaintctl.toml`` is checked, and how a problem names its key.

Every check raises :class:`ConfigError` with the dotted key (``tiers.2.remedy_limit:
not a decimal``) so a shop can fix its file without reading code; the CLI turns it
into exit 2. The tables' own modules (:mod:`.rules`, :mod:`.store`, :mod:`.display`)
say which keys there are; this one says what a key may hold.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from complaintctl.i18n import _

#: Upper bounds that keep every deadline and cutoff inside datetime's range (and sane):
#: hours and days of a clock up to ten years, a retention up to a century.
MAX_HOURS = 24 * 366 * 10
MAX_DAYS = 366 * 10
MAX_RETENTION_DAYS = 366 * 100
MAX_COUNT = 1_000_000


class ConfigError(Exception):
    """The config file is missing, unreadable or invalid; ``key`` says where."""

    def __init__(self, key: str, problem: str) -> None:
        super().__init__(f"{key}: {problem}")
        self.key = key
        self.problem = problem


class ConfigUnreadable(ConfigError):
    """The file is there but this user may not read it: no permission, not a bad file (exit 7)."""


def dotted(where: str, key: str) -> str:
    return f"{where}.{key}" if where else key


def known(table: dict[str, Any], keys: frozenset[str], where: str) -> None:
    """Refuse the first key of ``table`` (at ``where``) that is not one of ``keys``."""
    unknown = sorted(set(table) - keys)
    if unknown:
        raise ConfigError(
            dotted(where, unknown[0]),
            _("unknown key (known: {keys})").format(keys=", ".join(sorted(keys))),
        )


def subtable(data: dict[str, Any], key: str, where: str = "") -> dict[str, Any]:
    value = data.get(key, {})
    if not isinstance(value, dict):
        raise ConfigError(dotted(where, key), _("must be a table"))
    return value


def strings(data: dict[str, Any], key: str, where: str, *, required: bool = False) -> list[str]:
    if key not in data:
        if required:
            raise ConfigError(dotted(where, key), _("is missing"))
        return []
    value = data[key]
    if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
        raise ConfigError(dotted(where, key), _("must be a list of non-empty strings"))
    if len(set(value)) != len(value):
        raise ConfigError(dotted(where, key), _("has duplicates"))
    return list(value)


def whole(data: dict[str, Any], key: str, where: str, default: int, lo: int, hi: int) -> int:
    value = opt_whole(data, key, where, lo, hi)
    return default if value is None else value


def opt_whole(data: dict[str, Any], key: str, where: str, lo: int, hi: int) -> int | None:
    """A whole number within bounds (absurd values refused here, not overflowing later)."""
    if key not in data:
        return None
    value = data[key]
    if isinstance(value, bool) or not isinstance(value, int) or not lo <= value <= hi:
        raise ConfigError(
            dotted(where, key), _("must be a whole number from {lo} to {hi}").format(lo=lo, hi=hi)
        )
    return value


def amount(data: dict[str, Any], key: str, where: str) -> Decimal | None:
    if key not in data:
        return None
    value = data[key]
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise ConfigError(
            dotted(where, key), _('must be a decimal written as a string, e.g. "500"')
        )
    try:
        d = Decimal(str(value))
    except InvalidOperation:
        raise ConfigError(
            dotted(where, key), _("not a decimal: {value}").format(value=repr(value))
        ) from None
    if not d.is_finite() or d < 0:
        raise ConfigError(dotted(where, key), _("must be a finite amount >= 0"))
    return d


def one_of(key: str, value: Any, values: tuple[str, ...]) -> None:
    """Refuse a value that is not one of ``values``, naming them all."""
    if value not in values:
        raise ConfigError(key, _("must be one of: {values}").format(values=", ".join(values)))


def text(data: dict[str, Any], key: str, where: str, default: str) -> str:
    value = data.get(key, default)
    if not isinstance(value, str) or not value.strip():
        raise ConfigError(dotted(where, key), _("must be a non-empty string"))
    return value


def flag(data: dict[str, Any], key: str, where: str, default: bool) -> bool:
    value = data.get(key, default)
    if not isinstance(value, bool):
        raise ConfigError(dotted(where, key), _("must be true or false"))
    return value


def dates(table: dict[str, Any], key: str, where: str) -> tuple[date, ...]:
    """A list of dates (TOML dates or ISO text)."""
    out: list[date] = []
    raw = table.get(key, [])
    if not isinstance(raw, list):
        raise ConfigError(dotted(where, key), _("must be a list of dates"))
    for i, h in enumerate(raw):
        if isinstance(h, date) and not isinstance(h, datetime):
            out.append(h)
            continue
        try:
            out.append(date.fromisoformat(h))
        except (TypeError, ValueError):
            raise ConfigError(
                f"{dotted(where, key)}[{i}]", _("not a date: {value}").format(value=repr(h))
            ) from None
    return tuple(out)
