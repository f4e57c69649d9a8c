"""What reaches the user: safe text, JSON shapes, help with examples, presets, the demo."""

from __future__ import annotations

import hashlib
import json
import re
import tomllib
from pathlib import Path

import click
import pytest
from click.testing import CliRunner
from conftest import ADVISER, MANAGER, Store, run_cli
from wcwidth import wcswidth

from complaintctl import presets
from complaintctl.cli import main
from complaintctl.config import parse
from complaintctl.render import safe, table

HOSTILE = "正常\x1b[2J\x1b]0;pwned\x07\x1b[31m红\u202eevil\x00\x9b end"


def test_hostile_text_is_stored_verbatim_and_shown_safely(store: Store) -> None:
    ref = store.new(customer=HOSTILE, summary=HOSTILE, demand="多行\n第二行")
    store.ok("note", ref, HOSTILE)
    case = store.show(ref)
    assert case["customer"] == HOSTILE and case["summary"] == HOSTILE
    assert case["notes"][0]["text"] == HOSTILE
    for args in (("show", ref), ("history", ref)):
        out = store.ok(*args).stdout
        assert "正常" in out and "红" in out
        for raw in ("\x1b", "\x07", "\x00", "\x9b", "\u202e"):
            assert raw not in out, (args, raw)
        assert "\\x1b[2J" in out  # visible, not executed
    raw = store.ok("show", ref, "--json").stdout
    for c in ("\x1b", "\x07", "\x00", "\x9b", "\u202e"):
        assert c not in raw
    assert json.loads(raw)["summary"] == HOSTILE


def test_hostile_text_in_an_error_message_is_neutralised(store: Store) -> None:
    r = store.invoke("new", "--customer", "a", "--contact", "b", "--channel", "\x1b[31mred",
                     "--category", "other", "--summary", "s")  # fmt: skip
    assert r.exit_code == 2
    assert "\x1b" not in r.stderr and "\\x1b[31mred" in r.stderr


def test_safe_keeps_ordinary_text() -> None:
    assert safe("王先生 — 200元") == "王先生 — 200元"
    assert safe("a\nb") == "a\\x0ab"
    assert safe("a\nb", multiline=True) == "a\nb"
    assert safe(None) == ""


def test_new_prints_the_reference_alone(store: Store) -> None:
    r = store.ok("new", "--customer", "a", "--contact", "b", "--channel", "media",
                 "--category", "other", "--summary", "s")  # fmt: skip
    assert re.fullmatch(r"C-\d{4}-00001\n", r.stdout)
    assert "flagged major" in r.stderr  # chatter goes to stderr


def test_show_json_has_the_contract_keys(store: Store) -> None:
    ref = store.new()
    case = store.show(ref)
    for key in ("ref", "status", "customer", "contact", "channel", "category", "severity",
                "owner", "tier", "received_at", "version"):  # fmt: skip
        assert key in case
    history = store.json("history", ref)
    assert set(history[0]) >= {"position", "type", "recorded_at", "actor", "data"}
    assert history[0]["actor"] == ADVISER


def test_json_on_the_group_and_on_the_command(store: Store) -> None:
    ref = store.new()
    r = store.ok("--json", "ack", ref)
    assert json.loads(r.stdout)["status"] == "acknowledged"
    r = store.ok("note", ref, "x", "--json")
    assert json.loads(r.stdout)["notes"][0]["text"] == "x"
    r = store.ok("link", ref, "--group", "g", "--json")
    assert json.loads(r.stdout) == {"linked": [ref], "group": "g"}


def test_settings_from_environment_variables(store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COMPLAINTCTL_STORE", str(store.path))
    monkeypatch.setenv("COMPLAINTCTL_ACTOR", "环境变量")
    r = CliRunner().invoke(main, ["new", "--customer", "a", "--contact", "b", "--channel",
                                  "phone", "--category", "other", "--summary", "s"])  # fmt: skip
    assert r.exit_code == 0, r.stderr
    assert store.json("history", r.stdout.strip())[0]["actor"] == "环境变量"


def test_attachment_is_stored_by_its_hash(store: Store, tmp_path: Path) -> None:
    ref = store.new()
    f = tmp_path / "录音.mp3"
    f.write_bytes(b"ID3 voice")
    sha = hashlib.sha256(b"ID3 voice").hexdigest()
    store.ok("attach", ref, str(f), "--kind", "recording")
    store.ok("attach", ref, str(f), "--kind", "recording")  # same bytes: stored once
    assert (store.path / "attachments" / sha[:2] / sha).read_bytes() == b"ID3 voice"
    a = store.show(ref)["attachments"]
    assert len(a) == 2
    assert a[0] | {"at": None} == {
        "name": "录音.mp3", "size": 9, "media_type": "audio/mpeg", "sha256": sha,
        "kind": "recording", "by": ADVISER, "at": None,
    }  # fmt: skip
    assert "录音.mp3" in store.ok("show", ref).stdout


def _commands() -> list[str]:
    return main.list_commands(click.Context(main))


def _command(name: str) -> click.Command:
    cmd = main.get_command(click.Context(main), name)
    assert cmd is not None, name
    return cmd


@pytest.mark.parametrize("name", _commands())
def test_every_command_has_help_with_an_example(name: str) -> None:
    r = CliRunner().invoke(main, [name, "--help"])
    assert r.exit_code == 0
    assert "Example" in r.stdout, f"{name} --help has no example"


WRITING = [
    "init", "new", "ack", "assign", "transfer", "classify", "note", "contact", "investigate",
    "assess", "escalate", "propose", "approve", "accept", "reject", "resolve", "followup",
    "reopen", "close", "review", "archive", "withdraw", "link", "attach",
    "external", "route", "action-done", "import", "handover",
]  # fmt: skip


def test_all_writing_commands_of_the_contract_exist() -> None:
    assert set(WRITING) | {"show", "history", "verify", "demo"} <= set(_commands())
    leaves: list[tuple[str, click.Command]] = []
    for name in set(_commands()) - {"completion"}:
        cmd = _command(name)
        if isinstance(cmd, click.Group):  # e.g. `report daily`: the leaves take --json
            leaves += [(f"{name} {sub}", c) for sub, c in cmd.commands.items()]
        else:
            leaves.append((name, cmd))
    for name, cmd in leaves:
        assert any(p.name == "json" for p in cmd.params), f"{name} has no --json"


def test_shell_completion_script() -> None:
    r = CliRunner().invoke(main, ["completion", "bash"])
    assert r.exit_code == 0 and "_COMPLAINTCTL_COMPLETE" in r.stdout


@pytest.mark.parametrize("name", sorted(presets.PRESETS))
def test_every_preset_is_a_valid_config(name: str) -> None:
    cfg = parse(presets.preset(name))
    assert cfg.policy.tiers[1].remedy_limit is not None


def test_init_lists_the_actor_as_manager(tmp_path: Path) -> None:
    s = Store(tmp_path / "s")
    s.ok("init", "--preset", "bank", actor="老板")
    data = tomllib.loads((s.path / "complaintctl.toml").read_text("utf-8"))
    assert data["staff"]["老板"] == {"tier": 3, "role": "manager", "department": "management"}
    assert data["regulatory"] == {"decision_days": 15, "extensions": [30, 60]}
    assert data["shop"]["allow_unknown_staff"] is True


def test_demo_runs_twice_in_a_row(tmp_path: Path) -> None:
    first = run_cli(tmp_path / "unused", "demo", "--dir", str(tmp_path / "demo"))
    assert first.returncode == 0, first.stderr
    assert "archived" in first.stdout
    r = CliRunner().invoke(main, ["demo", "--dir", str(tmp_path / "demo"), "--json"])
    assert r.exit_code == 0, r.stderr
    second = json.loads(r.stdout)
    assert second["ref"].endswith("00002") and second["case"]["status"] == "archived"
    s = Store(tmp_path / "demo")
    assert s.json("verify", actor=MANAGER)["ok"] is True


def test_the_config_example_in_the_docs_is_valid() -> None:
    text = (Path(__file__).parent.parent / "docs" / "config.md").read_text("utf-8")
    block = re.search(r"```toml\n(.*?)```", text, re.S)
    assert block is not None
    cfg = parse(tomllib.loads(block.group(1)))
    assert cfg.policy.decision_extensions == (30, 60)


def test_tables_line_up_with_chinese_text() -> None:
    lines = table([["王先生", "x"], ["ab", "y"]], ["名字", "v"]).splitlines()
    starts = {wcswidth(line[: line.rindex(" ") + 1]) for line in lines if line.strip("- ")}
    assert len(starts) == 1, lines
