"""When things really happened: ``--at`` on the writing commands, on every backend.

Each test runs through the real CLI on a real store: the file store, the
library's SQLite store and PostgreSQL (a schema of its own per test).
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

from click.testing import CliRunner
from conftest import DIRECTOR, MANAGER, SERVICE_MANAGER, Store
from shoptime import ago, iso, utc

from complaintctl.cli import main


def test_every_event_of_a_command_carries_its_business_time(any_store: Store) -> None:
    s = any_store
    t0 = ago(days=2, hours=3)
    ref = s.new("--at", iso(t0))
    s.ok("ack", ref, "--at", iso(t0 + timedelta(minutes=30)))
    s.ok("contact", ref, "--outcome", "reached", "--at", iso(t0 + timedelta(hours=2)))
    s.ok("note", ref, "typed in from the paper log", "--at", iso(t0 + timedelta(hours=3)))
    s.ok("resolve", ref, "--summary", "fixed", "--at", iso(t0 + timedelta(days=1)))
    case = s.show(ref)
    assert utc(case["received_at"]) == t0  # no --received-at: the receipt is --at
    assert utc(case["acknowledged_at"]) == t0 + timedelta(minutes=30)
    assert utc(case["resolved_at"]) == t0 + timedelta(days=1)
    history = s.json("history", ref)
    assert [utc(e["occurred_at"]) for e in history] == [
        t0,
        t0 + timedelta(minutes=30),
        t0 + timedelta(hours=2),
        t0 + timedelta(hours=3),
        t0 + timedelta(days=1),
    ]
    # The log keeps when each was recorded: now, not two days ago.
    now = datetime.now(UTC)
    assert all(abs(utc(e["recorded_at"]) - now) < timedelta(minutes=5) for e in history)
    assert all("recorded_at" not in e["data"] for e in history)
    text = s.ok("history", ref).stdout
    assert "recorded" in text  # both times where they differ
    # The SLA clock counts business time: acknowledged within half an hour.
    clock = s.json("sla", ref)
    assert clock["hours_to_acknowledge"] == 0.5
    assert clock["hours_to_resolve"] == 24.0
    # Reports count it too: the day it was received, not the day it was typed.
    day = t0.date().isoformat()
    assert s.json("report", "daily", "--date", day)["totals"]["received"] == 1
    assert s.json("report", "daily")["totals"]["received"] == 0


def test_a_time_in_the_future_or_before_the_previous_action_is_refused(
    any_store: Store,
) -> None:
    s = any_store
    t0 = ago(hours=5)
    ref = s.new("--at", iso(t0))
    s.ok("ack", ref, "--at", iso(t0 + timedelta(hours=1)))
    r = s.refused("note", ref, "later", "--at", iso(ago(minutes=-30)), code=2)
    assert "future" in r.stderr
    s.refused(
        "note",
        ref,
        "too early",
        "--at",
        iso(t0 + timedelta(minutes=10)),
        rule="at-before-previous-action",
    )
    s.refused(
        "new",
        "--customer",
        "李",
        "--contact",
        "1",
        "--channel",
        "walk-in",
        "--category",
        "misquote",
        "--summary",
        "x",
        "--at",
        iso(ago(hours=-1)),
        code=2,
    )
    s.refused("ack", ref, "--at", "not a time", code=2)
    # A small clock skew between desks is not the future.
    s.ok("note", ref, "a desk a minute ahead", "--at", iso(ago(minutes=-2)))


def test_new_with_received_at_and_at(any_store: Store) -> None:
    s = any_store
    received, typed = ago(days=1, hours=2), ago(days=1)
    ref = s.new("--received-at", iso(received), "--at", iso(typed))
    case = s.show(ref)
    assert utc(case["received_at"]) == received
    assert utc(s.json("history", ref)[0]["occurred_at"]) == typed
    # Without --at, a past --received-at is the receipt's business time.
    ref2 = s.new("--received-at", iso(received), customer="赵女士", contact="139")
    s.ok("ack", ref2, "--at", iso(received + timedelta(minutes=20)))
    assert utc(s.show(ref2)["acknowledged_at"]) == received + timedelta(minutes=20)
    s.refused(
        "new",
        "--customer",
        "李",
        "--contact",
        "1",
        "--channel",
        "walk-in",
        "--category",
        "misquote",
        "--summary",
        "x",
        "--received-at",
        iso(typed),
        "--at",
        iso(received),
        code=2,
    )


def test_as_of_is_business_time_and_as_recorded_is_what_the_store_held(
    any_store: Store,
) -> None:
    s = any_store
    t0 = ago(days=3)
    ref = s.new("--at", iso(t0))
    s.ok("ack", ref)
    first_two = s.json("history", ref)
    recorded = first_two[-1]["recorded_at"]
    # Typed in afterwards, dated back to yesterday (after the ack? no: the ack is now).
    ref2 = s.new("--at", iso(t0), customer="周先生", contact="137")
    s.ok("note", ref2, "called on the first day", "--at", iso(t0 + timedelta(hours=1)))
    note_recorded = s.json("history", ref2)[-1]["recorded_at"]
    # Business time: the note was there on the first day.
    early = s.json("show", ref2, "--as-of", iso(t0 + timedelta(hours=2)))
    assert [n["text"] for n in early["notes"]] == ["called on the first day"]
    # Recorded time: the store did not hold the note before it was typed in.
    held = s.json("show", ref2, "--as-recorded", note_recorded)
    assert len(held["notes"]) == 1
    before = s.invoke("show", ref2, "--as-recorded", recorded, "--json")
    assert before.exit_code == 3  # the second case was not recorded yet
    assert s.json("show", ref, "--as-recorded", recorded)["status"] == "acknowledged"
    assert s.invoke("show", ref, "--as-recorded", "x").exit_code == 2


def test_overdue_and_handover_count_business_time(any_store: Store) -> None:
    s = any_store
    t0 = ago(days=3)
    ref = s.new("--at", iso(t0))  # 72 h without an acknowledgement: 48 h late
    late = s.json("overdue")["overdue"]
    assert [(c["ref"], c["deadline"], c["hours"]) for c in late] == [(ref, "acknowledge", 48.0)]
    s.ok("ack", ref, "--at", iso(t0 + timedelta(hours=1)), "--reply-by", iso(ago(days=1)))
    # Acknowledged in time; the promise (a day ago) is what is late now.
    assert [c["deadline"] for c in s.json("overdue")["overdue"]] == ["reply"]
    handover = s.json("handover", "--shift", "day", actor=DIRECTOR)
    assert [o["ref"] for o in handover["overdue"]] == [ref]


def test_at_on_the_remaining_writing_commands(any_store: Store) -> None:
    s = any_store
    t0 = ago(days=4)
    ref = s.new("--at", iso(t0), "--demand-amount", "800")
    steps = [
        ("assign", ref, DIRECTOR),
        ("transfer", ref, "parts", "--co-handle"),
        ("classify", ref, "--category", "warranty"),
        ("investigate", ref, "wrong part number"),
        ("assess", ref, "--valid"),
        ("escalate", ref, "--tier", "2", "--reason", "big"),
        ("propose", ref, "--remedy", "fee-waiver", "--amount", "800"),
    ]
    for n, args in enumerate(steps, start=1):
        s.ok(*args, "--at", iso(t0 + timedelta(hours=n)))
    s.ok("approve", ref, "--at", iso(t0 + timedelta(hours=9)), actor=SERVICE_MANAGER)
    for n, args in enumerate(
        [
            ("accept", ref),
            ("resolve", ref, "--summary", "done"),
            ("followup", ref, "--outcome", "reached", "--satisfaction", "4"),
            ("close", ref),
            ("review", ref, "--root-cause", "c", "--lesson", "l"),
        ],
        start=10,
    ):
        s.ok(*args, "--at", iso(t0 + timedelta(hours=n)), actor=DIRECTOR)
    s.ok("archive", ref, "--at", iso(t0 + timedelta(hours=20)), actor=MANAGER)
    history = s.json("history", ref)
    times = [utc(e["occurred_at"]) for e in history]
    assert times == sorted(times) and times[-1] == t0 + timedelta(hours=20)
    assert times[1] == t0 + timedelta(hours=1)


def test_every_writing_command_of_the_contract_takes_at() -> None:
    from test_cli_output import WRITING

    from complaintctl.cli.group import load_command

    for name in set(WRITING) - {"init"}:  # init sets up a store: no action on a case
        assert any(p.name == "at" for p in load_command(name).params), name


def test_the_demo_happens_over_days(tmp_path: Path) -> None:
    r = CliRunner().invoke(main, ["demo", "--dir", str(tmp_path / "demo"), "--json"])
    assert r.exit_code == 0, r.stderr
    result = json.loads(r.stdout)
    times = [utc(step["at"]) for step in result["steps"]]
    assert times == sorted(times) and times[-1] - times[0] >= timedelta(days=7)
    assert times[-1] < datetime.now(UTC)
    s = Store(tmp_path / "demo")
    clock = s.json("sla", result["ref"], actor=MANAGER)
    assert [p["state"] for p in clock["promises"]] == ["kept"]
    assert clock["acknowledged_within_target"] is True
    days = {utc(e["occurred_at"]).date() for e in s.json("history", result["ref"], actor=MANAGER)}
    assert len(days) >= 6


def _log(store: Path, *args: str) -> list[dict[str, object]]:
    config = store.parent / "store" / "complaintctl.toml"
    r = CliRunner().invoke(
        main, ["--store", str(store), "--config", str(config), "log", *args], catch_exceptions=False
    )
    assert r.exit_code == 0, (r.exit_code, r.stderr)
    return [json.loads(line) for line in r.stdout.splitlines()]


def test_log_since_until_select_by_business_time_also_after_a_migration(
    store: Store, tmp_path: Path
) -> None:
    """Back-dated events (``--at``) are in the window of when they happened, not of
    when they were typed in; a copy made later answers the same as its source."""
    t0 = ago(days=3)
    ref = store.new("--at", iso(t0))
    store.ok("ack", ref, "--at", iso(t0 + timedelta(hours=1)))
    store.ok("note", ref, "from the paper log", "--at", iso(t0 + timedelta(days=1)))
    store.ok("note", ref, "today's note")
    window = ("--since", iso(t0 + timedelta(minutes=30)), "--until", iso(t0 + timedelta(days=2)))
    picked = _log(store.path, *window)
    assert [(e["ref"], e["type"]) for e in picked] == [(ref, "Acknowledged"), (ref, "Noted")]
    assert picked[1]["data"]["text"] == "from the paper log"
    assert all(utc(str(e["recorded_at"])) > t0 + timedelta(days=2) for e in picked)  # typed later
    everything = _log(store.path)
    early = _log(store.path, "--until", iso(t0 + timedelta(minutes=1)))
    assert early and all(utc(str(e["occurred_at"])) < t0 + timedelta(minutes=1) for e in early)
    assert len(early) + len(_log(store.path, "--since", iso(t0 + timedelta(minutes=1)))) == len(
        everything
    )
    copy = tmp_path / "copy"
    assert store.json("migrate", "--to", "file", "--target", str(copy), actor=MANAGER)["ok"]

    def same(events: list[dict[str, object]]) -> list[tuple[object, ...]]:
        return [(e["position"], e["type"], e["occurred_at"], e["data"]) for e in events]

    assert same(_log(copy, *window)) == same(picked)
    assert same(_log(copy, "--until", iso(t0 + timedelta(minutes=1)))) == same(early)
