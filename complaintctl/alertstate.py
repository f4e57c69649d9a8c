"""What ``alerts`` has told, per desk: a small JSON file under the store's ``cache/``.

``<store>/cache/alerts.json`` maps each actor (a desk, a cron job's
``--actor``) to the keys told and the time of the last run, so each item is
told once per desk. It is written atomically (a temporary file renamed);
deleting it (or the whole cache) only means everything is told once more.
Keys of items that no longer need attention are dropped, so the file stays
small.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any


def state_path(store: Path) -> Path:
    return store / "cache" / "alerts.json"


def load(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text("utf-8"))
    except (FileNotFoundError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def told(path: Path, desk: str) -> set[str]:
    entry = load(path).get(desk) or {}
    return set(entry.get("told") or [])


def remember(path: Path, desk: str, keys: set[str], now: str) -> None:
    """Record the keys told to ``desk`` (only those still current) and the time of the run."""
    data = load(path)
    data[desk] = {"last_run": now, "told": sorted(keys)}
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(json.dumps(data, ensure_ascii=False, indent=1), "utf-8")
    os.replace(tmp, path)
