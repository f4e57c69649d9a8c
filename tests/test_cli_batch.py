"""``batch``: many commands in one process, each line's outcome a JSON line (CLI.md, Scripts)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from conftest import ADVISER, MANAGER, Store, run_cli


def outcomes(stdout: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in stdout.splitlines()]


def test_lines_from_stdin_each_with_its_result(store: Store) -> None:
    ref = store.new()
    text = "\n".join(
        [
            f'note {ref} "客户来电 询问进度"',
            "",
            "# a comment is skipped",
            f"ack {ref} --message 已致歉",
            f"show {ref}",
            json.dumps(["note", ref, "JSON 行"]),
        ]
    )
    r = store.invoke("batch", input=text + "\n")
    assert r.exit_code == 0, r.stderr
    out = outcomes(r.stdout)
    assert [o["line"] for o in out] == [1, 4, 5, 6]
    assert [o["exit"] for o in out] == [0, 0, 0, 0]
    assert out[1]["result"]["status"] == "acknowledged"
    assert out[2]["result"]["ref"] == ref
    notes = [n["text"] for n in store.show(ref)["notes"]]
    assert notes == ["客户来电 询问进度", "JSON 行"]


def test_a_failing_line_writes_nothing_and_the_batch_goes_on(store: Store) -> None:
    ref = store.new()
    before = store.event_count()
    text = "\n".join(
        [
            f"note {ref} first",
            "note C-2026-09999 nobody",  # no such case: exit 3
            f"close {ref}",  # refused: a received case cannot be closed (exit 4)
            f"note {ref} last",
        ]
    )
    r = store.invoke("batch", "-", input=text)
    assert r.exit_code == 3, (r.stdout, r.stderr)  # the first failing line's code
    out = outcomes(r.stdout)
    assert [o["exit"] for o in out] == [0, 3, 4, 0]
    assert "C-2026-09999" in out[1]["error"]
    assert "result" not in out[1] and "result" not in out[2]
    assert out[2]["error"]
    assert store.event_count() == before + 2  # the two notes, nothing of the failing lines
    assert [n["text"] for n in store.show(ref)["notes"]] == ["first", "last"]


def test_bad_lines_are_usage_errors(store: Store) -> None:
    ref = store.new()
    before = store.event_count()
    text = "\n".join(
        [
            'note C-2026-00001 "no closing quote',
            "--actor 李娜 note C-2026-00001 x",
            "batch",
            "no-such-command",
            '["note", 1]',
            "[not json",
            f"note {ref}",  # the command's own usage error
        ]
    )
    r = store.invoke("batch", input=text)
    assert r.exit_code == 2
    out = outcomes(r.stdout)
    assert [o["exit"] for o in out] == [2] * 7
    assert all(o["error"] for o in out)
    assert "global options" in out[1]["error"]
    assert store.event_count() == before


def test_from_a_file_with_the_batchs_global_options(store: Store, tmp_path: Path) -> None:
    ref = store.new()
    commands = tmp_path / "commands.txt"
    commands.write_text(f"escalate {ref} --tier 2 --reason 客户要求\nshow {ref}\n", "utf-8")
    r = store.invoke("batch", str(commands), actor=MANAGER)
    assert r.exit_code == 0, r.stdout
    out = outcomes(r.stdout)
    assert out[1]["result"]["tier"] == 2
    missing = store.invoke("batch", str(tmp_path / "nothing.txt"))
    assert missing.exit_code == 2


def test_many_writes_in_one_real_process_from_a_pipe(store: Store) -> None:
    refs = [store.new() for _ in range(3)]
    lines = [f"note {refs[i % 3]} n{i}" for i in range(30)]
    # A rule changed on one line holds on the next.
    lines += ["config get reply.hours", "config set reply.hours 12", "config get reply.hours"]
    r = run_cli(store.path, "batch", actor=MANAGER, input="\n".join(lines) + "\n", timeout=600)
    assert r.returncode == 0, r.stderr
    out = outcomes(r.stdout)
    assert len(out) == 33 and all(o["exit"] == 0 for o in out), out
    assert len(store.show(refs[1])["notes"]) == 10
    assert out[30]["result"]["value"] == 24
    assert out[32]["result"]["value"] == 12
    check = store.invoke("verify")
    assert check.exit_code == 0, check.stdout


def test_output_that_is_not_one_json_document(store: Store) -> None:
    store.new()
    r = store.invoke("batch", input="log\n", actor=ADVISER)
    assert r.exit_code == 0
    (out,) = outcomes(r.stdout)
    assert out["exit"] == 0
    assert "result" in out or "output" in out


def test_nothing_a_line_carried_can_act_on_the_terminal(store: Store) -> None:
    """A C1 control (U+009B starts an escape sequence) in a note, or in a bad actor's name
    echoed by an error, comes out of the batch escaped (found by the fuzz test)."""
    ref = store.new()
    text = json.dumps(["note", ref, "坏\u009b31m字"]) + "\n" + json.dumps(["nosuch\u009b2J"])
    r = store.invoke("batch", input=text + "\n")
    assert "\u009b" not in r.stdout and "\\u009b" in r.stdout, r.stdout
    out = outcomes(r.stdout)
    assert out[0]["exit"] == 0 and out[1]["exit"] == 2
    assert [n["text"] for n in store.show(ref)["notes"]] == ["坏\u009b31m字"]
