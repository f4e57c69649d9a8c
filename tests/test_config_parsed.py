"""The config's kept parse (complaintctl.config.parsed): never served for changed bytes."""

from __future__ import annotations

import os
import tomllib
from pathlib import Path

import pytest
from conftest import Store

from complaintctl.config import ConfigError, read
from complaintctl.config.parsed import NAME, parse_toml


def test_the_cache_directory_is_the_read_models() -> None:
    from complaintctl.config import parsed
    from projections import cachefiles

    assert parsed.CACHE_DIR == cachefiles.CACHE_DIR


def _store_with_cache(tmp_path: Path) -> Path:
    store = tmp_path / "s"
    (store / "cache").mkdir(parents=True)
    return store


def test_a_changed_file_is_parsed_again_even_with_its_size_and_time(tmp_path: Path) -> None:
    store = _store_with_cache(tmp_path)
    path = store / "complaintctl.toml"
    path.write_bytes(b'[shop]\nname = "AAAA"\n')
    assert read(path) == {"shop": {"name": "AAAA"}}
    assert (store / "cache" / NAME).is_file()
    assert read(path) == {"shop": {"name": "AAAA"}}  # from the kept copy
    st = path.stat()
    path.write_bytes(b'[shop]\nname = "BBBB"\n')  # same size
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns))  # same time
    assert path.stat().st_size == st.st_size and path.stat().st_mtime_ns == st.st_mtime_ns
    assert read(path) == {"shop": {"name": "BBBB"}}
    path.write_bytes(b'[shop]\nname = "AAAA"\n')
    assert read(path) == {"shop": {"name": "AAAA"}}


def test_the_kept_copy_is_never_needed(tmp_path: Path) -> None:
    store = _store_with_cache(tmp_path)
    path = store / "complaintctl.toml"
    text = b'[shop]\nname = "x"\nworking_days = [1, 2]\nrate = 1.5\n'
    path.write_bytes(text)
    want = tomllib.loads(text.decode())
    assert read(path) == want
    kept = store / "cache" / NAME
    for damage in (b"", b"\x00garbage", kept.read_bytes()[:-3]):
        kept.write_bytes(damage)
        assert read(path) == want
    kept.unlink()
    kept.mkdir()  # not even writable: parsed each time
    assert read(path) == want
    assert parse_toml(path, text) == want


def test_dates_are_not_kept_and_errors_stay_the_same(tmp_path: Path) -> None:
    store = _store_with_cache(tmp_path)
    path = store / "complaintctl.toml"
    path.write_bytes(b"[shop]\nholidays = [2026-10-01]\n")
    assert read(path)["shop"]["holidays"][0].isoformat() == "2026-10-01"
    assert not (store / "cache" / NAME).exists()
    path.write_bytes(b"[shop\n")
    with pytest.raises(ConfigError, match="not valid TOML"):
        read(path)
    path.write_bytes(b'name = "\xff"\n')
    with pytest.raises(ConfigError, match="not UTF-8"):
        read(path)


def test_a_config_changed_between_commands_holds_at_once(store: Store) -> None:
    """Through the CLI: an edit of the file (same size) is seen by the next command."""
    ref = store.new()
    store.ok("list", "--json")  # makes the read-model cache
    store.ok("show", ref, "--json")  # the cache directory exists: the parse is kept
    path = store.path / "complaintctl.toml"
    assert (store.path / "cache" / NAME).is_file()
    text = path.read_text("utf-8")
    assert "allow_unknown_staff = true" in text
    store.ok("show", ref, "--json", actor="路人")
    path.write_text(text.replace("allow_unknown_staff = true", "allow_unknown_staff = fals"))
    r = store.invoke("show", ref, "--json", actor="路人")
    assert r.exit_code == 2, r.output  # not valid TOML: not the kept parse
    path.write_text(text.replace("allow_unknown_staff = true", "allow_unknown_staff = false"))
    r = store.invoke("show", ref, "--json", actor="路人")
    assert r.exit_code == 4, r.output
