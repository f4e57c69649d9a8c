"""Shell completion of live values, asked for the way bash and zsh ask click: the program
run with ``_COMPLAINTCTL_COMPLETE`` and the words typed so far, in a process of its own."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import MANAGER, Store

PROGRAM = str(Path(sys.executable).with_name("complaintctl"))


def complete(store: Path, line: str, shell: str = "bash") -> list[str]:
    """What the shell offers for the last word of ``line`` (a trailing space: a new word)."""
    words = line.split(" ")
    env = {
        **os.environ,
        "_COMPLAINTCTL_COMPLETE": f"{shell}_complete",
        "COMP_WORDS": line,
        "COMP_CWORD": str(len(words) - 1),
        "COMPLAINTCTL_STORE": str(store),
        "COMPLAINTCTL_ACTOR": MANAGER,
        "COMPLAINTCTL_LANG": "en",
    }
    run = subprocess.run([PROGRAM], capture_output=True, text=True, env=env)
    assert run.returncode == 0 and run.stderr == "", (run.returncode, run.stderr)
    if shell == "zsh":  # type, value, help: three lines an item
        lines = run.stdout.splitlines()
        return lines[1::3]
    return [item.partition(",")[2] for item in run.stdout.splitlines() if item]


@pytest.fixture
def shop(store: Store) -> Store:
    old = store.new()
    store.ok("withdraw", old, "--reason", "客户撤诉")  # not open: offered last
    a = store.new(customer="李女士", contact="13700000000")
    b = store.new(customer="赵先生", contact="13600000000")
    store.ok("link", a, b, "--group", "洗车群")
    return store


def test_case_references_open_ones_first(shop: Store) -> None:
    assert complete(shop.path, "complaintctl show ") == [
        "C-2026-00003",
        "C-2026-00002",
        "C-2026-00001",
    ]
    assert complete(shop.path, "complaintctl ack c-2026-0000") == [
        "C-2026-00003",
        "C-2026-00002",
        "C-2026-00001",
    ]
    assert complete(shop.path, "complaintctl link C-2026-00002 C-2026-0000")[-1] == "C-2026-00001"
    assert complete(shop.path, "complaintctl show C-2025-") == []
    # zsh gets the status as each reference's description.
    assert complete(shop.path, "complaintctl history ", "zsh")[0] == "C-2026-00003"


def test_staff_categories_channels_departments_shifts_and_groups(shop: Store) -> None:
    p = shop.path
    assert set(complete(p, "complaintctl assign C-2026-00002 ")) == {
        "张伟",
        "李娜",
        "王强",
        MANAGER,
    }
    assert complete(p, "complaintctl list --owner 王") == ["王强"]
    assert complete(p, "complaintctl --actor 李") == ["李娜"]
    assert "misquote" in complete(p, "complaintctl new --category ")
    assert complete(p, "complaintctl list --category mis") == ["misquote"]
    assert complete(p, "complaintctl new --channel walk") == ["walk-in"]
    assert "customer-service" in complete(p, "complaintctl transfer C-2026-00002 ")
    assert complete(p, "complaintctl handover --shift ") == ["day", "night"]
    assert complete(p, "complaintctl group ") == ["洗车群"]
    assert complete(p, "complaintctl list --group 洗") == ["洗车群"]
    # What the shop changes is what completes next time.
    channels = '["walk-in", "phone", "wechat", "media", "regulator", "consumer-association"]'
    shop.ok("config", "set", "channels", channels, actor=MANAGER)
    assert complete(p, "complaintctl new --channel we") == ["wechat"]


def test_no_store_completes_to_nothing_without_a_traceback(tmp_path: Path) -> None:
    assert complete(tmp_path / "nowhere", "complaintctl show ") == []
    assert complete(tmp_path / "nowhere", "complaintctl new --category ") == []
    # click's own completions still work: command names.
    assert "show" in complete(tmp_path / "nowhere", "complaintctl sh")
