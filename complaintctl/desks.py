"""Setting up a desk on a shared database: the first desk's ``init``, a further desk's ``--join``.

The first desk writes the whole config and records the shop's rules in the
database (``events.settings``); a further desk writes only its own part (the
``[store]`` table: connection, key file) and takes the rules from there. Both
test the connection first and say plainly what is wrong, within seconds: no
such database, connection refused, authentication failed. A password is never
written to the file nor printed: it stays in the environment
(``POSTGRES_PASSWORD``) or a password file of libpq's.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from complaintctl.errors import Refused, StoreUnavailable, UsageProblem
from complaintctl.i18n import _

#: The library's variables ``init`` records in [store] (never the password).
RECORDED = {
    "postgres": ("host", "port", "dbname", "user", "schema"),
    "sqlite": (),
}
#: Seconds ``init`` waits for a database before it says what is wrong.
PROBE_TIMEOUT = 5


def connection(
    backend: str, store_dir: Path, environ: Mapping[str, str] = os.environ
) -> dict[str, Any]:
    """The [store] table ``init`` writes: the backend and the connection, from the environment."""
    table: dict[str, Any] = {"backend": backend}
    if backend == "sqlite" and environ.get("SQLITE_DBNAME"):
        table["sqlite_dbname"] = environ["SQLITE_DBNAME"]
    for key in RECORDED.get(backend, ()):
        value = environ.get(f"POSTGRES_{key.upper()}")
        if value:
            table[key] = int(value) if key == "port" and value.isdigit() else value
    if backend == "postgres" and "dbname" not in table:
        raise UsageProblem(
            _(
                "init --backend postgres needs the database: set POSTGRES_DBNAME (and "
                "POSTGRES_HOST, POSTGRES_PORT, POSTGRES_USER as needed; the password only in "
                "POSTGRES_PASSWORD)"
            )
        )
    return table


def _plain(message: str) -> str:
    """What libpq said, in the words a shop reads (the first line is the cause)."""
    text = " ".join(message.split())
    low = text.lower()
    if "does not exist" in low and "database" in low:
        return f"no such database ({text})"
    if "refused" in low:
        return f"the server refused the connection: is PostgreSQL running there? ({text})"
    if "authentication" in low or "password" in low:
        return f"authentication failed ({text})"
    if "timeout" in low or "timed out" in low:
        return f"no answer within {PROBE_TIMEOUT} s ({text})"
    return text


def probe(table: Mapping[str, Any], environ: Mapping[str, str] = os.environ) -> None:
    """Connect once, with a short timeout; StoreUnavailable (exit 7) says plainly why not."""
    if table.get("backend") != "postgres":
        return
    import psycopg

    def setting(key: str) -> Any:
        return environ.get(f"POSTGRES_{key.upper()}") or table.get(key)

    try:
        conn = psycopg.connect(
            host=setting("host"),
            port=setting("port"),
            dbname=setting("dbname"),
            user=setting("user"),
            password=environ.get("POSTGRES_PASSWORD") or table.get("password") or None,
            connect_timeout=PROBE_TIMEOUT,
            sslmode=setting("sslmode") or None,
        )
    except psycopg.Error as e:
        where = f"{setting('host') or 'localhost'}:{setting('port') or 5432}/{setting('dbname')}"
        raise StoreUnavailable(
            _("cannot use PostgreSQL at {where}: {problem}").format(
                where=where, problem=_plain(str(e))
            )
        ) from None
    conn.close()


def refuse_if_shop(count: int, join: bool) -> None:
    """``init`` on a database that holds a shop already needs ``--join`` (exit 4)."""
    if count and not join:
        raise Refused(
            _(
                "this database already holds a shop ({count} events): a further desk joins it "
                "with `init --join`, which writes only this desk's part of the config"
            ).format(count=count)
        )
    if not count and join:
        raise Refused(_("this database holds no shop to join: run `init` (without --join) first"))
