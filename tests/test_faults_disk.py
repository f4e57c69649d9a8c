"""A really full disk and a really read-only store (issue 13, "Faults end in the documented
code"): a 2 MB tmpfs mounted for the test and filled to the last byte, commands run in
fresh processes. The contract (CLI.md): exit 7 with a message, never exit 1 ("this is a
bug"); on the file store, reads and ``verify`` still work (an index kept in memory)."""

from __future__ import annotations

import errno
import json
import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import MANAGER, Store, make_store, run_cli


@pytest.fixture
def small_fs(tmp_path: Path) -> Iterator[Path]:
    """A 2 MB tmpfs of the test's own (a real file system that fills up)."""
    if os.geteuid() != 0:
        pytest.skip("needs root to mount a 2 MB tmpfs (a real full disk)")
    mnt = tmp_path / "small"
    mnt.mkdir()
    r = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=2m,mode=0700", "tmpfs", str(mnt)],
        capture_output=True,
        text=True,
        check=False,
    )
    if r.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {r.stderr.strip()}")
    try:
        yield mnt
    finally:
        subprocess.run(["umount", str(mnt)], check=True)


def fill(fs: Path, leave: int = 0) -> Path:
    """Fill the file system up to ``leave`` bytes free; return the filler (remove it to
    make room again)."""
    filler = fs / "filler"
    st = os.statvfs(fs)
    free = st.f_bavail * st.f_frsize
    fd = os.open(filler, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        if free > leave:
            os.write(fd, b"\0" * (free - leave))
        if leave == 0:
            for size in (4096, 1):  # the last partial page too
                try:
                    while os.write(fd, b"\0" * size):
                        pass
                except OSError as e:
                    assert e.errno == errno.ENOSPC, e
    finally:
        os.close(fd)
    return filler


NEW = ("new", "--customer", "周女士", "--contact", "13900000000", "--channel", "phone",
       "--category", "misquote", "--summary", "磁盘满时投诉")  # fmt: skip


def _rows(path: Path) -> Path:
    path.write_text(
        "customer,contact,channel,category,summary\n李女士,13900000001,phone,misquote,导入\n",
        encoding="utf-8",
    )
    return path


def _commands(ref: str, csv: Path) -> list[tuple[str, ...]]:
    return [NEW, ("import", str(csv)), ("rebuild",), ("list", "--json"), ("stats",),
            ("show", ref, "--json"), ("verify",)]  # fmt: skip


def _no_bug(args: tuple[str, ...], r: subprocess.CompletedProcess[str]) -> None:
    assert "this is a bug" not in r.stderr and "Traceback" not in r.stderr, (args, r.stderr)


@pytest.mark.parametrize("leave", [0, 16 * 1024, 96 * 1024], ids=["no-byte", "16k", "96k"])
def test_sqlite_on_a_full_disk_exits_7_never_1(small_fs: Path, tmp_path: Path, leave: int) -> None:
    s = make_store(small_fs / "store", backend="sqlite")
    ref = s.new()
    assert len(s.json("list")) == 1  # the read-model cache exists too
    csv = _rows(tmp_path / "rows.csv")
    filler = fill(small_fs, leave)
    for args in _commands(ref, csv):
        r = run_cli(s.path, *args, actor=MANAGER)
        _no_bug(args, r)
        if leave == 0:
            assert r.returncode == 7, (args, r.returncode, r.stderr)
        else:  # with a little room some commands get through; none ends in a bug
            assert r.returncode in (0, 7), (args, r.returncode, r.stderr)
        if r.returncode == 7:
            assert "store unavailable" in r.stderr, (args, r.stderr)
    filler.unlink()
    r = run_cli(s.path, "verify", actor=MANAGER)
    assert r.returncode == 0, r.stderr
    assert run_cli(s.path, *NEW, actor=MANAGER).returncode == 0


def _file_store_full(small_fs: Path) -> tuple[Store, str, bytes]:
    s = make_store(small_fs / "store")
    ref = s.new(summary="满盘之前")
    s.ok("note", ref, "可以读")
    return s, ref, (s.path / "events.jsonl").read_bytes()


@pytest.mark.parametrize("index", ["kept", "deleted"])
def test_file_store_on_a_full_disk_reads_and_verifies(small_fs: Path, index: str) -> None:
    s, ref, before = _file_store_full(small_fs)
    if index == "deleted":  # the index must be built, and there is no room to write it
        for p in s.path.glob("events.index.sqlite*"):
            p.unlink()
        for p in (s.path / "cache").glob("*"):
            p.unlink()
    filler = fill(small_fs)
    r = run_cli(s.path, "show", ref, "--json")
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["summary"] == "满盘之前"
    r = run_cli(s.path, "history", ref, "--json")
    assert r.returncode == 0, r.stderr
    assert "可以读" in r.stdout
    r = run_cli(s.path, "list", "--json")
    assert r.returncode == 0, r.stderr
    assert [c["ref"] for c in json.loads(r.stdout)] == [ref]
    r = run_cli(s.path, "stats", "--json")
    assert r.returncode == 0, r.stderr
    r = run_cli(s.path, "verify", "--json")
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["ok"] is True
    for args in (("note", ref, "写不进去" * 100), NEW, ("rebuild",)):
        r = run_cli(s.path, *args)
        assert r.returncode == 7, (args, r.returncode, r.stderr)
        assert "store unavailable" in r.stderr
        _no_bug(args, r)
    assert (s.path / "events.jsonl").read_bytes() == before
    filler.unlink()
    assert run_cli(s.path, "note", ref, "有空间了").returncode == 0
    assert run_cli(s.path, "verify").returncode == 0


def test_new_on_a_read_only_mount_exits_7(small_fs: Path) -> None:
    """Root ignores file modes: the store's file system itself is remounted read-only."""
    s, ref, before = _file_store_full(small_fs)
    subprocess.run(["mount", "-o", "remount,ro", str(small_fs)], check=True)
    try:
        for args in (NEW, ("note", ref, "只读")):
            r = run_cli(s.path, *args)
            assert r.returncode == 7, (args, r.returncode, r.stderr)
            assert "read-only" in r.stderr, r.stderr
            _no_bug(args, r)
        r = run_cli(s.path, "show", ref, "--json")
        assert r.returncode == 0, r.stderr
        assert run_cli(s.path, "verify").returncode == 0
    finally:
        subprocess.run(["mount", "-o", "remount,rw", str(small_fs)], check=True)
    assert (s.path / "events.jsonl").read_bytes() == before
    assert run_cli(s.path, *NEW).returncode == 0


def test_sqlite_new_on_a_read_only_mount_exits_7(small_fs: Path) -> None:
    s = make_store(small_fs / "store", backend="sqlite")
    s.new()
    subprocess.run(["mount", "-o", "remount,ro", str(small_fs)], check=True)
    try:
        r = run_cli(s.path, *NEW)
        assert r.returncode == 7, (r.returncode, r.stderr)
        assert "store unavailable" in r.stderr
        _no_bug(NEW, r)
    finally:
        subprocess.run(["mount", "-o", "remount,rw", str(small_fs)], check=True)


def test_an_index_in_memory_checks_each_line_it_reads(small_fs: Path) -> None:
    """A read-only mount reads through an index built in memory: a line changed in the
    copy (same length, so every offset holds) is refused, exit 6, never shown."""
    s = make_store(small_fs / "store")
    ref = s.new(summary="第一件")
    log = s.path / "events.jsonl"
    # The summary is sealed: change a plain field of the receipt, same length.
    log.write_bytes(log.read_bytes().replace(b'"category":"misquote"', b'"category":"misfixed"'))
    for p in s.path.glob("events.index.sqlite*"):
        p.unlink()
    subprocess.run(["mount", "-o", "remount,ro", str(small_fs)], check=True)
    try:
        r = run_cli(s.path, "show", ref, "--json")
    finally:
        subprocess.run(["mount", "-o", "remount,rw", str(small_fs)], check=True)
    assert r.returncode == 6, (r.returncode, r.stderr)
    assert "misfixed" not in r.stdout and "does not match its hash" in r.stderr, r.stderr
