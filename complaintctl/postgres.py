"""The library's PostgreSQL module, with what it does not pass on and says too little about.

``eventsourcing.postgres`` builds its connection pool from its own variables
(host, port, database, user, password, pool size, timeouts) and passes
nothing else to libpq, so ``[store] sslmode`` would be lost; and when no
connection can be made it says only "couldn't get a connection after 5.00
sec", the reason (no SSL on the server, authentication, no such database)
left in the pool's log. This factory is the library's, with

- the libpq settings of :data:`LIBPQ_OPTIONS` added to the pool's connection
  arguments before the pool opens;
- the last connection failure's reason added to that message (with the
  password, should libpq ever quote it, masked).

Select it with ``PERSISTENCE_MODULE=complaintctl.postgres`` (as
``app.persistence_env`` does). The module holds one factory class, as the
library's lookup of a module requires.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import eventsourcing.postgres as library
import psycopg
from eventsourcing.persistence import OperationalError

from complaintctl.pgrecorder import PostgresRecorder

#: libpq connection settings the library does not pass: [store] key -> variable.
LIBPQ_OPTIONS = {"sslmode": "POSTGRES_SSLMODE"}
_TIMED_OUT = "couldn't get a connection"


class PostgresFactory(library.PostgresFactory):
    """The library's PostgreSQL factory; its pool also passes :data:`LIBPQ_OPTIONS`."""

    application_recorder_class = PostgresRecorder  # bulk imports ask in one query per batch

    def __init__(self, env: Any) -> None:
        super().__init__(env)
        kwargs = self.datastore.pool.kwargs
        assert isinstance(kwargs, dict)  # the library gives a dict (and sets the password in it)
        for key, var in LIBPQ_OPTIONS.items():
            if value := self.env.get(var):
                kwargs[key] = value
        _explain_failures(self.datastore, lambda: str(kwargs.get("password") or ""))


def _explain_failures(datastore: Any, password: Callable[[], str]) -> None:
    """Keep the reason of the pool's last failed connection, and add it to its timeout."""
    pool = datastore.pool
    connect = pool._connect
    reasons: list[str] = []

    def remembering(timeout: float | None = None) -> Any:
        try:
            return connect(timeout=timeout)
        except psycopg.Error as e:
            reasons[:] = [_reason(str(e), password())]
            raise

    get_connection = datastore.get_connection

    @contextmanager
    def explained() -> Iterator[Any]:
        try:
            with get_connection() as conn:
                yield conn
        except OperationalError as e:
            if reasons and str(e).startswith(_TIMED_OUT):
                raise OperationalError(f"{e}: {reasons[-1]}") from e
            raise

    pool._connect = remembering
    datastore.get_connection = explained


def _reason(text: str, password: str) -> str:
    """libpq's message in one line (its last, the cause), never with the password."""
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    reason = lines[-1] if lines else text
    return reason.replace(password, "***") if password else reason
