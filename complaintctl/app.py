"""The one place that opens the application on a store (the persistence env is built here)."""

from __future__ import annotations

import os
import random
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from eventsourcing.persistence import IntegrityError, InternalError, ProgrammingError

from events.application import ComplaintsApp
from events.policy import Policy

# The default plain-file store; "sqlite" and "postgres" use the library's own modules.
FILE_MODULE = "complaintctl.filestore"


def persistence_env(
    store: Path,
    backend: str,
    settings: dict[str, Any],
    *,
    environ: Mapping[str, str] = os.environ,
) -> dict[str, str]:
    """The library's environment for a backend; settings come from the config's [store].

    The library's own variables in ``environ`` (``POSTGRES_HOST``, ``SQLITE_DBNAME``...)
    override the config, as a flag overrides a file; pass ``environ={}`` where the
    settings must win (a ``migrate --target``).
    """
    if backend == "file":
        env = {"PERSISTENCE_MODULE": FILE_MODULE, "FILESTORE_PATH": str(store)}
        timeout = environ.get("FILESTORE_LOCK_TIMEOUT") or settings.get("lock_timeout")
        if timeout is not None:
            env["FILESTORE_LOCK_TIMEOUT"] = str(timeout)
        return env
    if backend == "sqlite":
        dbname = environ.get("SQLITE_DBNAME") or settings.get("sqlite_dbname")
        return {
            "PERSISTENCE_MODULE": "eventsourcing.sqlite",
            "SQLITE_DBNAME": str(dbname or store / "events.sqlite"),
        }
    if backend == "postgres":
        env = {"PERSISTENCE_MODULE": "eventsourcing.postgres"}
        for key in ("host", "port", "dbname", "user", "password", "schema"):
            var = f"POSTGRES_{key.upper()}"
            if var in environ:
                env[var] = environ[var]
            elif key in settings:
                env[var] = str(settings[key])
        # The library insists on a password; trust and peer authentication need none.
        env.setdefault("POSTGRES_PASSWORD", environ.get("POSTGRES_PASSWORD", ""))
        return env
    raise ValueError(f"unknown backend {backend!r}")


def open_app(
    store: Path,
    *,
    policy: Policy | None = None,
    backend: str = "file",
    settings: dict[str, Any] | None = None,
) -> ComplaintsApp:
    """Open the write model on a store directory (created if missing).

    On PostgreSQL the library creates its tables when it opens; two processes
    doing so at once can collide in the catalogue ("tuple concurrently
    updated"), so opening is tried again a few times.
    """
    store.mkdir(parents=True, exist_ok=True)
    env = persistence_env(store, backend, settings or {})
    for attempt in range(5):
        try:
            return ComplaintsApp(env, policy=policy)
        except (InternalError, IntegrityError, ProgrammingError):
            if backend != "postgres" or attempt == 4:
                raise
            time.sleep(0.05 * (attempt + 1) * (1 + random.random()))
    raise AssertionError("unreachable")
