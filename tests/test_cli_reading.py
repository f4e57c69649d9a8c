"""Output a person reads with ease (issue 11): lines kept, text fitted to the terminal,
a pager and colour on a terminal only, the way git does.

The terminal cases run the CLI in a fresh process whose stdout is a real
pseudo-terminal (``pty``); the pager is a small script that records its call.
"""

from __future__ import annotations

import os
import pty
import select
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import Store
from wcwidth import wcswidth

LONG_NOTE = "第一行:客户说报价不对\n第二行: the advisor promised 200 yuan\n\n第四行"


def tty_run(store: Store, *args: str, env: dict[str, str] | None = None) -> tuple[int, str]:
    """Run the CLI with stdout (and stderr) on a pseudo-terminal; its exit code and output."""
    master, slave = pty.openpty()
    base = {k: v for k, v in os.environ.items() if not k.startswith("COMPLAINTCTL_")}
    for k in ("PAGER", "NO_COLOR", "LESS", "COLUMNS", "LINES"):
        base.pop(k, None)
    base |= {"COMPLAINTCTL_LANG": "en", "COLUMNS": "100", "LINES": "10"} | (env or {})
    proc = subprocess.Popen(
        [sys.executable, "-m", "complaintctl", "--store", str(store.path), "--actor", "张伟",
         *args],
        stdin=subprocess.DEVNULL, stdout=slave, stderr=slave, env=base,
    )  # fmt: skip
    os.close(slave)
    chunks: list[bytes] = []
    while True:
        ready, _, _ = select.select([master], [], [], 60)
        if not ready:
            proc.kill()
            raise AssertionError("no output from the CLI under a pty in 60 s")
        try:
            data = os.read(master, 65536)
        except OSError:  # EIO: the process closed the terminal
            break
        if not data:
            break
        chunks.append(data)
    os.close(master)
    code = proc.wait(timeout=60)
    return code, b"".join(chunks).decode("utf-8", "replace").replace("\r\n", "\n")


@pytest.fixture
def recorder(tmp_path: Path) -> tuple[str, Path]:
    """A pager that records it was called, and what it was given."""
    seen = tmp_path / "pager-saw.txt"
    script = tmp_path / "pager.sh"
    script.write_text(f'#!/bin/sh\necho "LESS=$LESS" > {seen}\ncat >> {seen}\n', "utf-8")
    script.chmod(0o755)
    return str(script), seen


@pytest.fixture
def busy(store: Store) -> str:
    """A case with a long history (more lines than the 10 of the pty) and a multi-line note."""
    ref = store.new(summary="鼓风机报价200元,实际1000多元")
    store.ok("ack", ref, "--reply-by", "+24h", "--message", "已致歉")
    for i in range(6):
        store.ok("note", ref, f"第{i}次来电")
    store.ok("note", ref, LONG_NOTE)
    return ref


def test_a_note_with_line_breaks_shows_as_lines(store: Store) -> None:
    ref = store.new()
    store.ok("note", ref, LONG_NOTE + "\x1b[2J\ttab")
    for cmd in ("show", "history"):
        out = store.ok(cmd, ref).stdout
        assert "\\x0a" not in out, cmd
        lines = out.splitlines()
        first = next(i for i, line in enumerate(lines) if "第一行" in line)
        col = wcswidth(lines[first][: lines[first].index("第一行")])  # display columns
        for line, start in ((lines[first + 1], "第二行"), (lines[first + 3], "第四行")):
            assert line[col:].startswith(start) and not line[:col].strip(), (cmd, line)
        assert "\x1b" not in out and "\\x1b[2J" in out and "\\x09tab" in out
    assert store.show(ref)["notes"][0]["text"] == LONG_NOTE + "\x1b[2J\ttab"


@pytest.mark.parametrize("columns", [60, 80])
def test_tables_fit_columns_and_long_text_wraps(
    store: Store, monkeypatch: pytest.MonkeyPatch, columns: int
) -> None:
    summary = "空调异响,服务顾问报价鼓风机约200元,更换前才发现实际价格1000多元" * 3
    ref = store.new(summary=summary, customer="王先生 with a rather long English name")
    store.ok("note", ref, "the customer called again " * 8)
    # ten columns of references, dates and names: a list needs more room to fit uncut
    for args, width in ((("show", ref), columns), (("history", ref), columns), (("list",), 120)):
        monkeypatch.setenv("COLUMNS", str(width))
        out = store.ok(*args).stdout
        for line in out.splitlines():
            assert wcswidth(line) <= width, (args, line)
        assert args[0] == "history" or ref in out  # a reference is never cut
    monkeypatch.setenv("COLUMNS", str(columns))
    shown = store.ok("show", ref).stdout
    assert sum("服务" in line for line in shown.splitlines()) == 3  # wrapped over several lines
    joined = "".join(shown.split())
    assert "".join(summary.split()) in joined  # every character still there, in order


def test_without_columns_a_pipe_gets_whole_lines(store: Store) -> None:
    summary = "报价错误" * 40
    ref = store.new(summary=summary)
    assert summary in store.ok("show", ref).stdout


def test_long_output_on_a_terminal_goes_through_the_pager(
    store: Store, busy: str, recorder: tuple[str, Path]
) -> None:
    pager, seen = recorder
    code, out = tty_run(store, "history", busy, env={"PAGER": pager})
    assert code == 0, out
    assert seen.exists(), out
    text = seen.read_text("utf-8")
    assert text.startswith("LESS=FRX\n") and "第一行" in text and "第四行" in text
    assert "第一行" not in out  # the pager had it, not the terminal


def test_complaintctl_pager_wins_over_pager(
    store: Store, busy: str, recorder: tuple[str, Path]
) -> None:
    pager, seen = recorder
    code, out = tty_run(store, "show", busy, env={"PAGER": "false", "COMPLAINTCTL_PAGER": pager})
    assert code == 0 and seen.exists(), out


@pytest.mark.parametrize(
    ("args", "env"),
    [
        (("--no-pager", "history"), {}),
        (("history",), {"PAGER": "cat"}),
        (("history",), {"COMPLAINTCTL_PAGER": "cat"}),
        (("history",), {"COMPLAINTCTL_PAGER": ""}),
    ],
)
def test_the_pager_is_turned_off(
    store: Store, busy: str, recorder: tuple[str, Path], args: tuple[str, ...],
    env: dict[str, str],
) -> None:  # fmt: skip
    pager, seen = recorder
    code, out = tty_run(store, *args, busy, env={"PAGER": pager} | env)
    assert code == 0, out
    assert not seen.exists()
    assert "第一行" in out and "第四行" in out


def test_no_pager_when_stdout_is_not_a_terminal(
    store: Store, busy: str, recorder: tuple[str, Path]
) -> None:
    pager, seen = recorder
    env = {k: v for k, v in os.environ.items() if not k.startswith("COMPLAINTCTL_")}
    env |= {"PAGER": pager, "COMPLAINTCTL_LANG": "en", "LINES": "5"}
    r = subprocess.run(
        [sys.executable, "-m", "complaintctl", "--store", str(store.path), "history", busy],
        capture_output=True, text=True, env=env, timeout=60, check=False,
    )  # fmt: skip
    assert r.returncode == 0, r.stderr
    assert not seen.exists() and "第四行" in r.stdout


def test_short_output_is_not_paged(store: Store, recorder: tuple[str, Path]) -> None:
    pager, seen = recorder
    ref = store.new()
    code, out = tty_run(store, "list", env={"PAGER": pager, "LINES": "40"})
    assert code == 0 and ref in out and not seen.exists()


@pytest.fixture
def attention(store: Store) -> str:
    """A major case from a regulator, promised a reply that is past (overdue)."""
    ref = store.new("--at", "2026-11-20T09:00", channel="regulator", summary="监管转办")
    store.ok("ack", ref, "--reply-by", "2026-11-20T12:00", "--at", "2026-11-20T09:10")
    store.ok("classify", ref, "--severity", "major", "--reason", "监管部门转办")
    return ref


def test_colour_marks_what_needs_attention_on_a_terminal(store: Store, attention: str) -> None:
    env = {"LINES": "200"}
    code, out = tty_run(store, "show", attention, env=env)
    assert code == 0, out
    assert "\x1b[1;31m" in out
    marked = [line for line in out.splitlines() if "\x1b[1;31m" in line]
    assert any("major" in line for line in marked) and any("regulator" in line for line in marked)
    assert not any("监管转办" in line for line in marked)  # only what needs attention
    code, out = tty_run(store, "overdue", env=env)
    assert code == 0 and "\x1b[1;31m" in out, out
    code, out = tty_run(store, "list", env=env)
    assert code == 0 and "\x1b[1;31mmajor" in out, out


@pytest.mark.parametrize("value", ["1", "", "0"])
def test_no_color_of_any_value_turns_colour_off(store: Store, attention: str, value: str) -> None:
    for args in (("show", attention), ("overdue",), ("list",)):
        code, out = tty_run(store, *args, env={"LINES": "200", "NO_COLOR": value})
        assert code == 0 and "\x1b" not in out, (args, out)


@pytest.mark.parametrize(
    "args", [("show", "REF"), ("list",), ("overdue",), ("list", "--format", "csv"),
             ("show", "REF", "--json"), ("history", "REF", "--format", "csv")]
)  # fmt: skip
def test_never_colour_in_pipes_json_or_csv(
    store: Store, attention: str, args: tuple[str, ...]
) -> None:
    args = tuple(attention if a == "REF" else a for a in args)
    assert "\x1b" not in store.ok(*args).stdout
    if "--json" in args or "csv" in args:
        code, out = tty_run(store, *args, env={"LINES": "200"})
        assert code == 0 and "\x1b" not in out, out
