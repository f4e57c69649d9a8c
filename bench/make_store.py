"""Build a realistic store of N events (default 1,000,000) quickly, for the benchmarks.

Why not simply run N commands: one durable command costs ~250 ms, so a
million events would take days. Instead the real write model (``ComplaintsApp``
on the in-memory POPO store) plays a few hundred template histories (receipt,
acknowledgement, transfers, contacts, remedies, escalations, follow-ups,
reopenings, reviews, archiving, withdrawals, groups), and this script
replicates them with fresh references, case ids, customers and times spread
over the past year, keeping every payload exactly as the aggregate wrote it.
The events are appended through the store's own recorder in batches (one
fsync per batch), so the log, its hash chain and its index are the real thing.

    .venv/bin/python bench/make_store.py /tmp/big --events 1000000 [--sqlite FILE]

``--sqlite FILE`` also writes the same events to the library's SQLite store
(``eventsourcing.sqlite``), for the "read through the mapper" comparison.
"""

from __future__ import annotations

import argparse
import heapq
import random
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any
from uuid import UUID

import orjson
from eventsourcing.persistence import ApplicationRecorder, StoredEvent

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from complaintctl import config as configuration
from complaintctl import presets
from complaintctl.app import open_app, persistence_env
from events.application import ComplaintsApp, NewCase
from events.complaint import case_id
from events.customers import customer_file_id
from events.numbering import counter_id, format_ref

STAFF = ["张伟", "李娜", "王强", "陈总", "刘洋", "赵敏", "孙丽", "周杰"]
CUSTOMERS = ["王先生", "李女士", "张先生", "刘女士", "陈先生", "杨女士", "黄先生", "Smith"]
CHANNELS = ["walk-in", "phone", "email", "web", "letter", "follow-up-call"]
CATEGORIES = ["repair-quality", "misquote", "parts", "warranty", "service-attitude", "billing"]
DEPARTMENTS = ["service", "parts", "workshop", "warranty", "sales"]
ROOT_CAUSES = ["报价流程无复核", "配件缺货", "沟通不及时", "技师操作失误", "系统故障"]


def _config() -> dict[str, Any]:
    data = presets.preset("car-service")
    data["shop"]["preset"] = "car-service"
    for name in STAFF:
        data["staff"].setdefault(name, {"tier": 1, "role": "agent", "department": "service"})
    data["staff"]["陈总"] = {"tier": 3, "role": "manager", "department": "management"}
    return data


def _play(app: ComplaintsApp, rng: random.Random, n: int) -> None:
    """One template history: a complaint taken as far as the dice say."""
    actor = rng.choice(STAFF[:3])
    ref = app.receive(
        NewCase(
            customer=rng.choice(CUSTOMERS),
            contact=f"1380000{n:04d}",
            channel=rng.choice(CHANNELS),
            category=rng.choice(CATEGORIES),
            summary=rng.choice(["报价200元,实际1000多元", "赠品没有了,接待员争吵", "保险退保差价"]),
            demand=rng.choice([None, "退还差价", "赔偿损失"]),
            demand_amount=rng.choice([None, Decimal("800"), Decimal("2459.79")]),
            owner=actor,
        ),
        actor,
    )
    stage = rng.random()
    if stage < 0.05:
        return
    app.acknowledge(ref, actor, message="已致歉")
    for _ in range(rng.randint(0, 2)):
        app.note(ref, "客户来电询问进度", actor)
    if stage < 0.12:
        return
    if rng.random() < 0.3:
        app.transfer(ref, rng.choice(DEPARTMENTS), actor, reason="需要部门核实")
    app.investigate(ref, "核实报价单与系统价格", actor)
    app.contact(ref, actor, rng.choice(["reached", "reached", "no-answer"]), channel="phone")
    if rng.random() < 0.2:
        app.escalate(ref, "王强", 2, "客户多次来电")
    valid = rng.random() < 0.7
    app.assess(
        ref,
        actor,
        valid,
        rng.choice(ROOT_CAUSES),
        [rng.choice(STAFF[:3])] if valid else [],
    )
    if stage < 0.2:
        return
    if rng.random() < 0.05:
        app.withdraw(ref, actor, "客户撤回")
        return
    app.propose(ref, "陈总", rng.choice(["refund", "repair", "gift"]), Decimal("300"), "CNY")
    if stage < 0.27:
        return  # awaiting the customer
    if rng.random() < 0.2:
        app.reject(ref, actor, "金额太低")
        # No compensation on a case assessed not valid (rule compensation-on-invalid-case).
        kind = "compensation" if valid else "fee-waiver"
        app.propose(ref, "陈总", kind, Decimal("800"), "CNY")
    app.accept(ref, actor)
    app.resolve(ref, actor, "已按协议退款")
    if stage < 0.35:
        return
    leftover = "仍有异响" if rng.random() < 0.08 else None
    app.follow_up(
        ref, STAFF[rng.randint(0, 2)], "reached", satisfaction=rng.randint(2, 5), leftover=leftover
    )
    if leftover:
        app.resolve(ref, actor, "二次维修完成")
    app.close_case(ref, actor)
    if rng.random() < 0.4:
        app.review(ref, "陈总", rng.choice(ROOT_CAUSES), "报价前查系统", "双人复核", "王强")
    if stage > 0.6:
        app.archive(ref, actor)


Templates = list[list[tuple[str, int, str, dict[str, Any]]]]
#: One payload of each bookkeeping event (numbering, customer files), as the write
#: model wrote it: replicas copy it and change only the values that differ, so the
#: payloads keep whatever fields the aggregates have.
SAMPLES: dict[str, dict[str, Any]] = {}
_BOOKKEEPING = (
    "complaints:CounterStarted",
    "complaints:NumberAllocated",
    "complaints:CustomerFileOpened",
    "complaints:CustomerCaseAdded",
)


def _like(topic: str, **values: Any) -> dict[str, Any]:
    state = dict(SAMPLES[topic])
    state.update(values)
    return state


def make_templates(count: int, seed: int) -> Templates:
    """Play ``count`` histories and return each case's events: (topic, version, id, state)."""
    cfg = configuration.parse(_config())
    app = ComplaintsApp({"PERSISTENCE_MODULE": "eventsourcing.popo"}, policy=cfg.policy)
    rng = random.Random(seed)
    for n in range(count):
        _play(app, rng, n)
    histories: dict[str, list[tuple[str, int, str, dict[str, Any]]]] = {}
    start: int | None = None
    while True:
        page = app.recorder.select_notifications(start, 5000, inclusive_of_start=start is None)
        if not page:
            break
        for note in page:
            state = orjson.loads(note.state)
            if note.topic in _BOOKKEEPING:
                SAMPLES.setdefault(note.topic, state)  # regenerated per replica
                continue
            histories.setdefault(str(note.originator_id), []).append(
                (note.topic, note.originator_version, str(note.originator_id), state)
            )
        start = page[-1].id
    app.close()
    return list(histories.values())


def _dt(value: datetime) -> dict[str, str]:
    return {"_type_": "datetime_iso", "_data_": value.isoformat()}


def replicate(
    templates: Templates,
    total: int,
    seed: int,
    now: datetime,
) -> Iterator[list[StoredEvent]]:
    """Yield batches of stored events in time order, many cases interleaved as in a real shop.

    Each new case brings its counter and customer-file events and its
    ``Received``; its later events wait in a heap until their time comes, so
    the log interleaves the events of the cases open at the same time.
    """
    rng = random.Random(seed)
    produced = 0
    counters: dict[int, int] = {}
    customer_versions: dict[str, int] = {}
    span = 365 * 24 * 3600
    per_case = sum(len(t) for t in templates) / len(templates) + 3
    cases = int(total / per_case) + 1
    step = span / cases
    t = now - timedelta(seconds=span)
    waiting: list[tuple[datetime, int, StoredEvent]] = []
    seq = 0
    while produced < total:
        t = t + timedelta(seconds=rng.uniform(0.2, 1.8) * step)
        if t > now:
            break
        due: list[StoredEvent] = []
        while waiting and waiting[0][0] <= t:
            due.append(heapq.heappop(waiting)[2])
        age_days = (now - t).total_seconds() / 86400
        history = rng.choice(templates)
        if age_days > 30:  # old cases are mostly finished: prefer long histories
            for _ in range(3):
                if len(history) >= 8:
                    break
                history = rng.choice(templates)
        year = t.year
        number = counters.get(year, 0) + 1
        counters[year] = number
        ref = format_ref(year, number)
        cid = str(case_id(ref))
        batch = due
        counter = str(counter_id(year))
        if number == 1:
            batch.append(
                _stored(
                    counter,
                    1,
                    "complaints:CounterStarted",
                    _like("complaints:CounterStarted", timestamp=_dt(t), year=year),
                )
            )
        batch.append(
            _stored(
                counter,
                number + 1,
                "complaints:NumberAllocated",
                _like("complaints:NumberAllocated", timestamp=_dt(t), number=number, ref=ref),
            )
        )
        # About one case in five comes from a returning customer.
        key = f"1390{rng.randint(0, max(1, cases // 5)):07d}"
        cf = str(customer_file_id(key))
        version = customer_versions.get(cf, 0)
        customer = rng.choice(CUSTOMERS)
        if version == 0:
            version = 1
            batch.append(
                _stored(
                    cf,
                    1,
                    "complaints:CustomerFileOpened",
                    _like(
                        "complaints:CustomerFileOpened",
                        timestamp=_dt(t),
                        key=key,
                        customer=customer,
                    ),
                )
            )
        version += 1
        customer_versions[cf] = version
        batch.append(
            _stored(
                cf,
                version,
                "complaints:CustomerCaseAdded",
                _like(
                    "complaints:CustomerCaseAdded", timestamp=_dt(t), ref=ref, received_at=_dt(t)
                ),
            )
        )
        when = t
        for topic, ver, _oid, state in history:
            if when > now:
                break  # the rest of this history has not happened yet
            s = dict(state)
            s["timestamp"] = _dt(when)
            if topic == "complaints:Received":
                s["ref"] = ref
                s["received_at"] = _dt(t)
                s["contact"] = key
            elif topic == "complaints:Acknowledged":
                s["reply_by"] = _dt(when + timedelta(hours=24))
            elif topic == "complaints:Linked":
                s["refs"] = []
            ev = _stored(cid, ver, topic, s)
            if when == t:
                batch.append(ev)
            else:
                seq += 1
                heapq.heappush(waiting, (when, seq, ev))
            produced += 1
            when = when + timedelta(hours=rng.uniform(0.5, 30))
        produced += len(batch) - len(due) - 1  # the Received was counted above
        yield batch
    rest = [e for w, _s, e in sorted(waiting) if w <= now]
    if rest:
        yield rest


def _stored(oid: str, version: int, topic: str, state: dict[str, Any]) -> StoredEvent:
    return StoredEvent(UUID(oid), version, topic, orjson.dumps(state))


def write(
    recorders: list[ApplicationRecorder], batches: Iterator[list[StoredEvent]], chunk: int
) -> int:
    """Append batches, many cases per insert (one fsync per insert)."""
    buf: list[StoredEvent] = []
    total = 0
    for batch in batches:
        buf.extend(batch)
        if len(buf) >= chunk:
            for r in recorders:
                r.insert_events(buf)
            total += len(buf)
            buf = []
    if buf:
        for r in recorders:
            r.insert_events(buf)
        total += len(buf)
    return total


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("store", type=Path, help="the store directory to create")
    ap.add_argument("--events", type=int, default=1_000_000)
    ap.add_argument("--templates", type=int, default=300)
    ap.add_argument("--seed", type=int, default=42)
    ap.add_argument("--chunk", type=int, default=20_000, help="events per durable append")
    ap.add_argument("--sqlite", type=Path, help="also write the events to this SQLite file")
    args = ap.parse_args(argv)
    if (args.store / "events.jsonl").exists():
        ap.error(f"{args.store} already holds a store")
    started = time.perf_counter()
    templates = make_templates(args.templates, args.seed)
    args.store.mkdir(parents=True, exist_ok=True)
    configuration.write(args.store / configuration.CONFIG_NAME, _config())
    cfg = configuration.load(args.store / configuration.CONFIG_NAME)
    app = open_app(args.store, policy=cfg.policy)
    recorders: list[ApplicationRecorder] = [app.recorder]
    sql_app = None
    if args.sqlite:
        env = persistence_env(args.store, "sqlite", {"sqlite_dbname": str(args.sqlite)})
        sql_app = ComplaintsApp(env, policy=cfg.policy)
        recorders.append(sql_app.recorder)
    now = datetime.now(UTC).replace(microsecond=0)
    total = write(recorders, replicate(templates, args.events, args.seed, now), args.chunk)
    app.close()
    if sql_app is not None:
        sql_app.close()
    took = time.perf_counter() - started
    print(f"{total} events in {args.store} ({took:.1f} s)", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
