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
from conftest import MANAGER, Store
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


@pytest.fixture
def lived(store: Store) -> str:
    """A case that lived a full life: promise, manual major reason, two escalations,
    a remedy in parts, two resolutions with a reopening, a regulator, a review action."""
    ref = store.new("--signed", summary="鼓风机报价200元,实际1000多元",
                    received_at="2026-11-20T09:00")  # fmt: skip
    at = iter(f"2026-11-{d}T{h}:00" for d in range(20, 30) for h in (10, 14))
    store.ok(
        "ack", ref, "--reply-by", "2026-11-21T18:00", "--message", "当面致歉", "--at", next(at)
    )
    store.ok("classify", ref, "--media-threat", "--at", next(at))
    store.ok("escalate", ref, "--tier", "2", "--reason", "客户要求经理出面", "--at", next(at))
    store.ok("escalate", ref, "--tier", "3", "--reason", "金额超出经理权限", "--at", next(at),
             actor="王强")  # fmt: skip
    store.ok("propose", ref, "--remedy", "repair", "--detail", "免费更换鼓风机", "--at", next(at),
             actor=MANAGER)  # fmt: skip
    store.ok("propose", ref, "--add", "--remedy", "gift", "--detail", "保养券一张",
             "--at", next(at), actor=MANAGER)  # fmt: skip
    store.ok("accept", ref, "--reason", "客户同意", "--at", next(at))
    store.ok("resolve", ref, "--summary", "已更换鼓风机", "--at", next(at))
    store.ok("reopen", ref, "--reason", "异响又出现", "--at", next(at))
    store.ok("resolve", ref, "--summary", "重新调整风道,异响消除", "--at", next(at))
    store.ok("external", ref, "--party", "regulator", "--reference", "SH-12345", "--at", next(at))
    store.ok("external", ref, "--party", "regulator", "--reference", "SH-12345",
             "--reply", "已书面答复监管部门", "--at", next(at))  # fmt: skip
    store.ok("review", ref, "--root-cause", "报价未核对", "--lesson", "先查系统",
             "--action", "报价双人复核", "--action-owner", "王强", "--at", next(at),
             actor=MANAGER)  # fmt: skip
    store.ok("action-done", ref, "1", "--note", "已培训", "--at", next(at), actor="王强")
    return ref


def test_show_tells_the_case_in_full(store: Store, lived: str) -> None:
    out = store.ok("show", lived).stdout
    lines = out.splitlines()

    def line_of(*words: str) -> str:
        found = [line for line in lines if all(w in line for w in words)]
        assert found, (words, out)
        return found[0]

    line_of("received_at", "2026-11-20 09:00 CST", "张伟")
    line_of("acknowledged_at", "2026-11-20 10:00 CST", "张伟")
    line_of("reply_by", "2026-11-21 18:00 CST")
    line_of("told the customer", "当面致歉")
    line_of("signed by the customer", "yes")
    line_of("resolved_at", "2026-11-24 14:00 CST")
    line_of("media", "张伟", "2026-11-20 14:00 CST")  # the manual major reason, who and when
    line_of("escalated 1 → 2", "客户要求经理出面")
    line_of("escalated 2 → 3", "王强", "金额超出经理权限")
    line_of("resolved", "2026-11-23 14:00 CST", "已更换鼓风机")  # the first resolution too
    line_of("reopened", "异响又出现")
    line_of("resolved", "2026-11-24 14:00 CST", "重新调整风道")
    line_of("repair", "免费更换鼓风机")
    line_of("gift", "保养券一张")
    line_of("regulator", "SH-12345", "已书面答复监管部门")
    line_of("报价双人复核", "王强", "done", "已培训")
    assert "2026-11-2" in out and ":00:00" not in out  # to the minute, in the shop's zone


def test_show_back_dated_tells_the_escalations_and_resolutions_of_then(
    store: Store, lived: str
) -> None:
    """``show --as-of`` / ``--as-recorded`` have the sections of the plain ``show``, cut at T."""

    def has(out: str, *words: str) -> bool:
        return any(all(w in line for w in words) for line in out.splitlines())

    mid = store.ok("show", lived, "--as-of", "2026-11-22T12:00").stdout
    assert has(mid, "escalated 1 → 2", "客户要求经理出面")
    assert has(mid, "escalated 2 → 3", "王强", "金额超出经理权限")
    assert "Resolutions" not in mid and "已更换鼓风机" not in mid  # resolved later
    later = store.ok("show", lived, "--as-of", "2026-11-24T12:00").stdout
    assert has(later, "resolved", "2026-11-23 14:00 CST", "已更换鼓风机")
    assert has(later, "reopened", "异响又出现")
    assert "重新调整风道" not in later
    # As recorded: by the time the reopening was typed in, before the second resolution.
    events = store.json("history", lived)
    reopened = next(e for e in events if e["type"] == "Reopened")
    held = store.ok("show", lived, "--as-recorded", reopened["recorded_at"]).stdout
    assert has(held, "escalated 2 → 3", "金额超出经理权限")
    assert has(held, "resolved", "已更换鼓风机") and has(held, "reopened", "异响又出现")
    assert "重新调整风道" not in held
    everything = store.ok("show", lived, "--as-recorded", "+1m").stdout
    assert has(everything, "resolved", "2026-11-24 14:00 CST", "重新调整风道")


def test_show_in_full_in_chinese(store: Store, lived: str) -> None:
    out = store.ok("--lang", "zh", "show", lived).stdout
    for words in ("受理时间", "告知客户", "当面致歉", "客户签字", "升级", "客户要求经理出面",
                  "重新打开", "异响又出现", "解决记录", "外部机构", "SH-12345", "扬言媒体曝光",
                  "改进措施"):  # fmt: skip
        assert words in out, (words, out)
    for english in ("escalated", "resolved", "reopened", "signed by", "told the customer"):
        assert english not in out, (english, out)


def test_history_in_plain_words_in_both_languages(store: Store, lived: str) -> None:
    en = store.ok("history", lived).stdout
    for words in (
        "张伟 acknowledged the complaint, promised a reply by 11-21 18:00",
        "Told the customer: 当面致歉",
        "张伟 escalated the case from tier 1 to tier 2",
        "客户要求经理出面",
        "陈总 added to remedy 1, option 1: gift",
        "张伟 resolved the case",
        "张伟 reopened the case (it was resolved)",
        "regulator took the case up (reference SH-12345), recorded by 张伟",
        "王强 marked improvement 1 done",
    ):
        assert words in en, (words, en)
    assert "=" not in en  # no key=value dump
    zh = store.ok("--lang", "zh", "history", lived).stdout
    for words in ("张伟受理了投诉,承诺11-21 18:00前答复", "告知客户:当面致歉",
                  "张伟把投诉从1级升到2级", "张伟解决了投诉",
                  "王强标记改进措施1已完成"):  # fmt: skip
        assert words in zh, (words, zh)
    for english in ("acknowledged", "escalated", "resolved the", "recorded by"):
        assert english not in zh, (english, zh)


def test_history_json_and_csv_are_unchanged(store: Store, lived: str) -> None:
    events = store.json("history", lived)
    assert [e["type"] for e in events][:3] == ["Received", "Acknowledged", "MajorTriggered"]
    ack = events[1]
    assert ack["data"] == {"reply_by": "2026-11-21T18:00:00+08:00", "message": "当面致歉",
                           "actor": "张伟"}  # fmt: skip
    assert set(ack) >= {"position", "type", "recorded_at", "actor", "data"}
    csv_text = store.ok("history", lived, "--format", "csv").stdout
    assert csv_text.splitlines()[0] == "position,version,occurred_at,recorded_at,actor,type,changed"
    assert "message=当面致歉" in csv_text


def test_late_and_overdue_in_the_sla_clock_are_coloured(store: Store) -> None:
    ref = store.new("--at", "2026-11-20T09:00", summary="迟到的受理")
    store.ok("ack", ref, "--reply-by", "2026-11-20T12:00", "--at", "2026-11-21T09:10")
    code, out = tty_run(store, "sla", ref, env={"LINES": "200"})
    assert code == 0, out
    marked = [line for line in out.splitlines() if "\x1b[1;31m" in line]
    assert any("(LATE)" in line for line in marked), out
    assert any("OVERDUE" in line for line in marked) and any("missed" in line for line in marked)
    assert not any("clock" in line for line in marked)
    code, out = tty_run(store, "sla", ref, env={"LINES": "200", "NO_COLOR": "1"})
    assert code == 0 and "\x1b" not in out and "(LATE)" in out


def test_a_pager_that_is_not_there_loses_no_output(store: Store, busy: str) -> None:
    code, out = tty_run(store, "history", busy, env={"PAGER": "no-such-pager-here"})
    assert code == 0 and "第一行" in out and "第四行" in out, out
