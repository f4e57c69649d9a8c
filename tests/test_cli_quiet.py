"""``--quiet`` on the chatty commands: progress and chatter off, what a script reads kept,
errors still printed and exit codes unchanged."""

from __future__ import annotations

import json
import os
import pty
import subprocess
import sys
from pathlib import Path

from conftest import MANAGER, Store, make_store

HEADER = "customer,contact,channel,category,summary\n"


def rows(n: int, bad: int | None = None) -> str:
    lines = [
        f"客户{i},1380000{i:04d},walk-in,{'no-such' if i == bad else 'misquote'},报价错误{i}\n"
        for i in range(n)
    ]
    return HEADER + "".join(lines)


def test_import_quiet_prints_the_references_and_the_bad_rows_only(
    store: Store, tmp_path: Path
) -> None:
    f = tmp_path / "cases.csv"
    f.write_text(rows(3, bad=1), "utf-8")
    loud = store.ok("import", str(f), "--on-error", "skip")
    assert "imported 2 case(s)" in loud.stderr
    f.write_text(rows(3, bad=1).replace("报价错误", "再次"), "utf-8")
    quiet = store.ok("import", str(f), "--on-error", "skip", "--quiet")
    assert quiet.stdout.split() == ["C-2026-00003", "C-2026-00004"]
    assert "imported" not in quiet.stderr
    assert "cases.csv:3:" in quiet.stderr  # a bad row is an error: still printed
    # A failing import fails as before, with its message.
    failed = store.refused("import", str(f), "--quiet", code=2)
    assert "cases.csv:3:" in failed.stderr
    # --json still prints its document.
    f.write_text(rows(1).replace("客户0", "赵先生"), "utf-8")
    doc = json.loads(store.ok("import", str(f), "--quiet", "--json").stdout)
    assert doc["imported"] == 1


def test_rebuild_migrate_init_keygen_quiet_print_nothing(store: Store, tmp_path: Path) -> None:
    store.new()
    for args in (
        ["rebuild", "--quiet"],
        ["rebuild", "-q"],
        ["migrate", "--to", "sqlite", "--target", str(tmp_path / "copy.db"), "--quiet"],
        ["keygen", "--out", str(tmp_path / "store.key"), "--quiet"],
        ["purge-candidates", "--older-than", "0", "--quiet", "--format", "csv"],
    ):
        r = store.ok(*args, actor=MANAGER)
        assert r.stderr == "", (args, r.stderr)
        if args[0] != "purge-candidates":
            assert r.stdout == "", (args, r.stdout)
    assert store.ok("purge-candidates", "--older-than", "0", actor=MANAGER).stderr
    assert json.loads(store.ok("rebuild", "--quiet", "--json").stdout)["cases"] == 1
    # Errors still speak, with the same exit code.
    again = store.invoke("keygen", "--out", str(tmp_path / "store.key"), "--quiet")
    assert again.exit_code == 2 and "exists" in again.stderr
    fresh = Store(tmp_path / "fresh")
    r = fresh.invoke("init", "--preset", "car-service", "--quiet", actor=MANAGER)
    assert r.exit_code == 0 and r.stdout == "" and r.stderr == ""
    r = fresh.invoke("init", "--preset", "car-service", "--quiet", actor=MANAGER)
    assert r.exit_code == 2 and "already exists" in r.stderr


def test_forget_quiet_lists_no_plan(store: Store) -> None:
    store.new()
    loud_plan = store.ok("forget", "13800000000", "--yes", actor=MANAGER)
    assert "forgot customer" in loud_plan.stdout and "will forget" in loud_plan.stderr
    store.new(contact="13900000000")
    quiet = store.ok("forget", "13900000000", "--yes", "--quiet", actor=MANAGER)
    assert quiet.stdout == "" and quiet.stderr == ""
    missing = store.invoke("forget", "nobody-at-all", "--yes", "--quiet", actor=MANAGER)
    assert missing.exit_code == 3 and "nobody-at-all" in missing.stderr


def test_demo_quiet_shows_only_the_case(tmp_path: Path) -> None:
    s = Store(tmp_path / "demo")
    loud = s.ok("demo", "--dir", str(tmp_path / "demo1"))
    quiet = s.ok("demo", "--dir", str(tmp_path / "demo2"), "--quiet")
    assert "archived the file" in loud.stdout and "archived the file" not in quiet.stdout
    assert "C-" in quiet.stdout and len(quiet.stdout) < len(loud.stdout)


def _stderr_on_a_terminal(store: Store, *args: str) -> str:
    """Run the CLI in a process whose stderr is a terminal (a pty); what reached it."""
    leader, follower = pty.openpty()
    env = {**os.environ, "COMPLAINTCTL_LANG": "en", "COLUMNS": "100"}
    cmd = [sys.executable, "-m", "complaintctl", "--store", str(store.path), "--actor", MANAGER]
    proc = subprocess.Popen(
        [*cmd, *args],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=follower,
        env=env,
    )
    os.close(follower)
    seen = b""
    while True:
        try:
            chunk = os.read(leader, 4096)
        except OSError:  # the process closed the terminal
            break
        if not chunk:
            break
        seen += chunk
    assert proc.wait() == 0
    assert proc.stdout is not None
    proc.stdout.close()
    os.close(leader)
    return seen.decode("utf-8", "replace")


def test_quiet_turns_off_the_progress_bar_on_a_terminal(tmp_path: Path) -> None:
    store = make_store(tmp_path / "store")
    f = tmp_path / "cases.csv"
    f.write_text(rows(5), "utf-8")
    assert "importing cases.csv" in _stderr_on_a_terminal(store, "import", str(f))
    assert "rebuilding read models" in _stderr_on_a_terminal(store, "rebuild")
    f.write_text(rows(5).replace("报价错误", "另一个"), "utf-8")
    assert _stderr_on_a_terminal(store, "import", str(f), "--quiet") == ""
    assert _stderr_on_a_terminal(store, "rebuild", "--quiet") == ""
