"""Faults on a real store, through the real CLI in real processes (issue 6, "Faults").

Each test breaks something the way the world breaks it: a size limit on the
child's files (``RLIMIT_FSIZE``: writes fail with EFBIG, as on a full disk),
a child without the right to write (root without ``CAP_DAC_OVERRIDE``, so
file modes bind it), a second process holding the writers' lock, ``SIGKILL``
in the middle of a long command, garbage in the caches or in the log. The
contract (``CLI.md``): exit 7 when the store is unavailable, exit 6 when it
is damaged, nothing half-written, and the store verifies afterwards.
"""

from __future__ import annotations

import json
import os
import resource
import shutil
import signal
import subprocess
import sys
import time
import tomllib
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

import pytest
import tomli_w
from conftest import MANAGER, Store, make_store

ROWS = 2000  # about 10,000 events: ten pages for migrate, a rebuild worth interrupting


def _env() -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("COMPLAINTCTL_", "FILESTORE_")) and k != "PERSISTENCE_MODULE"
    }
    return env | {"COMPLAINTCTL_LANG": "en"}  # the preset's shop speaks Chinese


def cli_args(store: Path, *args: str, actor: str = MANAGER) -> list[str]:
    return [sys.executable, "-m", "complaintctl", "--store", str(store), "--actor", actor, *args]


def child(
    store: Path,
    *args: str,
    actor: str = MANAGER,
    prefix: Sequence[str] = (),
    preexec_fn: Callable[[], None] | None = None,
    input: str | None = None,
) -> subprocess.CompletedProcess[str]:
    """Run the CLI in a fresh process (optionally limited or unprivileged)."""
    return subprocess.run(
        [*prefix, *cli_args(store, *args, actor=actor)],
        capture_output=True,
        text=True,
        env=_env(),
        input=input,
        timeout=120,
        check=False,
        preexec_fn=preexec_fn,
    )


def csv_rows(path: Path, n: int, start: int = 0) -> Path:
    lines = ["customer,contact,channel,category,summary\n"]
    lines += [f"客户{i},138{i:08d},phone,misquote,问题{i}\n" for i in range(start, start + n)]
    path.write_text("".join(lines), encoding="utf-8")
    return path


def log_lines(store: Path) -> int:
    log = store / "events.jsonl"
    if not log.exists():
        return 0
    with open(log, "rb") as f:
        return sum(1 for _ in f)


def verifies(store: Path) -> None:
    r = child(store, "verify", "--json")
    assert r.returncode == 0, (r.stdout, r.stderr)
    assert json.loads(r.stdout)["ok"] is True


def set_store_setting(store: Path, **settings: object) -> None:
    cfg = store / "complaintctl.toml"
    data = tomllib.loads(cfg.read_text("utf-8"))
    data["store"] |= settings
    cfg.write_text(tomli_w.dumps(data), "utf-8")


@pytest.fixture(scope="module")
def big_store_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A store of ROWS imported cases, built once and copied by the tests that need it."""
    base = tmp_path_factory.mktemp("big")
    s = make_store(base / "store")
    s.ok("import", str(csv_rows(base / "rows.csv", ROWS)), actor=MANAGER)
    return s.path


@pytest.fixture
def big_store(big_store_template: Path, tmp_path: Path) -> Store:
    target = tmp_path / "big"
    shutil.copytree(big_store_template, target)
    return Store(target)


# -- disk full ---------------------------------------------------------------------------------


def _fsize_limit(limit: int) -> Callable[[], None]:
    """Limit the child's file sizes; Python ignores SIGXFSZ, so writes fail with EFBIG."""

    def apply() -> None:
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    return apply


NEW_ARGS = ("new", "--customer", "周女士", "--contact", "13900000000", "--channel", "phone",
            "--category", "misquote", "--summary", "磁盘满时投诉")  # fmt: skip


@pytest.mark.parametrize(
    "command",
    [
        pytest.param(("note", "C-2026-00001", "长备注" * 200), id="note"),
        pytest.param(NEW_ARGS, id="new"),
        pytest.param(("import", "{csv}"), id="import"),
    ],
)
def test_a_full_disk_exits_7_and_leaves_the_log_as_it_was(
    big_store: Store, tmp_path: Path, command: tuple[str, ...]
) -> None:
    log = big_store.path / "events.jsonl"
    before = log.read_bytes()
    # The log is the store's biggest file: the caches still fit, the new batch does not.
    biggest = max(p.stat().st_size for p in big_store.path.iterdir() if p.is_file())
    assert biggest == len(before)
    args = [a.format(csv=csv_rows(tmp_path / "more.csv", 50, start=ROWS)) for a in command]
    r = child(big_store.path, *args, preexec_fn=_fsize_limit(len(before) + 200))
    assert r.returncode == 7, (r.returncode, r.stderr)
    assert "store unavailable" in r.stderr and "size limit" in r.stderr, r.stderr
    assert "Traceback" not in r.stderr
    assert log.read_bytes() == before  # no partial batch, no torn tail
    assert not (big_store.path / "quarantine").exists()
    verifies(big_store.path)
    # Room again: the same store takes the write.
    r = child(big_store.path, "note", "C-2026-00001", "磁盘清理后")
    assert r.returncode == 0, r.stderr
    verifies(big_store.path)


def test_no_room_even_for_the_index_exits_7_and_keeps_the_index(store: Store) -> None:
    """On a tiny store the index is bigger than the log: SQLite cannot write it either."""
    ref = store.new()
    index = store.path / "events.index.sqlite"
    index_before = index.read_bytes()
    log_before = (store.path / "events.jsonl").read_bytes()
    r = child(store.path, "note", ref, "x" * 500, preexec_fn=_fsize_limit(len(log_before) + 100))
    assert r.returncode == 7, (r.returncode, r.stderr)
    assert "store unavailable" in r.stderr and "Traceback" not in r.stderr
    assert (store.path / "events.jsonl").read_bytes() == log_before
    assert index.read_bytes() == index_before  # a write error is not damage: not thrown away
    verifies(store.path)
    assert child(store.path, "note", ref, "ok now").returncode == 0


# -- no permission, read-only --------------------------------------------------------------------

_CAPS = "-dac_override,-dac_read_search,-fowner"


@pytest.fixture
def unprivileged() -> list[str]:
    """A prefix that runs the child as root *without* the right to ignore file modes.

    Running it as ``nobody`` does not work here: the interpreter lives under
    /root (mode 0700). Root without CAP_DAC_OVERRIDE is bound by the modes of
    the root-owned store exactly as another user would be.
    """
    if os.geteuid() != 0:
        pytest.skip("needs root, to drop the capability to ignore file modes")
    setpriv = shutil.which("setpriv")
    if setpriv is None:
        pytest.skip("needs setpriv (util-linux) to drop capabilities")
    return [setpriv, f"--inh-caps={_CAPS}", f"--bounding-set={_CAPS}"]


def _chmod_tree(root: Path, dirs: int, files: int) -> None:
    for p in [root, *root.rglob("*")]:
        p.chmod(dirs if p.is_dir() else files)


@pytest.fixture
def restore_modes(tmp_path: Path) -> Iterator[None]:
    yield
    _chmod_tree(tmp_path, 0o700, 0o600)  # so that tmp_path can be cleaned up


def test_a_store_without_permission_exits_7(
    store: Store, unprivileged: list[str], restore_modes: None
) -> None:
    ref = store.new()
    store.path.chmod(0)
    for args in (("note", ref, "no right"), ("show", ref), ("verify",)):
        r = child(store.path, *args, prefix=unprivileged)
        assert r.returncode == 7, (args, r.returncode, r.stderr)
        assert "ermission denied" in r.stderr and "Traceback" not in r.stderr
    store.path.chmod(0o700)
    verifies(store.path)


def test_a_store_it_may_read_but_not_write(
    store: Store, unprivileged: list[str], restore_modes: None
) -> None:
    ref = store.new()
    store.ok("note", ref, "可以读")
    before = (store.path / "events.jsonl").read_bytes()
    _chmod_tree(store.path, 0o555, 0o444)
    for args in (("show", ref, "--json"), ("history", ref, "--json"), ("log",), ("verify",),
                 ("list", "--json")):  # fmt: skip
        r = child(store.path, *args, prefix=unprivileged)
        assert r.returncode == 0, (args, r.returncode, r.stderr)
        assert "可以读" in r.stdout or args[0] in ("verify", "list")
    for args in (("note", ref, "写不进去"), NEW_ARGS):  # new: a new customer's key too
        r = child(store.path, *args, prefix=unprivileged)
        assert r.returncode == 7, (args, r.returncode, r.stderr)
        assert "read-only" in r.stderr and "Traceback" not in r.stderr
    assert (store.path / "events.jsonl").read_bytes() == before


# -- the lock held by a stuck process -------------------------------------------------------------

_HOLDER = r"""
import fcntl, os, sys, time
fd = os.open(sys.argv[1], os.O_RDWR | os.O_CREAT, 0o600)
fcntl.flock(fd, fcntl.LOCK_EX)
os.pwrite(fd, f"{os.getpid()}\n".encode().ljust(16), 0)  # as a writer does (docs/storage.md)
print("locked", flush=True)
time.sleep(600)
"""


def test_a_lock_held_too_long_exits_7_naming_the_holder(store: Store) -> None:
    ref = store.new()
    set_store_setting(store.path, lock_timeout=0.3)
    holder = subprocess.Popen(
        [sys.executable, "-c", _HOLDER, str(store.path / "events.lock")],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline() == "locked\n"
        before = log_lines(store.path)
        r = child(store.path, "note", ref, "等锁")
    finally:
        holder.kill()
        holder.wait()
        if holder.stdout is not None:
            holder.stdout.close()
    assert r.returncode == 7, (r.returncode, r.stderr)
    assert f"pid {holder.pid}" in r.stderr, r.stderr
    assert "gave up after 0.3 s" in r.stderr
    assert log_lines(store.path) == before
    assert child(store.path, "note", ref, "锁已释放").returncode == 0
    verifies(store.path)


def test_lock_timeout_in_the_config_is_checked(store: Store) -> None:
    set_store_setting(store.path, lock_timeout="soon")
    r = store.invoke("show", "C-2026-00001")
    assert r.exit_code == 2 and "store.lock_timeout" in r.stderr


# -- SIGKILL in the middle of long commands -------------------------------------------------------


def _kill_when(proc: subprocess.Popen[bytes], ready: Callable[[], bool]) -> None:
    """SIGKILL ``proc`` as soon as ``ready()`` (it must still be running then)."""
    deadline = time.monotonic() + 60
    while not ready():
        assert proc.poll() is None, "it finished before it could be interrupted"
        assert time.monotonic() < deadline
        time.sleep(0.001)
    os.kill(proc.pid, signal.SIGKILL)
    assert proc.wait() == -signal.SIGKILL


def test_killed_migrate_completes_when_run_again(big_store: Store, tmp_path: Path) -> None:
    target = tmp_path / "copy"
    total = log_lines(big_store.path)
    args = cli_args(big_store.path, "migrate", "--to", "file", "--target", str(target))
    proc = subprocess.Popen(args, env=_env(), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _kill_when(proc, lambda: log_lines(target) >= 1000)
    partial = log_lines(target)
    assert 0 < partial < total, (partial, total)
    r = child(big_store.path, "migrate", "--to", "file", "--target", str(target), "--json")
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout)
    assert out["resumed_from"] and out["source"] == out["target"]
    cfg = str(big_store.path / "complaintctl.toml")
    assert child(target, "--config", cfg, "verify").returncode == 0
    assert json.loads(child(target, "--config", cfg, "show", f"C-2026-{ROWS:05d}", "--json").stdout)


def test_killed_rebuild_completes_when_run_again(big_store: Store) -> None:
    cache = big_store.path / "cache"
    proc = subprocess.Popen(
        cli_args(big_store.path, "rebuild"),
        env=_env(),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    _kill_when(proc, lambda: cache.is_dir() and any(".tmp-" in p.name for p in cache.iterdir()))
    r = child(big_store.path, "rebuild", "--json")
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["cases"] == ROWS
    r = child(big_store.path, "list", "--json")
    assert r.returncode == 0 and len(json.loads(r.stdout)) == ROWS
    assert not [p.name for p in cache.iterdir() if ".tmp-" in p.name]  # the killed one's
    verifies(big_store.path)


# -- damaged caches and a damaged log -------------------------------------------------------------


def test_a_corrupt_index_is_rebuilt_with_a_warning(store: Store) -> None:
    ref = store.new(summary="索引损坏")
    (store.path / "events.index.sqlite").write_bytes(b"\x00garbage" * 512)
    for suffix in ("-wal", "-shm"):
        Path(f"{store.path / 'events.index.sqlite'}{suffix}").unlink(missing_ok=True)
    r = child(store.path, "show", ref, "--json")
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["summary"] == "索引损坏"
    assert "index" in r.stderr and "rebuilding" in r.stderr
    assert child(store.path, "note", ref, "之后").returncode == 0
    verifies(store.path)


def test_a_corrupt_projection_cache_is_rebuilt_with_a_warning(store: Store) -> None:
    refs = [store.new(), store.new(customer="李女士")]
    assert len(store.json("list")) == 2  # the cache exists now
    cache = store.path / "cache" / "projections.sqlite"
    assert cache.exists()
    cache.write_bytes(b"SQLite format 3\x00" + b"\xff" * 8000)
    for suffix in ("-wal", "-shm"):
        Path(f"{cache}{suffix}").unlink(missing_ok=True)
    r = child(store.path, "list", "--json")
    assert r.returncode == 0, r.stderr
    assert sorted(c["ref"] for c in json.loads(r.stdout)) == sorted(refs)
    assert "Warning" in r.stderr and "rebuilding" in r.stderr


def _damage_line(store: Path, needle: bytes, replacement: bytes) -> int:
    """Change a committed line in the middle of the log; return its line number."""
    log = store / "events.jsonl"
    lines = log.read_bytes().splitlines(keepends=True)
    for n, line in enumerate(lines, 1):
        if needle in line:
            lines[n - 1] = line.replace(needle, replacement)
            log.write_bytes(b"".join(lines))
            return n
    raise AssertionError(f"{needle!r} not in the log")


def test_a_damaged_line_refuses_writes_but_reads_with_a_warning(store: Store) -> None:
    first = store.new(summary="第一个案子")
    second = store.new(customer="李女士", summary="第二个案子")
    # The summary is sealed (issue 13): damage a plain field of the first case's receipt.
    n = _damage_line(store.path, b'"category":"misquote"', b'"category":"misfixed"')
    before = (store.path / "events.jsonl").read_bytes()
    for args in (("note", second, "不能写"), ("note", first, "不能写")):
        r = child(store.path, *args)
        assert r.returncode == 6, (args, r.returncode, r.stderr)
        assert f"line {n}" in r.stderr and "Traceback" not in r.stderr
    assert (store.path / "events.jsonl").read_bytes() == before  # never appended onto it
    r = child(store.path, "show", second, "--json")
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["summary"] == "第二个案子"
    assert "damaged" in r.stderr and f"line {n}" in r.stderr
    r = child(store.path, "verify", "--json")
    assert r.returncode == 6
    bad = [log for log in json.loads(r.stdout)["logs"] if not log["ok"]]
    assert bad and bad[0]["line"] == n and "hash" in bad[0]["problem"]


def test_a_damaged_line_found_by_a_reader_building_the_index(store: Store) -> None:
    store.new(summary="第一个案子")
    second = store.new(customer="李女士", summary="第二个案子")
    # The summary is sealed (issue 13): damage a plain field of the first case's receipt.
    n = _damage_line(store.path, b'"category":"misquote"', b'"category":"misfixed"')
    for p in store.path.glob("events.index.sqlite*"):
        p.unlink()
    r = child(store.path, "history", second, "--json")
    assert r.returncode == 0, r.stderr
    assert "damaged" in r.stderr and f"line {n}" in r.stderr
    assert child(store.path, "note", second, "不能写").returncode == 6
