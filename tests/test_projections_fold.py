"""The fold against the write model, and rebuild against incremental catch-up.

One store of varied histories (played through ``ComplaintsApp`` on the real
file store) is built once for the module:

- every case in the cache equals the same case folded from its own events
  (what ``show`` and the writing commands print), and agrees with what the
  aggregate keeps for its rules (status, owner, tier, severity, proposals);
- ``case_as_of`` at every event boundary of a case agrees with the aggregate
  at that version;
- a property test (hypothesis) folds the log in catch-up steps split at
  random points, with tiny flush and memory limits so that eviction and
  reloading happen, and gets the same read models as one rebuild.
"""

from __future__ import annotations

import contextlib
import random
import sqlite3
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from complaintctl.app import open_app
from complaintctl.sources import FileSource, app_source, open_source
from events.application import ComplaintsApp, NewCase
from events.complaint import case_id
from events.errors import DomainError
from events.handovers import accept_handover, record_handover
from events.policy import Policy, StaffMember
from projections.cache import Projector
from projections.caselog import read_case
from projections.models import ReadModels
from projections.settings import ReadSettings, fingerprint
from projections.sla import Clock
from projections.source import Checkpoint, RecorderSource

STAFF = {
    "张伟": StaffMember("张伟", 1, "agent", "service"),
    "李娜": StaffMember("李娜", 1, "supervisor", "customer-service"),
    "王强": StaffMember("王强", 2, "supervisor", "service"),
    "陈总": StaffMember("陈总", 3, "manager", "management"),
}
POLICY = Policy(
    timezone="Asia/Shanghai",
    staff=STAFF,
    departments=("service", "parts", "workshop"),
    decision_days=15,
    decision_extensions=(30, 60),
    reply_hours_major=4,
)


def _try(action: Any) -> None:
    with contextlib.suppress(DomainError):  # refused by a rule: part of a realistic history
        action()


def play(app: ComplaintsApp, rng: random.Random, n: int) -> None:
    """One case taken along a random path through its life."""
    who = rng.choice(["张伟", "李娜"])
    ref: str = app.receive(
        NewCase(
            customer=rng.choice(["王先生", "李女士", "Smith"]),
            contact=rng.choice(["13800000001", "13800000002", f"1390000{n:04d}"]),
            channel=rng.choice(["walk-in", "phone", "media"]),
            category=rng.choice(["billing", "delivery"]),
            summary="鼓风机报价200元,实际1000多元",
            demand_amount=rng.choice([None, Decimal("800")]),
            vip=rng.random() < 0.1,
            owner=who,
        ),
        who,
    )
    steps: list[Any] = [
        lambda: app.acknowledge(ref, who, message="已致歉"),
        lambda: app.note(ref, "客户来电\x1b[31m", who),
        lambda: app.assign(ref, rng.choice(["张伟", "李娜", "王强"]), "陈总"),
        lambda: app.transfer(ref, "parts", who, reason="核实", co_handle=rng.random() < 0.5),
        lambda: app.classify(ref, who, category="delivery", severity="major", reason="媒体"),
        lambda: app.contact(ref, who, "reached", channel="phone"),
        lambda: app.investigate(ref, "报价单有误", who),
        lambda: app.assess(ref, who, rng.random() < 0.7, "报价流程无复核", ["张伟"]),
        lambda: app.escalate(ref, "王强", rng.choice([2, 3]), "客户多次来电"),
        lambda: app.escalate(ref, "陈总", 1, "降级"),
        lambda: app.propose(ref, "张伟", "compensation", Decimal("800"), "CNY"),
        lambda: app.approve(ref, "王强"),
        lambda: app.propose(ref, "陈总", "refund", Decimal("300"), "CNY"),
        lambda: app.reject(ref, who, "太少"),
        lambda: app.accept(ref, who),
        lambda: app.extend_decision(ref, who, "需要鉴定"),
        lambda: app.resolve(ref, who, "已退款"),
        lambda: app.follow_up(
            ref,
            "李娜",
            "reached",
            satisfaction=rng.randint(1, 5),
            leftover="仍有异响" if rng.random() < 0.3 else None,
        ),
        lambda: app.close_case(ref, who),
        lambda: app.review(ref, "陈总", "报价流程无复核", "报价前查系统", "双人复核", "王强"),
        lambda: app.reopen(ref, "陈总", "客户再次投诉"),
        lambda: app.archive(ref, who),
        lambda: app.withdraw(ref, who, "客户撤回"),
        lambda: app.link([ref], who, group="11月运输破损"),
    ]
    for _ in range(rng.randint(0, 14)):
        _try(rng.choice(steps))
    # Walk the main path as far as the dice say, so that many cases finish.
    for step in steps[:: rng.choice([1, 2])][: rng.randint(0, len(steps))]:
        _try(step)


@pytest.fixture(scope="module")
def played(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[str]]:
    store = tmp_path_factory.mktemp("fold") / "store"
    app = open_app(store, policy=POLICY)
    rng = random.Random(7)
    try:
        for n in range(40):
            play(app, rng, n)
        h = record_handover(app, "night", "张伟", [{"kind": "open", "ref": "C-x"}], "交接")
        accept_handover(app, h["id"], "李娜")
        refs = sorted({c for c in _refs(app)})
    finally:
        app.close()
    return store, refs


def _refs(app: ComplaintsApp) -> list[str]:
    out = []
    start = None
    while True:
        page = app.recorder.select_notifications(
            start, 500, topics=["complaints:Received"], inclusive_of_start=start is None
        )
        if not page:
            return out
        for n in page:
            out.append(app.mapper.to_domain_event(n).ref)  # type: ignore[attr-defined]
        start = page[-1].id


def _rules(case: Any) -> dict[str, Any]:
    """What the aggregate keeps for its rules, from an aggregate or a folded document."""
    get = case.get if isinstance(case, dict) else lambda k: getattr(case, k)
    return {
        "ref": get("ref"),
        "status": get("status"),
        "owner": get("owner"),
        "tier": get("tier"),
        "category": get("category"),
        "severity": get("severity"),
        "severity_by": get("severity_by"),
        "decision_extensions": get("decision_extensions"),
        "received_at": str(get("received_at")).replace(" ", "T"),
        "version": get("version"),
        "proposals": [
            (p["number"], p["state"], p["approved_by"], p["needs_approval"], p["required_tier"])
            for p in get("proposals")
        ],
    }


def _models(store: Path, app: ComplaintsApp) -> ReadModels:
    return ReadModels(open_source(store), store, POLICY, ReadSettings(), keyring=app.keyring)


def test_the_cache_equals_the_fold_of_each_case_and_the_aggregate_agrees(
    played: tuple[Path, list[str]],
) -> None:
    store, refs = played
    app = open_app(store, policy=POLICY)
    rm = _models(store, app)
    try:
        rm.rebuild()
        assert len(refs) == 40
        statuses = set()
        for ref in refs:
            cached = rm.case(ref)
            assert cached == read_case(app_source(app), ref, app.keyring), ref
            assert _rules(cached) == _rules(app.repository.get(case_id(ref))), ref
            statuses.add(cached["status"])
        # The story reaches most of the life of a case.
        assert {"closed", "in_progress", "withdrawn"} <= statuses and len(statuses) >= 5
    finally:
        rm.close()
        app.close()


def test_as_of_every_event_boundary_agrees_with_the_aggregate_at_that_version(
    played: tuple[Path, list[str]],
) -> None:
    store, refs = played
    app = open_app(store, policy=POLICY)
    rm = _models(store, app)
    try:
        for ref in refs[:12]:
            events = list(app.events.get(case_id(ref)))
            for ev in events:
                at = ev.timestamp
                then = app.repository.get(case_id(ref), version=ev.originator_version)
                assert _rules(rm.case_as_of(ref, at)) == _rules(then)
                before = at - timedelta(microseconds=1)
                if ev.originator_version == 1:
                    with pytest.raises(DomainError):
                        rm.case_as_of(ref, before)
                else:
                    earlier = app.repository.get(case_id(ref), version=ev.originator_version - 1)
                    assert _rules(rm.case_as_of(ref, before)) == _rules(earlier)
    finally:
        rm.close()
        app.close()


def _dump(path: Path) -> dict[str, Any]:
    """Everything a read model holds, in a comparable form (not the checkpoint's time)."""
    db = sqlite3.connect(path)
    try:
        cases = db.execute(
            "SELECT id, ref, status, owner, category, severity, channel, customer, contact,"
            " groups, received, due, followup_due, updated, doc FROM cases ORDER BY ref"
        ).fetchall()
        return {
            "cases": cases,
            "activity": sorted(db.execute("SELECT * FROM activity").fetchall()),
            "groups": sorted(db.execute("SELECT * FROM groups").fetchall()),
            "handovers": sorted(db.execute("SELECT * FROM handovers").fetchall()),
            "meta": dict(
                db.execute(
                    "SELECT key, value FROM meta WHERE key IN ('position', 'offset', 'last_hash')"
                ).fetchall()
            ),
        }
    finally:
        db.close()


def _projector(store: Path, app: ComplaintsApp, path: Path, **kw: Any) -> Projector:
    settings_ = ReadSettings()
    return Projector(
        store,
        open_source(store),
        Clock.of(POLICY, settings_),
        fingerprint(POLICY, settings_),
        path=path,
        **kw,
    )


@pytest.fixture(scope="module")
def whole(
    played: tuple[Path, list[str]], tmp_path_factory: pytest.TempPathFactory
) -> dict[str, Any]:
    """One rebuild of the whole log on two processes (the default on two cores)."""
    store, _refs = played
    app = open_app(store, policy=POLICY)
    try:
        p = _projector(store, app, tmp_path_factory.mktemp("whole") / "whole.sqlite")
        p.rebuild(workers=2)
        p.close()
        return _dump(p.path)
    finally:
        app.close()


def test_a_parallel_rebuild_equals_a_single_process_one(
    played: tuple[Path, list[str]], tmp_path: Path, whole: dict[str, Any]
) -> None:
    store, _refs = played
    app = open_app(store, policy=POLICY)
    try:
        p = _projector(store, app, tmp_path / "single.sqlite", max_cached=4, flush_every=9)
        p.rebuild(workers=1)
        p.close()
        assert _dump(p.path) == whole
        assert len(whole["cases"]) == 40 and whole["handovers"]
    finally:
        app.close()


def test_a_parallel_rebuild_runs_this_install_whatever_the_current_directory(
    played: tuple[Path, list[str]],
    tmp_path: Path,
    whole: dict[str, Any],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The helper process imports this install's ``projections``, not one that
    happens to lie in the directory the command was run from (another checkout)."""
    decoy = tmp_path / "elsewhere" / "projections"
    decoy.mkdir(parents=True)
    (decoy / "__init__.py").write_text("raise SystemExit('decoy projections imported')\n")
    monkeypatch.chdir(decoy.parent)
    store, _refs = played
    app = open_app(store, policy=POLICY)
    try:
        p = _projector(store, app, tmp_path / "two.sqlite")
        p.rebuild(workers=2)
        p.close()
        assert _dump(p.path) == whole
    finally:
        app.close()


def test_a_rebuild_that_flushes_and_evicts_midway_equals_one_in_one_chunk(
    played: tuple[Path, list[str]], tmp_path: Path, whole: dict[str, Any]
) -> None:
    """Chunks of a few events and a few states kept: cases, groups and handovers are
    written at flushes, forgotten and read back when touched again. (The file reader
    gives a small log in one batch: the recorder's pages of 7 events cut it.)"""
    store, _refs = played
    app = open_app(store, policy=POLICY)
    try:
        settings_ = ReadSettings()
        p = Projector(
            store,
            RecorderSource(app.recorder, page=7),
            Clock.of(POLICY, settings_),
            fingerprint(POLICY, settings_),
            path=tmp_path / "chunks.sqlite",
            max_cached=4,
            flush_every=9,
        )
        p.rebuild()
        p.close()
        got = _dump(p.path)
        assert whole["groups"] and whole["handovers"]
        # The recorder has no byte offsets: the checkpoint's offset is its own.
        assert {**got, "meta": {}} == {**whole, "meta": {}}
        assert got["meta"]["position"] == whole["meta"]["position"]
    finally:
        app.close()


@settings(
    max_examples=15,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(
    cuts=st.lists(st.integers(min_value=0, max_value=2000), max_size=6),
    flush_every=st.integers(min_value=1, max_value=200),
    max_cached=st.integers(min_value=2, max_value=50),
)
def test_rebuild_equals_incremental_catch_up(
    played: tuple[Path, list[str]],
    whole: dict[str, Any],
    tmp_path: Path,
    cuts: list[int],
    flush_every: int,
    max_cached: int,
) -> None:
    store, _refs = played
    app = open_app(store, policy=POLICY)
    last = open_source(store).last_position()
    try:
        steps = sorted(c % (last + 1) for c in cuts)
        stepped = _projector(
            store,
            app,
            tmp_path / f"steps-{id(cuts)}.sqlite",
            max_cached=max_cached,
            flush_every=flush_every,
        )
        stepped.rebuild(upto=steps[0] if steps else 0)
        for cut in steps[1:]:
            stepped.catch_up(upto=cut)
        stepped.catch_up()
        stepped.close()
        assert _dump(stepped.path) == whole
    finally:
        app.close()


def test_the_file_reader_and_the_recorder_reader_agree(played: tuple[Path, list[str]]) -> None:
    """The fast path (events.jsonl read directly) gives what the library's recorder gives."""
    store, _refs = played
    app = open_app(store, policy=POLICY)
    try:
        fast = open_source(store)
        assert isinstance(fast, FileSource)
        slow = RecorderSource(app.recorder)
        keys = ("position", "originator_id", "version", "topic", "data")
        a = [tuple(e[k] for k in keys) for b, _ in fast.read(Checkpoint()) for e in b]
        b = [tuple(e[k] for k in keys) for b2, _ in slow.read(Checkpoint()) for e in b2]
        assert a == b
        assert fast.last_position() == slow.last_position() == len(a)
    finally:
        app.close()


def test_list_as_of_from_the_cache_equals_folding_the_whole_log(
    played: tuple[Path, list[str]],
) -> None:
    """Cases unchanged since the time come from the cache, the others are refolded."""
    store, refs = played
    app = open_app(store, policy=POLICY)
    rm = _models(store, app)
    try:
        rm.catch_up()
        times = sorted(ev.timestamp for ref in refs[::5] for ev in app.events.get(case_id(ref)))
        for at in [*times[::7], times[-1]]:
            fast = rm.all_as_of(at)
            full = rm.fold_log_as_of(at)
            assert fast == full, at
        assert rm.all_as_of(times[3], share=0) == rm.fold_log_as_of(times[3])  # one pass
        assert rm.all_as_of(times[3], share=1) == rm.fold_log_as_of(times[3])  # each refolded
    finally:
        rm.close()
        app.close()


def test_find_as_of_filters_like_folding_the_whole_log(played: tuple[Path, list[str]]) -> None:
    from projections.models import Filters

    store, refs = played
    app = open_app(store, policy=POLICY)
    rm = _models(store, app)
    try:
        times = sorted(ev.timestamp for ref in refs[1::6] for ev in app.events.get(case_id(ref)))
        filters = [
            Filters(),
            Filters(status=("received", "acknowledged", "in_progress", "awaiting_customer")),
            Filters(status=("closed",), severity="major"),
            Filters(owner="李娜"),
            Filters(overdue=True),
            Filters(customer="13800000001"),
            Filters(group="11月运输破损"),
        ]
        for at in times[::9]:
            states = rm.fold_log_as_of(at)
            for f in filters:
                expected = sorted(c["ref"] for c in states.values() if f.match(c, rm.sla, at))
                assert sorted(c["ref"] for c in rm.find(f, as_of=at)) == expected, (at, f)
    finally:
        rm.close()
        app.close()


def test_the_fold_knows_every_event_of_a_complaint() -> None:
    """A new Complaint event without a fold would silently vanish from every read model."""
    from events.complaint import Complaint
    from events.topics import CASE_TOPICS, event_topics
    from projections.case import HANDLERS

    # Its own classes, built or not (events.lazyevents), not the base class's topic.
    topics = event_topics(Complaint)
    assert topics and topics == set(CASE_TOPICS) == set(HANDLERS) | {"complaints:Received"}


def test_a_settings_change_recomputes_the_deadlines_in_place(
    played: tuple[Path, list[str]], tmp_path: Path, whole: dict[str, Any]
) -> None:
    """Other targets and time zone: the cache is not rebuilt (the same file), only its
    deadline columns change, and it then equals a rebuild under the new settings."""
    from events.records import replace

    store, _refs = played
    path = tmp_path / "settings.sqlite"
    other = ReadSettings(resolve_hours=24, followup_days=7)
    policy = replace(POLICY, timezone="Europe/Berlin", reply_hours=2)

    def projector(target: Path, p: Policy, s: ReadSettings) -> Projector:
        return Projector(store, open_source(store), Clock.of(p, s), fingerprint(p, s), path=target)

    first = projector(path, POLICY, ReadSettings())
    first.open()
    first.close()
    assert _dump(path) == whole
    inode = path.stat().st_ino
    changed = projector(path, policy, other)
    changed.open()
    changed.close()
    assert path.stat().st_ino == inode  # the same file: no rebuild
    fresh = projector(tmp_path / "fresh.sqlite", policy, other)
    fresh.rebuild(workers=1)
    fresh.close()
    redated = _dump(path)
    assert redated == _dump(fresh.path)
    deadlines = [(row[11], row[12]) for row in redated["cases"]]
    assert deadlines != [(row[11], row[12]) for row in whole["cases"]]
    assert any(d is not None for d, _f in deadlines) and any(f is not None for _d, f in deadlines)
