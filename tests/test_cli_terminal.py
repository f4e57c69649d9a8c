"""Commands under a real pseudo-terminal (issue 13): progress is shown only on a
terminal, so only a terminal finds its faults (``migrate`` drew a bar without a length
and crashed, exit 1)."""

from __future__ import annotations

import os
import pty
import sys
from pathlib import Path

from conftest import MANAGER, Store
from test_faults import _env


def run_on_a_terminal(args: list[str]) -> tuple[int, str]:
    """Run ``python -m complaintctl *args`` with a pty as its stdin, stdout and stderr;
    return its exit code and everything it wrote to the terminal."""
    pid, fd = pty.fork()
    if pid == 0:  # the child: its standard streams are the pty
        try:
            os.execve(sys.executable, [sys.executable, "-m", "complaintctl", *args], _env())
        finally:
            os._exit(127)
    out = bytearray()
    while True:
        try:
            chunk = os.read(fd, 65536)
        except OSError:  # EIO: the child closed the terminal
            break
        if not chunk:
            break
        out += chunk
    os.close(fd)
    _, status = os.waitpid(pid, 0)
    return os.waitstatus_to_exitcode(status), out.decode("utf-8", "replace")


def test_migrate_on_a_terminal_shows_progress_and_exits_0(store: Store, tmp_path: Path) -> None:
    store.new()
    store.new(customer="李女士", contact="13900000001")
    target = tmp_path / "copy.sqlite"
    code, out = run_on_a_terminal(
        ["--store", str(store.path), "--actor", MANAGER,
         "migrate", "--to", "sqlite", "--target", str(target)]
    )  # fmt: skip
    assert code == 0, out
    assert "Traceback" not in out and "this is a bug" not in out, out
    assert f"copying to {target}: " in out, out  # the running count, on the terminal
    assert target.exists()
    assert "copied" in out


def test_import_and_rebuild_on_a_terminal_exit_0(store: Store, tmp_path: Path) -> None:
    rows = tmp_path / "rows.csv"
    rows.write_text(
        "customer,contact,channel,category,summary\n"
        + "".join(f"客户{i},138{i:08d},phone,misquote,问题{i}\n" for i in range(20)),
        encoding="utf-8",
    )
    base = ["--store", str(store.path), "--actor", MANAGER]
    for args in (["import", str(rows)], ["rebuild"]):
        code, out = run_on_a_terminal(base + args)
        assert code == 0, (args, out)
        assert "Traceback" not in out and "this is a bug" not in out, (args, out)
