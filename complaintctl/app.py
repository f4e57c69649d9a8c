"""The one place that opens the application on a store (the persistence env is built here)."""

from __future__ import annotations

import base64
import binascii
import os
import random
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

from complaintctl.config import ConfigError
from complaintctl.keyring import open_keyring

if TYPE_CHECKING:
    from uuid import UUID

    from events.application import ComplaintsApp
    from events.policy import Policy
    from events.receipt import NumberingLock

# The library and the write model are imported in open_app: a reading command
# uses persistence_env and the module names only.

#: [store] keys passed to the library's PostgreSQL module as its variables.
PG_PASS_THROUGH = {
    "pool_size": "POSTGRES_POOL_SIZE",
    "max_overflow": "POSTGRES_MAX_OVERFLOW",
    "connect_timeout": "POSTGRES_CONNECT_TIMEOUT",
    "max_waiting": "POSTGRES_MAX_WAITING",
    "conn_max_age": "POSTGRES_CONN_MAX_AGE",
    "pre_ping": "POSTGRES_PRE_PING",
    "idle_in_transaction_session_timeout": "POSTGRES_IDLE_IN_TRANSACTION_SESSION_TIMEOUT",
}
#: A one-shot command needs one connection, two at most (the library's default opens 5);
#: a wrong host fails within seconds, not the library's 30.
PG_DEFAULTS = {"POSTGRES_POOL_SIZE": "1", "POSTGRES_MAX_OVERFLOW": "1",
               "POSTGRES_CONNECT_TIMEOUT": "5"}  # fmt: skip

# The default plain-file store; "sqlite" uses the library's module, "postgres" the
# library's with the libpq settings it does not pass on (sslmode).
FILE_MODULE = "complaintctl.filestore"
POSTGRES_MODULE = "complaintctl.postgres"


def persistence_env(
    store: Path,
    backend: str,
    settings: dict[str, Any],
    *,
    environ: Mapping[str, str] = os.environ,
    key_file: Path | None = None,
) -> dict[str, str]:
    """The library's environment for a backend, with the cipher when ``[store] encrypt``.

    Encryption at rest uses the library's own cipher (``CIPHER_TOPIC`` =
    ``eventsourcing.cipher:AESCipher``, ``CIPHER_KEY``); the key comes from
    ``key_file`` (``--key-file``), else ``COMPLAINTCTL_KEY_FILE``, else
    ``COMPLAINTCTL_CIPHER_KEY``, else the file named by ``[store] key_file``,
    never from the config file itself.
    """
    env = _backend_env(store, backend, settings, environ=environ)
    if settings.get("encrypt"):
        env["CIPHER_TOPIC"] = "eventsourcing.cipher:AESCipher"
        env["CIPHER_KEY"] = cipher_key(settings, environ, key_file)
    return env


def cipher_key(
    settings: Mapping[str, Any], environ: Mapping[str, str], key_file: Path | None = None
) -> str:
    """The store's AES key (base64 of 16, 24 or 32 bytes); ConfigError if none or bad."""
    path = key_file or environ.get("COMPLAINTCTL_KEY_FILE")
    text = None if path else environ.get("COMPLAINTCTL_CIPHER_KEY")
    path = path or (None if text else settings.get("key_file"))
    if path:
        try:
            text = Path(path).read_text("ascii").strip()
        except (OSError, UnicodeDecodeError) as e:
            raise ConfigError("key file", f"cannot read {path}: {e}") from None
    if not text:
        raise ConfigError(
            "store.encrypt",
            "is true but no key was given: set COMPLAINTCTL_CIPHER_KEY or use --key-file "
            "(COMPLAINTCTL_KEY_FILE); make one with `complaintctl keygen`",
        )
    try:
        size = len(base64.b64decode(text, validate=True))
    except (ValueError, binascii.Error):
        size = -1
    if size not in (16, 24, 32):
        raise ConfigError("cipher key", "must be base64 of 16, 24 or 32 random bytes")
    return text


def _backend_env(
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
        env = {"PERSISTENCE_MODULE": POSTGRES_MODULE}
        for key in ("host", "port", "dbname", "user", "password", "schema", "sslmode"):
            var = f"POSTGRES_{key.upper()}"
            if var in environ:
                env[var] = environ[var]
            elif key in settings:
                env[var] = str(settings[key])
        for key, var in PG_PASS_THROUGH.items():
            if var in environ:
                env[var] = environ[var]
            elif key in settings:
                value = settings[key]
                env[var] = ("y" if value else "n") if isinstance(value, bool) else str(value)
            elif var in PG_DEFAULTS:
                env[var] = PG_DEFAULTS[var]
        # The library insists on a password; trust and peer authentication need none.
        env.setdefault("POSTGRES_PASSWORD", environ.get("POSTGRES_PASSWORD", ""))
        return env
    raise ValueError(f"unknown backend {backend!r}")


_frozen = False


def _freeze_startup() -> None:
    """Once per process, before the write model's imports: every object made so far
    (the modules, click's commands, the config) leaves the cyclic collector's
    generations (``gc.freeze``), so the collections that the write model's imports
    and the command trigger no longer walk them: about 20 M instructions of a
    ~500 M ``note``. Objects made later are collected as before (a long ``import``
    or ``batch`` keeps its usual collections); the frozen ones live to the
    process's end, as modules do anyway."""
    global _frozen
    if not _frozen:
        _frozen = True
        import gc

        gc.freeze()


def open_app(
    store: Path,
    *,
    policy: Policy | None = None,
    backend: str = "file",
    settings: dict[str, Any] | None = None,
    encrypt_personal: bool = False,
    key_file: Path | None = None,
    seal_free_text: bool = False,
) -> ComplaintsApp:
    """Open the write model on a store directory (created if missing).

    On PostgreSQL the library creates its tables when it opens; two processes
    doing so at once can collide in the catalogue ("tuple concurrently
    updated"), so opening is tried again a few times.
    """
    _freeze_startup()
    from complaintctl.dataclasscode import install

    install()  # the library's and the events' dataclasses: their methods' code kept
    from eventsourcing.persistence import IntegrityError, InternalError, ProgrammingError

    import complaintctl.filestore.recorders  # noqa: F401  (the library finds the factory)
    from events.application import ComplaintsApp  # the write model: only where it is opened

    store.mkdir(parents=True, exist_ok=True, mode=0o700)
    env = persistence_env(store, backend, settings or {}, key_file=key_file)
    # Personal fields are sealed once the config says so, and stay readable
    # (and sealed) as long as the store has keys, whatever the config says later.
    keys = open_keyring(store, env)  # file store: keys/; SQLite, PostgreSQL: the database
    keyring = keys if encrypt_personal or keys.exists() else None
    for attempt in range(5):
        try:
            app = ComplaintsApp(env, policy=policy, keyring=keyring, seal_text=seal_free_text)
        except (InternalError, IntegrityError, ProgrammingError):
            if backend != "postgres" or attempt == 4:
                raise
            time.sleep(0.05 * (attempt + 1) * (1 + random.random()))
            continue
        keys.bind(app)  # the shared tables on the application's own connections
        if backend == "postgres":
            app.numbering_lock = numbering_lock(app)
        elif backend == "file":
            timeout = float(env.get("FILESTORE_LOCK_TIMEOUT") or 10)
            app.numbering_lock = file_numbering_lock(store, max(timeout, 30.0))
        if "CIPHER_KEY" in env:
            try:
                check_key(app)
            except BaseException:
                app.close()
                raise
        return app
    raise AssertionError("unreachable")


def numbering_lock(app: ComplaintsApp) -> NumberingLock:
    """A PostgreSQL advisory lock around numbering a case, for writers on every desk.

    Sixteen writers on one counter otherwise collide on its version and retry
    until some give up; with the lock they queue. The lock is the first
    statement of the transaction that reads the counter's last event (in the
    same round trip) and inserts the case (``PostgresFactory.numbering``), on
    the command's one connection: released when that transaction ends, also
    when the process dies.
    """
    from complaintctl.postgres import PostgresFactory
    from events.receipt import no_lock

    factory = app.factory
    if not isinstance(factory, PostgresFactory):  # the library's own module: retries alone
        return no_lock
    return partial(factory.numbering, f"complaintctl:numbering:{factory.datastore.schema}")


def file_numbering_lock(store: Path, timeout: float) -> NumberingLock:
    """``flock`` on ``<store>/numbering.lock`` around numbering a case: one store's writers.

    Sixteen processes creating cases at once otherwise race for the year's
    counter and retry (122-180 retries for 80 cases, 1-3 of them giving up
    with exit 5, in ``bench/desks.py --backend file``); with the lock they
    queue. Released when the process dies. A store this process cannot
    write gets no lock: its write fails on its own, with the store's reason.
    """

    @contextmanager
    def held(_counter: UUID | None = None) -> Iterator[None]:
        import fcntl

        from complaintctl.filestore.lock import flock_within

        try:
            fd = os.open(store / "numbering.lock", os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
        except OSError:
            yield None
            return
        try:
            if not flock_within(fd, fcntl.LOCK_EX, timeout):
                from complaintctl.filestore.errors import StoreUnavailableError

                raise StoreUnavailableError(
                    f"{store}: numbering a case waited {timeout:g} s for other writers"
                )
            yield None  # the caller reads the counter, under the lock
        finally:
            os.close(fd)  # closing lets go of the lock

    return held


def check_key(app: ComplaintsApp) -> None:
    """Refuse a wrong key at once (exit 2), not as a damaged event deep in a command.

    Decrypting the first event tells: AES-GCM authenticates, so a wrong key (or
    a store that was never encrypted) fails its check. One event: cheap.
    """
    from eventsourcing.persistence import MapperDeserialisationError, StoredEvent

    first = app.recorder.select_notifications(None, 1)
    if not first:
        return
    n = first[0]
    try:
        app.mapper.to_domain_event(
            StoredEvent(n.originator_id, n.originator_version, n.topic, n.state)
        )
    except MapperDeserialisationError:
        raise ConfigError(
            "cipher key",
            "does not open this store (a wrong key, or a store that was not written "
            "encrypted: [store] encrypt cannot be switched on for an existing store)",
        ) from None
