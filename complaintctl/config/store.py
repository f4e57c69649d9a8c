"""``[store]``, ``[privacy]`` and ``[attachments]``: how to open the store, what is
sealed and for how long it is kept; the store table is kept in the shape the
persistence environment takes (as a ``migrate --target``'s settings are).
"""

from __future__ import annotations

from typing import Any

from complaintctl.config.checks import (
    MAX_RETENTION_DAYS,
    ConfigError,
    flag,
    known,
    one_of,
    opt_whole,
    subtable,
    text,
)
from complaintctl.i18n import _

BACKENDS = ("file", "sqlite", "postgres")
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
#: Keys that would put an encryption key in the config file: refused, never read.
_KEY_NAMES = ("key", "cipher_key", "encryption_key", "secret")


def store_and_privacy(data: dict[str, Any]) -> tuple[dict[str, Any], str, bool, int | None]:
    """The checked ``[store]`` table, the backend, and the ``[privacy]`` settings."""
    store = subtable(data, "store")
    privacy = subtable(data, "privacy")
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
    known(store, _STORE_KEYS, "store")
    known(privacy, _PRIVACY_KEYS, "privacy")
    attachments = subtable(data, "attachments")  # max_mb, read by complaintctl.attachments
    known(attachments, frozenset({"max_mb"}), "attachments")
    opt_whole(attachments, "max_mb", "attachments", 1, 1 << 20)
    backend = text(store, "backend", "store", "file")
    one_of("store.backend", backend, BACKENDS)
    # How long a writer waits for another one's lock before exit 7 (seconds).
    timeout = store.get("lock_timeout", 10)
    if (
        isinstance(timeout, bool)
        or not isinstance(timeout, int | float)
        or not 0 <= timeout <= 86_400
    ):
        raise ConfigError("store.lock_timeout", _("must be a number of seconds from 0 to 86400"))
    flag(store, "encrypt", "store", False)
    for key in ("key_file", "sqlite_dbname"):
        if key in store and not (isinstance(store[key], str) and store[key].strip()):
            raise ConfigError(f"store.{key}", _("must be a path"))
    for key, (lo, hi) in POSTGRES_TUNING.items():
        opt_whole(store, key, "store", lo, hi)
    flag(store, "pre_ping", "store", False)
    if "sslmode" in store:
        one_of("store.sslmode", store["sslmode"], SSLMODES)
    for key in _POSTGRES_KEYS:
        if key == "port":
            opt_whole(store, "port", "store", 1, 65_535)
        elif key in store and not isinstance(store[key], str):
            raise ConfigError(f"store.{key}", _("must be a string"))
    return (
        dict(store),
        backend,
        flag(privacy, "encrypt_personal", "privacy", False),
        opt_whole(privacy, "retention_days", "privacy", 1, MAX_RETENTION_DAYS),
    )
