"""PostgreSQL for tests: a schema of its own per test, dropped afterwards.

Tests that need PostgreSQL skip with a clear reason when the server is not
reachable, unless ``COMPLAINTCTL_REQUIRE_POSTGRES=1`` (CI), where they fail.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from typing import Any

import pytest

PG = {
    "host": os.environ.get("POSTGRES_HOST", "127.0.0.1"),
    "port": int(os.environ.get("POSTGRES_PORT", "5432")),
    "dbname": os.environ.get("POSTGRES_DBNAME", "test"),
    "user": os.environ.get("POSTGRES_USER", "postgres"),
}
if os.environ.get("POSTGRES_PASSWORD"):
    PG["password"] = os.environ["POSTGRES_PASSWORD"]


def _connect() -> Any:
    import psycopg

    return psycopg.connect(
        host=PG["host"],
        port=PG["port"],
        dbname=PG["dbname"],
        user=PG["user"],
        password=PG.get("password"),
        connect_timeout=3,
        autocommit=True,
    )


def postgres_or_skip() -> None:
    """Skip (or fail, when required) if PostgreSQL is not there."""
    try:
        with _connect() as conn:
            conn.execute("SELECT 1")
    except Exception as e:
        reason = f"PostgreSQL not reachable at {PG['host']}:{PG['port']}/{PG['dbname']}: {e}"
        if os.environ.get("COMPLAINTCTL_REQUIRE_POSTGRES") == "1":
            pytest.fail(f"{reason} (COMPLAINTCTL_REQUIRE_POSTGRES=1)")
        pytest.skip(reason)


@pytest.fixture
def pg_schema() -> Iterator[dict[str, Any]]:
    """Connection settings for a fresh schema, as the config's [store] would hold them."""
    postgres_or_skip()
    schema = f"t_{uuid.uuid4().hex[:16]}"
    with _connect() as conn:
        conn.execute(f'CREATE SCHEMA "{schema}"')
    try:
        yield {**PG, "schema": schema}
    finally:
        with _connect() as conn:
            conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')


def pg_url(settings: dict[str, Any]) -> str:
    """The settings as a ``--target`` URL."""
    auth = settings["user"] + (f":{settings['password']}" if settings.get("password") else "")
    return (
        f"postgresql://{auth}@{settings['host']}:{settings['port']}/{settings['dbname']}"
        f"?schema={settings['schema']}"
    )
