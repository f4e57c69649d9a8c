"""``report daily`` on 1,000 and on 200,000 open cases (issue 14, goal 7: within 1.3x).

Two stores made the same way through the CLI: ``init --preset car-service``,
targets long enough that no case falls due this month (``reply.hours``,
``reply.major_hours`` and ``reply.resolve_hours`` 720, set as of ten days ago),
``import`` of N cases received 2-6 days ago (the open backlog), then the same
five cases received today. The report of today
then names the same few cases on both stores; only the backlog differs in size.

Each round runs ``report daily --json`` once per store and install in a fresh
process, taking turns; medians of wall and CPU time (user + system of the child).
The first run on each store builds its read-model cache and is not timed.
``--command`` times other commands the same way (``stats``, ``report weekly --week
this``); ``--own-stores`` gives each install after the first a copy of each store
(installs whose cache formats differ would rebuild each other's cache at every
turn; an install whose copy ``open<N>-<label>`` exists uses it even if first). The
reports of the installs are compared (but for their moment, ``as_of``).

    .venv/bin/python bench/report_flat.py --cmd speed=.venv/bin/complaintctl \\
        --cmd main=/work/main/.venv/bin/complaintctl --small 1000 --large 200000 \\
        --own-stores --command "report daily" --command stats
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import resource
import shlex
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from timing import machine

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
    # In force from before the first receipt: a case keeps the targets in force when it
    # was received (the rules' eras), so a change dated now would leave the backlog late.
    since = (datetime.now() - timedelta(days=10)).strftime("%Y-%m-%dT%H:%M")
    for key in ("reply.hours", "reply.major_hours", "reply.resolve_hours"):
        run([*base, "config", "set", key, "720", "--at", since], env)
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


def _settled(doc: Any) -> Any:
    """A report without its moment (``as_of``, ``generated_at``): what installs must agree on."""
    if isinstance(doc, dict):
        return {k: _settled(v) for k, v in doc.items() if k not in ("as_of", "generated_at")}
    if isinstance(doc, list):
        return [_settled(v) for v in doc]
    return doc


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--cmd", action="append", default=[], help="LABEL=PATH of a complaintctl")
    ap.add_argument("--small", type=int, default=1000)
    ap.add_argument("--large", type=int, default=200_000)
    ap.add_argument("--rounds", type=int, default=7)
    ap.add_argument("--dir", type=Path)
    ap.add_argument("--stores", type=Path, help="reuse the stores made by an earlier run here")
    ap.add_argument(
        "--command",
        action="append",
        default=[],
        help='a command to time (default "report daily"; also e.g. "stats", "report weekly'
        ' --week this"), each with --json',
    )
    ap.add_argument(
        "--own-stores",
        action="store_true",
        help="a copy of each store per install (installs whose cache formats differ would"
        " otherwise rebuild each other's cache at every turn)",
    )
    args = ap.parse_args()
    installs = dict(c.split("=", 1) for c in args.cmd) or {
        "this": str(Path(sys.executable).with_name("complaintctl"))
    }
    commands = args.command or ["report daily"]
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env["COMPLAINTCTL_LANG"] = "en"
    root = args.stores or Path(tempfile.mkdtemp(prefix="report-flat-", dir=args.dir))
    first = next(iter(installs.values()))
    sizes = (args.small, args.large)
    stores = {n: root / f"open{n}" for n in sizes}
    for n, store in stores.items():
        if not (store / "events.jsonl").exists():
            build(first, store, n, env)
    own: dict[tuple[str, int], Path] = {}
    for i, label in enumerate(installs):
        for n, store in stores.items():
            copy = store.with_name(f"{store.name}-{label}")
            if args.own_stores and i > 0 and not copy.exists():
                shutil.copytree(store, copy, ignore=shutil.ignore_patterns("cache"))
            own[label, n] = copy if args.own_stores and (i > 0 or copy.exists()) else store
    argv = {
        (command, label, n): [
            cmd, "--store", str(own[label, n]), "--actor", ACTOR, *shlex.split(command), "--json"
        ]
        for command in commands
        for label, cmd in installs.items()
        for n in sizes
    }  # fmt: skip
    outputs: dict[tuple[str, str, int], Any] = {}
    for key, line in argv.items():  # builds each install's cache (not timed)
        t = time.perf_counter()
        run(line, env)
        print(f"{key}: first run (cache) {time.perf_counter() - t:.1f} s", file=sys.stderr)
        out = subprocess.run(line, capture_output=True, env=env, check=True).stdout
        outputs[key] = _settled(json.loads(out))
    walls: dict[tuple[str, str, int], list[float]] = {k: [] for k in argv}
    cpus: dict[tuple[str, str, int], list[float]] = {k: [] for k in argv}
    keys = list(argv)
    for r in range(args.rounds):
        for key in keys if r % 2 == 0 else reversed(keys):
            wall, cpu = run(argv[key], env)
            walls[key].append(wall)
            cpus[key].append(cpu)
    m = machine()
    print(
        f"{m['date']}; {m['cpu']}, nproc {m['nproc']}, Python {m['python']};"
        f" load {m['load_before'][0]} before, {os.getloadavg()[0]:.1f} after;"
        f" {args.rounds} rounds; stores in {root}"
    )
    print(
        "| command | install | open cases | wall ms | cpu ms | large/small wall | large/small cpu |"
    )
    print("|---|---|---:|---:|---:|---:|---:|")
    for command in commands:
        for label in installs:
            small = (command, label, args.small)
            large = (command, label, args.large)
            for key in (small, large):
                w = statistics.median(walls[key]) * 1000
                c = statistics.median(cpus[key]) * 1000
                ratio_w = statistics.median(walls[large]) / statistics.median(walls[small])
                ratio_c = statistics.median(cpus[large]) / statistics.median(cpus[small])
                tail = f" {ratio_w:.2f}x | {ratio_c:.2f}x |" if key == large else " | |"
                print(f"| `{command}` | {label} | {key[2]:,} | {w:.0f} | {c:.0f} |{tail}")
    base = next(iter(installs))
    for (command, label, n), doc in outputs.items():
        if label != base:
            same = doc == outputs[command, base, n]
            print(f"{command} on {n:,}: {label} {'==' if same else '!='} {base} (but as_of)")


if __name__ == "__main__":
    main()
