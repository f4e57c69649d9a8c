"""``attach`` takes regular files only, up to ``[attachments] max_mb``, and cleans up after itself.

Through the real CLI on every backend: a FIFO, ``/dev/zero``, a directory, a
file over the limit (a sparse one too) end in exit 2 with nothing written;
temporary files a killed attach left are reported by ``verify`` and removed
by the next attach once an hour old.
"""

from __future__ import annotations

import os
import sqlite3
import time
import tomllib
from pathlib import Path
from typing import Any

import pytest
import tomli_w
from conftest import Store, make_store, run_cli
from pgsupport import _connect


def set_config(store: Store, table: str, **values: Any) -> None:
    path = store.path / "complaintctl.toml"
    data = tomllib.loads(path.read_text("utf-8"))
    data.setdefault(table, {}).update(values)
    path.write_text(tomli_w.dumps(data), "utf-8")


def stored(store: Store) -> int:
    """How many attached files the store holds, wherever its backend keeps them."""
    cfg = tomllib.loads((store.path / "complaintctl.toml").read_text("utf-8"))["store"]
    backend = cfg.get("backend", "file")
    if backend == "file":
        folder = store.path / "attachments"
        return sum(1 for p in folder.rglob("*") if p.is_file()) if folder.exists() else 0
    table = "complaintctl_attachment_chunks"
    if backend == "sqlite":
        db = sqlite3.connect(cfg.get("sqlite_dbname", store.path / "events.sqlite"))
        try:
            return int(db.execute(f"SELECT count(*) FROM {table}").fetchone()[0])
        except sqlite3.OperationalError:
            return 0  # no such table: nothing was ever attached
        finally:
            db.close()
    qualified = f'"{cfg["schema"]}".{table}'
    with _connect() as conn:
        if conn.execute("SELECT to_regclass(%s)", (qualified,)).fetchone()[0] is None:
            return 0
        return int(conn.execute(f"SELECT count(*) FROM {qualified}").fetchone()[0])


def refused(store: Store, ref: str, path: str, *words: str) -> None:
    """attach must exit 2 quickly, saying why, with no event and no stored bytes."""
    before = (store.event_count(), stored(store))
    started = time.monotonic()
    r = run_cli(store.path, "attach", ref, path)  # a fresh process: a hang times out
    assert r.returncode == 2, (r.returncode, r.stdout, r.stderr)
    assert time.monotonic() - started < 30
    for word in words:
        assert word in r.stderr
    assert (store.event_count(), stored(store)) == before
    assert not list(store.path.rglob(".incoming-*"))


def test_only_regular_files_within_the_limit(any_store: Store, tmp_path: Path) -> None:
    ref = any_store.new()
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    refused(any_store, ref, str(fifo), "not a regular file")
    refused(any_store, ref, "/dev/zero", "not a regular file")
    refused(any_store, ref, str(tmp_path), "is a directory")
    set_config(any_store, "attachments", max_mb=1)
    big = tmp_path / "big.bin"
    big.write_bytes(b"x" * ((1 << 20) + 1))
    refused(any_store, ref, str(big), "over the limit of 1 MB", "max_mb")
    sparse = tmp_path / "sparse.bin"
    with sparse.open("wb") as f:
        f.truncate(2 << 30)  # 2 GB of nothing: refused by its size, never read
    refused(any_store, ref, str(sparse), "over the limit")
    exact = tmp_path / "exact.bin"
    exact.write_bytes(os.urandom(1 << 20))
    any_store.ok("attach", ref, str(exact))
    assert stored(any_store) >= 1
    assert any_store.json("verify")["ok"] is True


def test_the_limit_defaults_to_50_mb_and_is_checked(store: Store, tmp_path: Path) -> None:
    ref = store.new()
    big = tmp_path / "big.bin"
    with big.open("wb") as f:
        f.truncate((50 << 20) + 1)
    refused(store, ref, str(big), "over the limit of 50 MB")
    for bad in (0, "10", True):
        set_config(store, "attachments", max_mb=bad)
        r = store.invoke("list")
        assert r.exit_code == 2 and "attachments.max_mb" in r.stderr, r.stderr
    set_config(store, "attachments", max_mb=5, mb=5)
    r = store.invoke("list")
    assert r.exit_code == 2 and "attachments.mb" in r.stderr


def test_stale_temporary_files_are_reported_then_removed(store: Store, tmp_path: Path) -> None:
    ref = store.new()
    folder = store.path / "attachments"
    folder.mkdir(mode=0o700)
    old = folder / ".incoming-killed"
    old.write_bytes(b"half a recording")
    two_hours_ago = time.time() - 7200
    os.utime(old, (two_hours_ago, two_hours_ago))
    fresh = folder / ".incoming-running"  # an attach writing now: left alone
    fresh.write_bytes(b"...")
    report = store.json("verify")
    assert report["ok"] is True
    assert report["stale"] == ["attachments/.incoming-killed"]
    assert "stale" in store.ok("verify").stdout
    evidence = tmp_path / "photo.jpg"
    evidence.write_bytes(b"jpeg")
    store.ok("attach", ref, str(evidence), "--kind", "photo")
    assert not old.exists() and fresh.exists()
    assert store.json("verify")["stale"] == []


@pytest.mark.parametrize("backend", ["sqlite", "postgres"])
def test_a_big_file_goes_into_the_database_in_chunks(
    backend: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    settings: dict[str, Any] = {}
    if backend == "postgres":
        settings = dict(request.getfixturevalue("pg_schema"))
    store = make_store(tmp_path / "store", backend=backend, **settings)
    ref = store.new()
    big = tmp_path / "video.mp4"
    big.write_bytes(os.urandom((3 << 20) + 5))
    store.ok("attach", ref, str(big), "--kind", "recording")
    store.ok("attach", ref, str(big), "--kind", "recording")  # the same bytes: stored once
    assert stored(store) == 4  # 3 MiB and 5 bytes: four chunks
    assert not (store.path / "attachments").exists()
    report = store.json("verify")
    assert report["ok"] is True and len(report["attachments"]) == 2
    assert store.show(ref)["attachments"][0]["sha256"] == report["attachments"][0]["sha256"]
