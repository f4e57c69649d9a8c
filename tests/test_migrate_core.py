"""Copying a store between backends: order, resumability, the proof."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import uuid
from pathlib import Path
from typing import Any

import pytest
from eventsourcing.persistence import StoredEvent
from pgsupport import pg_schema, pg_url  # noqa: F401  (fixture)

from complaintctl.app import persistence_env
from complaintctl.migrate import (
    TargetNotEmptyError,
    construct_factory,
    digest_store,
    migrate,
    redact_url,
    target_settings,
)


def fill(env: dict[str, str], aggregates: int, versions: int) -> list[tuple[str, int]]:
    """Write ``aggregates`` x ``versions`` events, interleaved, in small saves."""
    factory = construct_factory(env)
    rec = factory.application_recorder()
    ids = [uuid.uuid4() for _ in range(aggregates)]
    written = []
    for v in range(1, versions + 1):
        for oid in ids:
            state = f'{{"actor":"李娜","v":{v},"text":"\\u001b[2J"}}'.encode()
            rec.insert_events([StoredEvent(oid, v, "complaints:Noted", state)])
            written.append((str(oid), v))
    factory.close()
    return written


def file_env(path: Path) -> dict[str, str]:
    return persistence_env(path, "file", {})


def test_file_to_sqlite_copies_everything_in_order(tmp_path: Path) -> None:
    src = file_env(tmp_path / "src")
    written = fill(src, aggregates=7, versions=5)
    tgt = persistence_env(tmp_path, "sqlite", target_settings("sqlite", str(tmp_path / "t.db")))
    report = migrate(src, tgt, page=4)
    assert report.ok, report.problems()
    assert report.copied == len(written) == report.target.events
    f = construct_factory(tgt)
    got = [
        (str(n.originator_id), n.originator_version)
        for n in f.application_recorder().select_notifications(start=None, limit=1000)
    ]
    f.close()
    assert got == written


def test_refuses_a_non_empty_target(tmp_path: Path) -> None:
    src = file_env(tmp_path / "src")
    fill(src, 2, 2)
    tgt = file_env(tmp_path / "tgt")
    fill(tgt, 1, 1)
    with pytest.raises(TargetNotEmptyError):
        migrate(src, tgt)
    f = construct_factory(tgt)
    assert f.application_recorder().max_notification_id() == 1  # nothing written
    f.close()


def test_second_run_is_a_no_op_resume(tmp_path: Path) -> None:
    src = file_env(tmp_path / "src")
    fill(src, 3, 3)
    tgt = file_env(tmp_path / "tgt")
    assert migrate(src, tgt).copied == 9
    again = migrate(src, tgt)
    assert again.copied == 0 and again.resumed_from is not None and again.ok


def test_proof_notices_a_different_target(tmp_path: Path) -> None:
    src = file_env(tmp_path / "src")
    fill(src, 2, 2)
    other = file_env(tmp_path / "other")
    fill(other, 2, 2)  # same shape, other ids
    f1, f2 = construct_factory(src), construct_factory(other)
    a = digest_store(f1.application_recorder())
    b = digest_store(f2.application_recorder())
    f1.close()
    f2.close()
    assert a.events == b.events and a.digest != b.digest and a.versions != b.versions


_KILLABLE = """
import sys, time
from complaintctl.app import persistence_env
from complaintctl import migrate as m
from pathlib import Path
src = persistence_env(Path(sys.argv[1]), "file", {})
tgt = persistence_env(Path(sys.argv[2]), "file", {})
def slow(n):
    print(n, flush=True)
    time.sleep(0.05)
m.migrate(src, tgt, page=10, progress=slow)
"""


def test_killed_midway_then_resumed_completes_without_duplicates(tmp_path: Path) -> None:
    src = file_env(tmp_path / "src")
    written = fill(src, 10, 20)  # 200 events, 20 pages of 10
    proc = subprocess.Popen(
        [sys.executable, "-c", _KILLABLE, str(tmp_path / "src"), str(tmp_path / "tgt")],
        stdout=subprocess.PIPE,
        env={**os.environ},
    )
    assert proc.stdout is not None
    for _ in range(5):  # let it copy a few pages
        proc.stdout.readline()
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    tgt = file_env(tmp_path / "tgt")
    f = construct_factory(tgt)
    partial = f.application_recorder().max_notification_id() or 0
    f.close()
    assert 0 < partial < len(written)
    report = migrate(src, tgt)
    assert report.ok, report.problems()
    assert report.resumed_from is not None
    assert report.target.events == len(written)


def test_file_to_postgres_and_back(tmp_path: Path, pg_schema: dict[str, Any]) -> None:  # noqa: F811
    src = file_env(tmp_path / "src")
    fill(src, 5, 4)
    pg = persistence_env(tmp_path, "postgres", target_settings("postgres", pg_url(pg_schema)))
    report = migrate(src, pg, page=3)
    assert report.ok, report.problems()
    back = file_env(tmp_path / "back")
    report2 = migrate(pg, back)
    assert report2.ok and report2.source.digest == report.source.digest


def test_target_urls_are_parsed_and_redacted() -> None:
    s = target_settings("postgres", "postgresql://shop:s3cr%40t@db.local:5433/complaints?schema=x")
    assert s == {
        "dbname": "complaints",
        "host": "db.local",
        "port": 5433,
        "user": "shop",
        "password": "s3cr@t",
        "schema": "x",
    }
    assert "s3cr" not in redact_url("postgresql://shop:s3cr%40t@db.local/complaints")
    with_ssl = target_settings("postgres", "postgresql://db.local/c?schema=x&sslmode=require")
    assert with_ssl["sslmode"] == "require"
    assert persistence_env(Path("."), "postgres", with_ssl, environ={})["POSTGRES_SSLMODE"] == (
        "require"
    )
    with pytest.raises(ValueError):
        target_settings("postgres", "postgresql://db.local/c?sslmode=sometimes")
    with pytest.raises(ValueError):
        target_settings("postgres", "/not/a/url")


def test_digest_is_the_documented_formula(tmp_path: Path) -> None:
    """docs/migrate.md: per event, four length-prefixed fields, in order."""
    import hashlib

    env = file_env(tmp_path / "src")
    fill(env, 3, 2)
    f = construct_factory(env)
    rec = f.application_recorder()
    h = hashlib.sha256()
    for n in rec.select_notifications(start=None, limit=1000):
        for part in (
            str(n.originator_id).encode(),
            str(n.originator_version).encode(),
            n.topic.encode(),
            n.state,
        ):
            h.update(len(part).to_bytes(8, "big") + part)
    assert digest_store(rec).digest == h.hexdigest()
    f.close()
