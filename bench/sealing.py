"""What sealing free text with the customer's key costs (issue 13, ``[privacy] seal_free_text``).

Two file stores, identical but for ``seal_free_text`` (both seal names, contacts
and accounts, as every store ``init`` makes), measured side by side:

    .venv/bin/python bench/sealing.py [--cases 2000] [--ops 200] [--rounds 5]

- ``new``, ``note``: the write model's ``receive`` and ``note`` in process, durable
  (one fsync per command, as the CLI does), ``--ops`` of each per round; ms per op.
  The fsync is most of a command and varies; the next row isolates the sealing.
- mapper: ``to_stored_event`` of a ``Received`` and of a ``Noted`` event (the step
  that seals), µs per event, 2,000 events per round.
- rebuild: ``complaintctl --json rebuild`` in a fresh process on a store of
  ``--cases`` cases of 5 events each (receipt, note, contact, finding, resolution;
  every free-text field names the customer), opening every sealed value; the
  in-process seconds it reports and the process's wall time.

The two stores take turns in every round (A B, then B A); medians of ``--rounds``.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from complaintctl import config as configuration
from complaintctl import presets
from complaintctl.app import open_app
from events.application import ComplaintsApp
from events.intake import ImportRow, NewCase

ACTOR = "陈总"
AGENT = "张伟"
CLI = Path(sys.executable).with_name("complaintctl")


def make_store(path: Path, seal: bool) -> None:
    data = presets.preset("car-service")
    data["staff"][ACTOR] = {"tier": 3, "role": "manager", "department": "management"}
    data["privacy"] = {"encrypt_personal": True, "seal_free_text": seal, "retention_days": 1095}
    path.mkdir(parents=True)
    configuration.write(path / configuration.CONFIG_NAME, data)


def open_store(path: Path, fsync: bool = True) -> ComplaintsApp:
    cfg = configuration.load(path / configuration.CONFIG_NAME)
    settings = dict(cfg.store)
    os.environ["FILESTORE_FSYNC"] = "yes" if fsync else "no"
    return open_app(
        path,
        policy=cfg.policy,
        backend=cfg.backend,
        settings=settings,
        encrypt_personal=True,
        seal_free_text=cfg.seal_free_text,
    )


def customer(i: int) -> tuple[str, str]:
    return f"客户{i}", f"139{i:08d}"


def new_case(i: int) -> NewCase:
    name, phone = customer(i)
    return NewCase(
        customer=name,
        contact=phone,
        channel="walk-in",
        category="misquote",
        summary=f"{name}({phone})说报价比电话里高了三百元,要求按原价维修",
        demand=f"按原报价给{name}维修",
    )


def fill(path: Path, cases: int) -> None:
    """``cases`` cases of 5 events each; fsync off while building (not measured)."""
    app = open_store(path, fsync=False)
    try:
        for start in range(0, cases, 200):
            rows = [
                ImportRow(new_case(i), f"bench-{i}", i)
                for i in range(start, min(cases, start + 200))
            ]
            for row, ref, _ in app.receive_many(rows, ACTOR, "bench"):
                name, phone = row.new.customer, row.new.contact
                app.note(ref, f"{name}来电催促,电话{phone}", AGENT)
                app.contact(ref, AGENT, "reached", "phone", f"和{name}通话,答应明天回复")
                app.investigate(ref, f"{name}的车确实多报了三百元", AGENT)
                app.resolve(ref, AGENT, f"已按原价为{name}维修并致歉")
    finally:
        app.close()


def time_ops(app: ComplaintsApp, ops: int, base: int) -> tuple[float, float]:
    """ms per ``receive`` and per ``note``, durable."""
    refs: list[str] = []
    t0 = time.perf_counter()
    for i in range(ops):
        refs.append(app.receive(new_case(base + i), AGENT))
    t1 = time.perf_counter()
    for i, ref in enumerate(refs):
        app.note(ref, f"{customer(base + i)[0]}又来电了", AGENT)
    t2 = time.perf_counter()
    return (t1 - t0) * 1000 / ops, (t2 - t1) * 1000 / ops


def time_mapper(app: ComplaintsApp, n: int = 2000) -> tuple[float, float]:
    """µs per ``to_stored_event`` of a Received and of a Noted event of a known case."""
    ref = app.receive(new_case(900_000), AGENT)
    case = app._case(ref)  # loaded through the mapper: it learns the case's subject
    first = app.mapper.to_domain_event(app.recorder.select_events(case.id, limit=1)[0])
    case.note("客户又来电了,说明天过来", AGENT)
    noted = case.collect_events()[0]
    t0 = time.perf_counter()
    for _ in range(n):
        app.mapper.to_stored_event(first)
    t1 = time.perf_counter()
    for _ in range(n):
        app.mapper.to_stored_event(noted)
    t2 = time.perf_counter()
    return (t1 - t0) * 1e6 / n, (t2 - t1) * 1e6 / n


def time_rebuild(path: Path) -> tuple[float, float]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("COMPLAINTCTL_")}
    env["COMPLAINTCTL_LANG"] = "en"
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    args = [str(CLI), "--store", str(path), "--actor", ACTOR, "--json", "rebuild"]
    t0 = time.perf_counter()
    r = subprocess.run(args, capture_output=True, text=True, env=env, check=True)
    wall = time.perf_counter() - t0
    return float(json.loads(r.stdout)["seconds"]), wall


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--cases", type=int, default=2000)
    ap.add_argument("--ops", type=int, default=200)
    ap.add_argument("--rounds", type=int, default=5)
    a = ap.parse_args()
    results: dict[str, dict[str, list[float]]] = {"off": {}, "on": {}}
    with tempfile.TemporaryDirectory(prefix="bench-sealing-") as tmp:
        stores = {"off": Path(tmp, "off"), "on": Path(tmp, "on")}
        for label, path in stores.items():
            make_store(path, seal=label == "on")
            t = time.perf_counter()
            fill(path, a.cases)
            print(f"built {label}: {a.cases * 5} events in {time.perf_counter() - t:.1f}s",
                  file=sys.stderr)  # fmt: skip
        apps = {label: open_store(path) for label, path in stores.items()}
        try:
            for r in range(a.rounds):
                order = ["off", "on"] if r % 2 == 0 else ["on", "off"]
                for label in order:
                    res = results[label]
                    base = 1_000_000 + r * a.ops
                    new, note = time_ops(apps[label], a.ops, base)
                    rec, noted = time_mapper(apps[label])
                    for key, value in (
                        ("new ms", new), ("note ms", note),
                        ("mapper Received µs", rec), ("mapper Noted µs", noted),
                    ):  # fmt: skip
                        res.setdefault(key, []).append(value)
                for label in order:
                    inproc, wall = time_rebuild(stores[label])
                    results[label].setdefault("rebuild s (in-process)", []).append(inproc)
                    results[label].setdefault("rebuild s (process wall)", []).append(wall)
        finally:
            for app in apps.values():
                app.close()
    print(f"cases {a.cases} x 5 events, ops {a.ops}, rounds {a.rounds}, medians")
    print("| measurement | seal_free_text off | on | on / off |\n|---|---|---|---|")
    for key in results["off"]:
        off = statistics.median(results["off"][key])
        on = statistics.median(results["on"][key])
        print(f"| {key} | {off:.3f} | {on:.3f} | {on / off:.2f}x |")
    uname = os.uname()
    print(f"\nmachine: {uname.nodename} {uname.machine}, {os.cpu_count()} cpus;"
          f" {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}")  # fmt: skip


if __name__ == "__main__":
    main()
