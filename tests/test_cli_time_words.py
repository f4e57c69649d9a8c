"""Times people type (CLI.md, TIME): words, dates with slashes, fractions and working days,
counted from ``--at`` when the command states one, on the shop's calendar and in its zone."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import datetime

import pytest
import shoptime
from conftest import MANAGER, Store

ZONE = shoptime.ZONE  # it works Monday to Saturday
AT = "2026-11-20 10:00"  # a Friday


def local(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=ZONE)


@pytest.fixture
def case(store: Store) -> str:
    """A case received before :data:`AT`, with Monday 2026-11-23 a holiday of the shop."""
    store.ok("config", "set", "shop.holidays", '["2026-11-23"]', actor=MANAGER)
    return store.new("--received-at", "2026-11-20 09:00")


@pytest.mark.parametrize(
    ("word", "expected"),
    [
        ("tomorrow", "2026-11-21 00:00"),
        ("Tomorrow 14:00", "2026-11-21 14:00"),
        ("明天", "2026-11-21 00:00"),
        ("明天 9:30", "2026-11-21 09:30"),
        ("后天", "2026-11-22 00:00"),
        ("明天下午3点", "2026-11-21 15:00"),
        ("下周一上午9点半", "2026-11-23 09:30"),
        ("14:30", "2026-11-20 14:30"),
        ("晚上8点", "2026-11-20 20:00"),
        ("today 18:00", "2026-11-20 18:00"),
        ("monday", "2026-11-23 00:00"),
        ("fri", "2026-11-27 00:00"),  # the next Friday, not today
        ("周五", "2026-11-27 00:00"),
        ("星期六", "2026-11-21 00:00"),
        ("下周一", "2026-11-23 00:00"),
        ("下周日", "2026-11-29 00:00"),
        ("2026/12/03", "2026-12-03 00:00"),
        ("2026/12/3 14:00", "2026-12-03 14:00"),
        ("2026-12-03 14:00", "2026-12-03 14:00"),
        ("12月3日", "2026-12-03 00:00"),
        ("+1.5h", "2026-11-20 11:30"),
        ("+30m", "2026-11-20 10:30"),
        ("+2d", "2026-11-22 10:00"),
        ("in 2 days", "2026-11-22 10:00"),
        # Saturday works, Sunday does not, Monday is the shop's holiday.
        ("in 1 working day", "2026-11-21 10:00"),
        ("in 3 working days", "2026-11-25 10:00"),
        ("3个工作日后", "2026-11-25 10:00"),
        ("2个工作日内", "2026-11-24 10:00"),
    ],
)
def test_words_count_from_at_on_the_shops_calendar(
    store: Store, case: str, word: str, expected: str
) -> None:
    out = store.json("ack", case, "--reply-by", word, "--at", AT)
    assert datetime.fromisoformat(out["reply_by"]) == local(expected)


def test_at_itself_takes_the_words_and_counts_from_now(store: Store) -> None:
    ref = store.new("--at", "yesterday 09:00", "--received-at", "-2d")
    case = store.show(ref)
    today = datetime.now(ZONE).date()
    received = datetime.fromisoformat(case["received_at"]).astimezone(ZONE)
    assert (today - received.date()).days == 3  # two days before yesterday 09:00
    assert received.time().isoformat(timespec="minutes") == "09:00"


def test_reading_options_and_report_days_take_the_words(store: Store, case: str) -> None:
    refs = [c["ref"] for c in store.json("list", "--since", "2026/11/20", "--until", "明天")]
    assert refs == [case]
    assert store.json("list", "--since", "2026/11/21") == []
    store.ok("log", "--since", "前天")
    store.ok("report", "daily", "--date", "2026/11/20")
    store.ok("report", "daily", "--date", "昨天")


def test_a_word_that_is_no_time_is_refused_with_the_forms_it_takes(store: Store, case: str) -> None:
    r = store.refused("ack", case, "--reply-by", "someday", code=2)
    assert "--reply-by" in r.stderr and "'someday'" in r.stderr
    for form in ("2026-11-23T10:00", "tomorrow", "明天", "下周一", "+1.5h", "3个工作日后"):
        assert form in r.stderr, form
    # 12/03 is December 3rd or March 12th: a deadline is not guessed.
    assert store.refused("ack", case, "--reply-by", "12/03", code=2).exit_code == 2
    zh = store.refused("--lang", "zh", "ack", case, "--reply-by", "someday", code=2)
    assert "不是时间" in zh.stderr and "3个工作日后" in zh.stderr
    assert "use ISO" not in zh.stderr
    day = store.invoke("--lang", "zh", "report", "daily", "--date", "someday")
    assert day.exit_code == 2 and "不是日期" in day.stderr


def test_a_plain_show_does_not_import_the_time_parser(store: Store, case: str) -> None:
    code = (
        "import sys\n"
        "from complaintctl.cli import main\n"
        "try:\n"
        "    main(sys.argv[1:])\n"
        "except SystemExit as e:\n"
        "    assert e.code == 0, e.code\n"
        "print('complaintctl.timeparse' in sys.modules, file=sys.stderr)\n"
    )
    env = {**os.environ, "COMPLAINTCTL_LANG": "en"}
    base = [sys.executable, "-c", code, "--store", str(store.path), "--actor", MANAGER]

    def imports_parser(*args: str) -> bool:
        run = subprocess.run([*base, *args], capture_output=True, text=True, env=env)
        assert run.returncode == 0, run.stderr
        return run.stderr.strip().splitlines()[-1] == "True"

    assert not imports_parser("show", case)
    assert not imports_parser("list")
    assert imports_parser("list", "--since", "昨天")  # the probe sees an import when there is one
