"""``report daily`` on 1,000 and on 200,000 open cases (issue 14, goal 7: within 1.3x).

Two stores made the same way through the CLI: ``init --preset car-service``,
targets long enough that no case falls due this month (``reply.hours`` and
``reply.resolve_hours`` 720), ``import`` of N cases received 2-6 days ago (the
open backlog), then the same five cases received today. The report of today
then names the same few cases on both stores; only the backlog differs in size.

Each round runs ``report daily --json`` once per store and install in a fresh
process, taking turns; medians of wall and CPU time (user + system of the child).
The first run on each store builds its read-model cache and is not timed.

    .venv/bin/python bench/report_flat.py --cmd speed=.venv/bin/complaintctl \\
        --cmd main=/work/main/.venv/bin/complaintctl --small 1000 --large 200000
"""

from __future__ import annotations

import argparse
import csv
import os
import platform
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path

ACTOR = "陈总"


def run(cmd: list[str], env: dict[str, str]) -> tuple[float, float]:
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t = time.perf_counter()
    r = subprocess.run(cmd, capture_output=True, env=env, check=False)
    wall = time.perf_counter() - t
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if r.returncode != 0:
        raise SystemExit(f"{' '.join(cmd[3:])} failed ({r.returncode}): {r.stderr[-2000:]!r}")
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def build(cmd: str, store: Path, cases: int, env: dict[str, str]) -> None:
    base = [cmd, "--store", str(store), "--actor", ACTOR]
    run([*base, "init", "--preset", "car-service"], env)
    for key in ("reply.hours", "reply.major_hours", "reply.resolve_hours"):
        run([*base, "config", "set", key, "720"], env)
    rows = store.parent / f"{store.name}.csv"
    now = datetime.now()
    with rows.open("w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["customer", "contact", "channel", "category", "summary", "received_at"])
        for i in range(cases):
            at = now - timedelta(days=2) - timedelta(seconds=(i * 345_600) // max(1, cases))
            w.writerow([f"客户{i % 5000}", f"138{i:08d}", "phone", "billing", "账单多收费",
                        at.strftime("%Y-%m-%dT%H:%M")])  # fmt: skip
    t = time.perf_counter()
    run([*base, "import", str(rows)], env)
    print(f"{store.name}: {cases} cases imported in {time.perf_counter() - t:.0f} s",
          file=sys.stderr)  # fmt: skip
    for i in range(5):
        run([*base, "new", "--customer", f"今天{i}", "--contact", f"139{i:08d}", "--channel",
             "walk-in", "--category", "misquote", "--summary", "报价不符"], env)  # fmt: skip


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--cmd", action="append", default=[], help="LABEL=PATH of a complaintctl")
    ap.add_argument("--small", type=int, default=1000)
    ap.add_argument("--large", type=int, default=200_000)
    ap.add_argument("--rounds", type=int, default=7)
    ap.add_argument("--dir", type=Path)
    ap.add_argument("--stores", type=Path, help="reuse the stores made by an earlier run here")
    args = ap.parse_args()
    installs = dict(c.split("=", 1) for c in args.cmd) or {
        "this": str(Path(sys.executable).with_name("complaintctl"))
    }
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env["COMPLAINTCTL_LANG"] = "en"
    root = args.stores or Path(tempfile.mkdtemp(prefix="report-flat-", dir=args.dir))
    first = next(iter(installs.values()))
    stores = {n: root / f"open{n}" for n in (args.small, args.large)}
    for n, store in stores.items():
        if not (store / "events.jsonl").exists():
            build(first, store, n, env)
    argv = {
        (label, n): [cmd, "--store", str(s), "--actor", ACTOR, "report", "daily", "--json"]
        for label, cmd in installs.items()
        for n, s in stores.items()
    }
    for key, line in argv.items():  # builds each install's cache (not timed)
        t = time.perf_counter()
        run(line, env)
        print(f"{key}: first run (cache) {time.perf_counter() - t:.1f} s", file=sys.stderr)
    walls: dict[tuple[str, int], list[float]] = {k: [] for k in argv}
    cpus: dict[tuple[str, int], list[float]] = {k: [] for k in argv}
    keys = list(argv)
    for r in range(args.rounds):
        for key in keys if r % 2 == 0 else reversed(keys):
            wall, cpu = run(argv[key], env)
            walls[key].append(wall)
            cpus[key].append(cpu)
    print(
        f"machine: {platform.machine()}, {os.cpu_count()} cpus, Python"
        f" {platform.python_version()}, load {os.getloadavg()[0]:.1f};"
        f" {args.rounds} rounds; stores in {root}"
    )
    print("| install | open cases | wall ms | cpu ms | large/small wall | large/small cpu |")
    print("|---|---:|---:|---:|---:|---:|")
    for label in installs:
        small = (label, args.small)
        large = (label, args.large)
        for key in (small, large):
            w = statistics.median(walls[key]) * 1000
            c = statistics.median(cpus[key]) * 1000
            ratio_w = statistics.median(walls[large]) / statistics.median(walls[small])
            ratio_c = statistics.median(cpus[large]) / statistics.median(cpus[small])
            tail = f" {ratio_w:.2f}x | {ratio_c:.2f}x |" if key == large else " | |"
            print(f"| {label} | {key[1]:,} | {w:.0f} | {c:.0f} |{tail}")


if __name__ == "__main__":
    main()
