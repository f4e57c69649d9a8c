"""``handover --record --at T`` lists the earlier handovers as they stood at T.

A back-dated handover shows what the shift had then: the handovers recorded by
T (none recorded after it), and one accepted after T still waiting.
"""

from __future__ import annotations

from datetime import timedelta

from conftest import DIRECTOR, Store
from shoptime import ago, iso


def test_a_back_dated_handover_lists_the_handovers_recorded_by_then(store: Store) -> None:
    s = store
    t0 = ago(hours=10)
    s.new("--at", iso(t0))
    first = s.json("handover", "--shift", "day", "--record", "--at", iso(t0 + timedelta(hours=1)))
    fid = first["recorded"]["id"]
    s.ok("handover", "--shift", "day", "--accept", fid, "--at", iso(t0 + timedelta(hours=4)),
         actor=DIRECTOR)  # fmt: skip
    second = s.json("handover", "--shift", "day", "--record", "--at", iso(t0 + timedelta(hours=6)))
    sid = second["recorded"]["id"]
    # Now: both, newest first, the first accepted.
    now = s.json("handover", "--shift", "day")["handovers"]
    assert [h["id"] for h in now] == [sid, fid]
    assert now[1]["accepted_by"] == DIRECTOR
    # At t0 + 3 h: only the first was recorded, and it was not accepted yet.
    then = s.json("handover", "--shift", "day", "--record", "--at", iso(t0 + timedelta(hours=3)))
    assert [h["id"] for h in then["handovers"]] == [fid]
    assert then["handovers"][0]["accepted_by"] is None
    assert then["handovers"][0]["accepted_at"] is None
    # At t0 + 5 h: the first, accepted by then.
    later = s.json("handover", "--shift", "day", "--record", "--at", iso(t0 + timedelta(hours=5)))
    ids = [h["id"] for h in later["handovers"]]
    assert ids == [then["recorded"]["id"], fid]  # the one recorded at t0 + 3 h is before it
    assert later["handovers"][1]["accepted_by"] == DIRECTOR
    # Before any: none.
    soon = iso(t0 + timedelta(minutes=30))
    early = s.json("handover", "--shift", "day", "--record", "--at", soon)
    assert early["handovers"] == []
