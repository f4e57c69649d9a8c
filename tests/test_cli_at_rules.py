"""``--at`` all the way: relative times count from it, and it obeys the rules of its time.

Through the real CLI on each backend: a relative time (``+24h``) in a
back-dated command counts from ``--at``; ``import``, ``handover --record``
and ``config set`` take ``--at`` with the same checks as the case commands;
an action dated before a change of the shop's rules is checked by the rules
it replaced (issue 10, issue 15: "the rules in force when each action happened").
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from conftest import ADVISER, DIRECTOR, MANAGER, Store
from shoptime import ZONE, ago, iso, utc


def test_relative_times_count_from_at(any_store: Store) -> None:
    s = any_store
    t0 = ago(days=3)
    ref = s.new("--received-at", "-2h", "--at", iso(t0))
    case = s.show(ref)
    assert utc(case["received_at"]) == t0 - timedelta(hours=2)
    s.ok("ack", ref, "--reply-by", "+24h", "--at", iso(t0 + timedelta(hours=1)))
    assert utc(s.show(ref)["reply_by"]) == t0 + timedelta(hours=25)
    # The order of the options does not matter; `now` is the stated time too.
    s.ok("ack", ref, "--at", iso(t0 + timedelta(hours=2)), "--reply-by", "+2d")
    assert utc(s.show(ref)["reply_by"]) == t0 + timedelta(days=2, hours=2)
    s.ok("resolve", ref, "--summary", "fixed", "--at", iso(t0 + timedelta(hours=3)))
    s.ok("close", ref, "--at", iso(t0 + timedelta(hours=4)), actor=DIRECTOR)
    s.ok(
        "review", ref, "--root-cause", "c", "--lesson", "l", "--action", "retrain",
        "--action-owner", ADVISER, "--action-due", "+2d",
        "--at", iso(t0 + timedelta(hours=5)), actor=DIRECTOR,
    )  # fmt: skip
    actions = s.json("actions", actor=DIRECTOR)
    assert [utc(a["due"]) for a in actions] == [t0 + timedelta(days=2, hours=5)]
    # Without --at a relative time is from now, as before.
    other = s.new()
    s.ok("ack", other, "--reply-by", "+24h")
    due = utc(s.show(other)["reply_by"])
    assert abs(due - (datetime.now(UTC) + timedelta(hours=24))) < timedelta(minutes=5)


def test_import_takes_at(any_store: Store, tmp_path: Path) -> None:
    s = any_store
    t0 = ago(days=1)
    rows = tmp_path / "paper-log.csv"
    rows.write_text(
        "customer,contact,channel,category,summary,received_at\n"
        "王先生,13800000001,phone,misquote,报价错误,-3h\n"
        "李女士,13800000002,phone,misquote,报价错误,\n",
        "utf-8",
    )
    s.refused("import", str(rows), "--at", iso(ago(hours=-1)), code=2, rule="future")
    result = s.json("import", str(rows), "--at", iso(t0))
    received = sorted(utc(s.show(c["ref"])["received_at"]) for c in result["cases"])
    assert received == [t0 - timedelta(hours=3), t0]
    history = s.json("history", result["cases"][0]["ref"])
    assert utc(history[0]["occurred_at"]) == t0


def test_handover_record_and_accept_take_at(any_store: Store) -> None:
    s = any_store
    t0 = ago(hours=10)
    s.new("--at", iso(t0))
    s.refused("handover", "--shift", "day", "--at", iso(t0), code=2, rule="--record")
    s.refused(
        "handover", "--shift", "day", "--record", "--at", iso(ago(hours=-1)), code=2, rule="future"
    )
    h = s.json("handover", "--shift", "day", "--record", "--at", iso(t0 + timedelta(hours=1)))
    hid = h["recorded"]["id"]
    s.refused(
        "handover", "--shift", "day", "--accept", hid, "--at", iso(t0), actor=DIRECTOR,
        rule="at-before-previous-action",
    )  # fmt: skip
    s.ok("handover", "--shift", "day", "--accept", hid, "--at", iso(t0 + timedelta(hours=2)),
         actor=DIRECTOR)  # fmt: skip
    times = [utc(e["occurred_at"]) for e in s.json("log") if e["originator_id"] == hid]
    assert times == [t0 + timedelta(hours=1), t0 + timedelta(hours=2)]


def test_config_set_takes_at_with_the_same_checks(any_store: Store) -> None:
    s = any_store
    t0 = ago(days=2)
    s.refused(
        "config", "set", "tiers.1.remedy_limit", "300", "--at", iso(ago(hours=-1)),
        actor=MANAGER, code=2, rule="future",
    )  # fmt: skip
    s.ok("config", "set", "tiers.1.remedy_limit", "300", "--at", iso(t0), actor=MANAGER)
    s.refused(
        "config", "set", "tiers.1.remedy_limit", "200", "--at", iso(t0 - timedelta(hours=1)),
        actor=MANAGER, rule="at-before-previous-action",
    )  # fmt: skip
    log = s.json("config", "log", actor=MANAGER)
    assert [(e["key"], e["value"], utc(e["occurred_at"])) for e in log] == [
        ("tiers.1.remedy_limit", 300, t0)
    ]
    assert utc(log[0]["recorded_at"]) > t0 + timedelta(days=1)  # typed in today


def test_a_back_dated_action_obeys_the_rules_in_force_then(any_store: Store) -> None:
    """A limit and a role changed on day 2: day 1's actions are checked by day 1's rules."""
    s = any_store
    t0 = ago(days=4)
    change = t0 + timedelta(days=1)
    early, late = s.new("--at", iso(t0)), s.new("--at", iso(t0))
    s.ok("config", "set", "tiers.1.remedy_limit", "300", "--at", iso(change), actor=MANAGER)
    s.ok("config", "set", f"staff.{DIRECTOR}.role", "agent", "--at", iso(change), actor=MANAGER)

    def propose(ref: str, at: datetime) -> dict[str, bool]:
        s.ok("propose", ref, "--remedy", "refund", "--amount", "400", "--at", iso(at))
        proposal = s.show(ref)["proposals"][-1]
        return {"needs_approval": proposal["needs_approval"]}

    # The old limit (500) covered 400 before the change; the new one (300) does not.
    assert propose(early, change - timedelta(hours=2)) == {"needs_approval": False}
    assert propose(late, change + timedelta(hours=2)) == {"needs_approval": True}
    # The director was a supervisor until the change: tier 3 was hers to call then.
    s.ok(
        "escalate", early, "--tier", "3", "--reason", "图片已发抖音",
        "--at", iso(change - timedelta(hours=1)), actor=DIRECTOR,
    )  # fmt: skip
    s.refused(
        "escalate", late, "--tier", "3", "--reason", "图片已发抖音",
        "--at", iso(change + timedelta(hours=3)), actor=DIRECTOR, rule="tier-3-needs-supervisor",
    )  # fmt: skip
    # Now (no --at) the changed rules hold.
    s.refused("escalate", late, "--tier", "3", "--reason", "x", actor=DIRECTOR,
              rule="tier-3-needs-supervisor")  # fmt: skip


def test_sla_clocks_use_the_targets_in_force_when_each_case_was_received(
    any_store: Store,
) -> None:
    """The reply target went from 24 h to 48 h on day 2: day 1's case was late at 30 h."""
    s = any_store
    t0 = ago(days=8)  # the old case's 168 h are up a day ago; the new one's 240 h are not
    change = t0 + timedelta(days=1)
    old = s.new("--at", iso(t0))
    s.ok("config", "set", "reply.hours", "48", "--at", iso(change), actor=MANAGER)
    s.ok("config", "set", "reply.resolve_hours", "240", "--at", iso(change), actor=MANAGER)
    new = s.new("--at", iso(change + timedelta(hours=1)), customer="李女士", contact="137")
    s.ok("ack", old, "--at", iso(t0 + timedelta(hours=30)))
    s.ok("ack", new, "--at", iso(change + timedelta(hours=31)))
    for ref, at in ((old, t0 + timedelta(hours=31)), (new, change + timedelta(hours=32))):
        s.ok("contact", ref, "--outcome", "reached", "--at", iso(at))  # the promise kept
    assert s.json("sla", old)["acknowledged_within_target"] is False  # 30 h > 24 h then
    assert s.json("sla", new)["acknowledged_within_target"] is True  # 30 h < 48 h now
    # Resolution: 168 h from receipt for the old case (late now), 240 h for the new one.
    late = {c["ref"]: c["deadline"] for c in s.json("overdue")["overdue"]}
    assert late == {old: "resolve"}
    due = {d["kind"]: utc(d["due"]) for d in s.json("sla", old)["overdue"]}
    assert due == {"resolve": t0 + timedelta(hours=168)}
    # A later change back to 24 h does not make the second case late after the fact.
    s.ok("config", "set", "reply.hours", "24", actor=MANAGER)
    assert s.json("sla", new)["acknowledged_within_target"] is True


def test_a_back_dated_handover_lists_the_cases_as_they_stood_then(any_store: Store) -> None:
    """``handover --record --at T``: the items of T, not of now (resolved and received since)."""
    s = any_store
    # Yesterday 09:00 in the shop: T and the call-back fall inside the day shift
    # (08:00-20:00) whatever the hour the test runs at (ten hours ago failed after 19:00).
    t0 = (datetime.now(ZONE) - timedelta(days=1)).replace(hour=9, minute=0, second=0, microsecond=0)
    done = s.new("--at", iso(t0), customer="王先生", contact="13800000000")
    still = s.new("--at", iso(t0), customer="李女士", contact="13700000000")
    s.ok("ack", done, "--reply-by", iso(t0 + timedelta(hours=2)), "--at", iso(t0))
    then = t0 + timedelta(hours=1)
    s.ok("resolve", done, "--summary", "已退款", "--at", iso(t0 + timedelta(hours=3)))
    later = s.new("--at", iso(t0 + timedelta(hours=4)), customer="赵先生", contact="139")
    now = s.json("handover", "--shift", "day")
    assert sorted(c["ref"] for o in now["open_by_owner"] for c in o["cases"]) == sorted(
        [still, later]
    )
    h = s.json("handover", "--shift", "day", "--record", "--at", iso(then))
    assert sorted(c["ref"] for o in h["open_by_owner"] for c in o["cases"]) == sorted([done, still])
    (callback,) = h["callbacks"]  # promised for t0 + 2 h: due, and not yet late at T
    assert callback["ref"] == done and callback["late"] is False
    assert h["recorded"]["items"] == 3  # two open cases, one call-back
    listed = s.json("handover", "--shift", "day")["handovers"]
    items = {(i["kind"], i["ref"]) for i in listed[0]["items"]}
    assert items == {("open", done), ("open", still), ("callback", done)}
