"""Event classes built on first use (``events.lazyevents``) store what the library's did.

``tests/data/store-45df01d`` was written by the code before the change (commit
``45df01d``, when ``@event`` built every class at import) with the sequence of
:func:`write_every_event`, a fixed clock and stated business times: today's
code must write the very same stored events (topics, originators, versions,
payload bytes), read that store, and add to it. A fresh ``note`` builds only
the classes it meets and imports no other aggregate.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

from conftest import Store

from complaintctl.app import open_app
from complaintctl.config import parse, read
from events import NewCase, outside
from events.application import ComplaintsApp
from events.businesstime import acting_at

OLD_STORE = Path(__file__).parent / "data" / "store-45df01d"
BOSS = "Boss"  # the old store's manager
T0 = datetime(2026, 11, 2, 1, 0, tzinfo=UTC)


def _open(store: Path) -> ComplaintsApp:
    cfg = parse(read(store / "complaintctl.toml"))
    app = open_app(store, policy=cfg.policy, encrypt_personal=cfg.encrypt_personal)
    app.clock = lambda: T0 + timedelta(days=20)
    return app


def write_every_event(store: Path) -> None:
    """The sequence the old store was written with: every kind of case event."""
    app = _open(store)
    minutes = iter(range(1, 1000))

    def at() -> AbstractContextManager[None]:
        return acting_at(T0 + timedelta(minutes=next(minutes)))

    def new(**kw: Any) -> str:
        base: dict[str, Any] = dict(
            customer="王先生", contact="13800000000", channel="phone", category="billing",
            summary="多行\n文本",
        )  # fmt: skip
        with at():
            return app.receive(NewCase(**{**base, **kw}), BOSS)

    def do(method: str, *args: Any, **kw: Any) -> None:
        with at():
            getattr(app, method)(*args, **kw)

    def out(fn: Callable[..., str], *args: Any) -> None:
        with at():
            fn(app, *args)

    a = new(
        demand_amount=Decimal("1234.50"), currency="CNY", account="VIN-1", mood="愤怒",
        signed_by_customer=True,
    )  # fmt: skip
    b = new(customer="李四", contact="139", vip=True)
    c = new(customer="王五", contact="137")
    d = new(customer="赵六", contact="136")
    do("acknowledge", a, BOSS, message="已致歉")
    do("assign", a, "Alice", BOSS)
    do("link", [a, b], BOSS, group="同批")
    do("transfer", a, "parts", BOSS, reason="查价")
    do("transfer", a, "workshop", BOSS, co_handle=True)
    do("classify", a, BOSS, category="repair-quality", severity="major", reason="大额")
    do("note", a, "客户来电", BOSS)
    do("contact", a, BOSS, "reached", channel="phone", summary="谈过")
    do("investigate", a, "查明", BOSS)
    do("assess", a, BOSS, True, root_cause="漏检", at_fault=["parts", "Alice"], loss=Decimal(800))
    do("escalate", a, BOSS, 2, "升级")
    do("escalate", a, BOSS, 1, "降级")
    do("propose", a, BOSS, "refund", amount=Decimal(300), detail="退款")
    do("propose", a, BOSS, "gift", amount=Decimal(50), mode="add")
    do("propose", a, BOSS, "refund", amount=Decimal(600), mode="alternative")
    next(minutes)  # the old sequence's refused `approve` (the proposal needed none)
    do("reject", a, BOSS, reason="不够")
    out(outside.take_route, a, BOSS, "arbitration", "M-1", "调解")
    out(outside.conclude_route, a, BOSS, "调解成功")
    out(outside.involve, a, BOSS, "consumer-association", "CA-9", None)
    do("propose", a, BOSS, "repair", detail="返修")
    do("accept", a, BOSS, reason="同意")
    do("resolve", a, BOSS, "已返修")
    do("follow_up", a, BOSS, "reached", satisfaction=4, leftover="仍有异响")
    do("resolve", a, BOSS, "再修")
    do("follow_up", a, BOSS, "reached", satisfaction=5)
    do("close_case", a, BOSS)
    do("review", a, BOSS, "漏检", "加检", action="培训", action_owner="Alice",
       action_due=T0 + timedelta(days=9))  # fmt: skip
    out(outside.action_done, a, BOSS, 1, "完成")
    do("archive", a, BOSS)
    do("reopen", a, BOSS, "再开")
    do("withdraw", b, BOSS, "撤回")
    do("attach", c, BOSS, name="a.pdf", size=3, media_type="application/pdf", sha256="0" * 64)
    do("extend_decision", c, BOSS, "延期")
    do("acknowledge", d, BOSS)
    do("propose", d, "Alice", "refund", amount=Decimal(9000), detail="大额退款")  # above tier 2
    do("approve", d, BOSS)
    app.close()


#: The file store's own fields of a line (its wall-clock append time, the chain): not the
#: library's stored event.
_STORE_FIELDS = re.compile(r'"recorded_at":"[^"]*","commit":(true|false),"hash":"[0-9a-f]*",')


def _stored_events(store: Path) -> list[str]:
    text = (store / "events.jsonl").read_text("utf-8")
    return [_STORE_FIELDS.sub("", line) for line in text.splitlines()]


def _topics(lines: list[str]) -> set[str]:
    return {json.loads(line)["topic"] for line in lines}


def test_the_same_stored_events_as_the_code_before(tmp_path: Path) -> None:
    store = tmp_path / "store"
    store.mkdir()
    shutil.copy(OLD_STORE / "complaintctl.toml", store)
    write_every_event(store)
    old, new = _stored_events(OLD_STORE), _stored_events(store)
    assert len(old) == 61 and len(_topics(old)) == 39
    for n, (was, now) in enumerate(zip(old, new, strict=True), 1):
        assert now == was, f"event {n} differs"


def test_an_old_store_reads_and_takes_new_events(tmp_path: Path) -> None:
    store = tmp_path / "store"
    shutil.copytree(OLD_STORE, store, ignore=shutil.ignore_patterns("README.md"))
    app = _open(store)
    try:
        statuses = {ref: app._case(ref).status for ref in ("C-2026-00001", "C-2026-00002")}
        assert statuses == {"C-2026-00001": "in_progress", "C-2026-00002": "withdrawn"}
        case = app._case("C-2026-00001")
        assert [p["state"] for p in case.proposals] == ["rejected", "accepted"]
        assert case.route_open is False and case.review_actions == (True,)
        assert case.loss == {"amount": Decimal(800), "currency": "CNY"}
        assert app.get_group("同批")["members"] == ["C-2026-00001", "C-2026-00002"]
        assert app.customer_of("C-2026-00001") == app.customer_of("C-2026-00001".lower())
        assert app._case("C-2026-00003").decision_extensions == 1
    finally:
        app.close()
    cli = Store(store)
    cli.ok("note", "C-2026-00004", "今天的代码", actor=BOSS)
    shown = cli.json("show", "C-2026-00004", "--json", actor=BOSS)
    assert shown["status"] == "awaiting_customer"
    assert "今天的代码" in json.dumps(shown, ensure_ascii=False)
    ref = cli.new(actor=BOSS, customer="王先生", contact="13800000000", category="billing")
    assert ref == "C-2026-00005"  # the old counter goes on


#: Runs the CLI as the entry point does, then prints what it loaded and built on stderr.
PROBE = """
import json, sys
from complaintctl.cli import main
try:
    main(sys.argv[1:], prog_name="complaintctl")
except SystemExit as e:
    code = e.code
from events.complaint import Complaint
built = sorted(k for k, v in vars(Complaint).items() if isinstance(v, type))
sys.stderr.write("\\nLOADED " + json.dumps([sorted(sys.modules), built]) + "\\n")
sys.exit(code)
"""


def _probe(store: Path, *args: str) -> Iterator[Any]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("COMPLAINTCTL_")}
    env["COMPLAINTCTL_LANG"] = "en"
    r = subprocess.run(
        [sys.executable, "-c", PROBE, "--store", str(store), "--actor", BOSS, *args],
        capture_output=True, text=True, env=env, check=False,
    )  # fmt: skip
    assert r.returncode == 0, r.stderr
    modules, built = json.loads(r.stderr.rpartition("\nLOADED ")[2])
    yield r.stdout
    yield set(modules)
    yield built


def test_a_note_builds_only_the_events_it_meets(tmp_path: Path) -> None:
    store = tmp_path / "store"
    shutil.copytree(OLD_STORE, store, ignore=shutil.ignore_patterns("README.md"))
    out, modules, built = _probe(store, "note", "C-2026-00003", "客户来电")
    assert "C-2026-00003" in out
    others = {"events.customers", "events.numbering", "events.groups", "events.imports"}
    assert sorted(modules & others) == []
    # The library's base classes, the case's three events, and the note.
    assert built == ["Attached", "Created", "DecisionExtended", "Event", "Noted", "Received"]


#: In a fresh process with the case aggregate alone: every topic resolves through the
#: library, to a class of that topic (another aggregate's module imported on the way).
RESOLVE = """
import sys
from eventsourcing.utils import TopicError, resolve_topic
import events.complaint
assert "events.customers" not in sys.modules and "events.groups" not in sys.modules
from events.topics import CASE_TOPICS, GROUP_TOPICS, HANDOVER_TOPICS
others = {"complaints:CustomerCaseAdded", "complaints:CustomerFileOpened",
          "complaints:NumberAllocated", "complaints:CounterStarted"}
for topic in sorted(CASE_TOPICS | GROUP_TOPICS | HANDOVER_TOPICS | others):
    assert resolve_topic(topic).TOPIC == topic, topic
try:
    resolve_topic("complaints:NoSuchEvent")
except TopicError:
    print("resolved all")
"""


def test_every_topic_resolves_from_the_case_aggregate_alone() -> None:
    r = subprocess.run([sys.executable, "-c", RESOLVE], capture_output=True, text=True, check=False)
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == "resolved all"
