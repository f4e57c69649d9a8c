"""The reading commands' story tests again, on SQLite and on PostgreSQL.

``test_cli_read.py`` tells the story on the default file store; here the same
tests run with the ``store`` fixture overridden by the library's SQLite store
and by PostgreSQL (a schema of its own per test, dropped afterwards), so the
read models are shown to fold the same whatever the backend.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from conftest import Store, make_store
from pgsupport import pg_schema  # noqa: F401  (fixture)
from test_cli_read import (  # noqa: F401  (collected here with this module's store)
    story,
    test_customer_history_and_repeat_flag,
    test_group_summary,
    test_handover_record_and_accept_are_events,
    test_list_filters_and_the_keys_of_show,
    test_list_formats_and_chinese_columns_line_up,
    test_overdue_and_followups,
    test_report_daily_in_every_format,
    test_show_as_of,
    test_stats_by_hand,
    test_the_sla_clock_of_one_case,
)


@pytest.fixture(params=["sqlite", "postgres"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Store:
    settings: dict[str, Any] = {}
    if request.param == "postgres":
        settings = dict(request.getfixturevalue("pg_schema"))
    return make_store(tmp_path / "store", backend=request.param, **settings)


def test_these_stores_are_not_the_file_store(
    store: Store,
    story: dict[str, str],  # noqa: F811  (the imported fixture)
) -> None:
    assert not (store.path / "events.jsonl").exists()
    assert store.event_count() > 0
