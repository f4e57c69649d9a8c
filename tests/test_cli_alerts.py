"""``alerts`` for cron: what needs attention since its last run, each item told once,
exit 8 when there is something."""

from __future__ import annotations

import json

from aging import age_store
from conftest import Store


def test_alerts_tell_each_item_once_per_desk(store: Store) -> None:
    assert store.invoke("alerts").exit_code == 0  # an empty store: nothing, exit 0
    quiet = store.new()
    store.ok("ack", quiet, "--reply-by", "+72h")
    assert store.invoke("alerts", actor="cron").exit_code == 0
    outside = store.new(customer="刘女士", contact="13700000000", channel="consumer-association")
    late = store.new(customer="王先生", contact="13800000000")
    store.ok("ack", late, "--reply-by", "+1m")
    first = store.invoke("alerts", "--json", actor="cron")
    assert first.exit_code == 8

    items = json.loads(first.stdout)["items"]
    kinds = {(i["ref"], i["kind"]) for i in items}
    assert (outside, "major") in kinds and (outside, "outside") in kinds
    assert (late, "due-soon") in kinds  # the call-back promised within the hour
    again = store.invoke("alerts", actor="cron")
    assert again.exit_code == 0 and "Nothing needs attention" in again.stdout  # told once
    other_desk = store.invoke("alerts", actor="前台")
    assert other_desk.exit_code == 8 and outside in other_desk.stdout  # per desk
    assert store.invoke("alerts", "--again", actor="cron").exit_code == 8
    assert (store.path / "cache" / "alerts.json").exists()


def test_a_case_gone_overdue_is_told(store: Store) -> None:
    late = store.new()
    store.ok("ack", late, "--reply-by", "+1m")
    assert store.invoke("alerts", "--within", "0", actor="cron").exit_code == 0
    age_store(store.path, 1)  # a day later: the promised call-back was missed
    r = store.invoke("alerts", "--within", "0", "--json", actor="cron")
    assert r.exit_code == 8 and '"overdue"' in r.stdout and late in r.stdout
    assert store.invoke("alerts", "--within", "0", actor="cron").exit_code == 0
