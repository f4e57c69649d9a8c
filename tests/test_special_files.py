"""``--config`` (or ``import``) names something that is not a file to read (issue 13):
``/dev/zero`` never ends, a FIFO without a writer blocks whoever opens it, a huge file
is not a config. Each is refused at once, exit 2 naming the file, in a fresh process (a
hang would time out the child and fail the test)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from conftest import MANAGER, Store, run_cli


def _refused(store: Store, config: Path | str) -> None:
    before = store.event_count()
    r = run_cli(store.path, "--config", str(config), "show", "C-2026-00001", actor=MANAGER)
    assert r.returncode == 2, (r.returncode, r.stderr)
    assert str(config) in r.stderr and "Traceback" not in r.stderr, r.stderr
    assert store.event_count() == before


def test_dev_zero_as_config_is_refused(store: Store) -> None:
    _refused(store, "/dev/zero")


def test_a_fifo_as_config_is_refused(store: Store, tmp_path: Path) -> None:
    fifo = tmp_path / "config.fifo"
    os.mkfifo(fifo)
    _refused(store, fifo)


def test_a_huge_file_as_config_is_refused(store: Store, tmp_path: Path) -> None:
    huge = tmp_path / "huge.toml"
    huge.write_bytes(b"# " + b"x" * (2 << 20) + b"\n")
    _refused(store, huge)


@pytest.mark.parametrize("name", ["/dev/zero", "fifo"])
def test_a_write_with_such_a_config_writes_nothing(store: Store, tmp_path: Path, name: str) -> None:
    config = Path(name)
    if name == "fifo":
        config = tmp_path / "c.fifo"
        os.mkfifo(config)
    before = store.event_count()
    r = run_cli(store.path, "--config", str(config), "note", "C-2026-00001", "x", actor=MANAGER)
    assert r.returncode == 2 and str(config) in r.stderr, (r.returncode, r.stderr)
    assert store.event_count() == before


@pytest.mark.parametrize("name", ["/dev/zero", "fifo"])
def test_import_of_such_a_file_is_refused(store: Store, tmp_path: Path, name: str) -> None:
    source = Path(name)
    if name == "fifo":
        source = tmp_path / "rows.fifo"
        os.mkfifo(source)
    before = store.event_count()
    r = run_cli(store.path, "import", str(source), actor=MANAGER)
    assert r.returncode == 2, (r.returncode, r.stderr)
    assert str(source) in r.stderr and "regular file" in r.stderr, r.stderr
    assert store.event_count() == before
