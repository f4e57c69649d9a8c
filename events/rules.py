"""The shop's rules as a config mapping changed by dotted keys: pure, no aggregate.

The settings aggregate (:mod:`events.settings`) records changes; a reading
command applies them through these functions alone, so it starts without the
write model (``projections.settings`` folds the settings' events).
"""

from __future__ import annotations

import copy
from collections.abc import Iterable, Mapping
from typing import Any

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


def shop_rules(data: Mapping[str, Any]) -> dict[str, Any]:
    """A config mapping without the tables that belong to one desk."""
    return {k: copy.deepcopy(v) for k, v in data.items() if k not in LOCAL_TABLES}
