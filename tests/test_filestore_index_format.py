"""An index written by another version of the store is rebuilt, not an error."""

from __future__ import annotations

import sqlite3
import uuid
from pathlib import Path

import pytest
from eventsourcing.persistence import StoredEvent

from complaintctl.filestore import FileInfrastructureFactory


def test_an_index_of_an_older_layout_is_rebuilt(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    env = {"FILESTORE_PATH": str(tmp_path)}
    a = uuid.uuid4()
    f = FileInfrastructureFactory(env)
    f.application_recorder().insert_events([StoredEvent(a, 1, "t", b"{}")])
    f.close()
    db = sqlite3.connect(tmp_path / "events.index.sqlite")
    db.executescript(  # the first release's key/value meta table, no format mark
        "DROP TABLE meta; CREATE TABLE meta (key TEXT PRIMARY KEY, value); PRAGMA user_version=0;"
    )
    db.close()
    f = FileInfrastructureFactory(env)
    rec = f.application_recorder()
    rec.insert_events([StoredEvent(a, 2, "t", b"{}")])
    assert [e.originator_version for e in rec.select_events(a)] == [1, 2]
    f.close()
    assert "another format" in caplog.text
