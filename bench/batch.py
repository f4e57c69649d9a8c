"""Per-operation cost of ``complaintctl batch`` (issue 14, goal 2: 10 ms or less per operation).

Builds a store of ``--cases`` cases (``init --preset car-service``, then the cases
received through one ``batch`` of ``new`` lines), then times, per round, one
``batch`` process of ``--ops`` operations of each kind, and ``--singles`` separate
processes of the same note for comparison (the cost a script pays without batch):

- ``notes``: ``note REF TEXT`` on the cases in turn (a durable write each);
- ``mixed``: notes, ``contact``, ``show`` and ``list --limit 5`` in turn.

Wall time and CPU time (user + system of the child) per operation, medians over
``--rounds`` rounds. Each process is fresh, ``PYTHONDONTWRITEBYTECODE`` removed.

    .venv/bin/python bench/batch.py --ops 1000 --rounds 3
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ACTOR = "陈总"


def run(cmd: list[str], env: dict[str, str], stdin: str | None = None) -> tuple[float, float, str]:
    """(wall seconds, CPU seconds of the child, stdout)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t = time.perf_counter()
    r = subprocess.run(cmd, input=stdin, capture_output=True, text=True, env=env, check=False)
    wall = time.perf_counter() - t
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    if r.returncode != 0:
        raise SystemExit(f"{cmd[-1]} failed ({r.returncode}): {r.stderr[-2000:]}")
    return wall, cpu, r.stdout


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--cmd", default=str(Path(sys.executable).with_name("complaintctl")))
    ap.add_argument("--cases", type=int, default=200)
    ap.add_argument("--ops", type=int, default=1000)
    ap.add_argument("--singles", type=int, default=20)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--dir", type=Path)
    args = ap.parse_args()
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env["COMPLAINTCTL_LANG"] = "en"
    root = Path(tempfile.mkdtemp(prefix="bench-batch-", dir=args.dir))
    store = root / "store"
    base = [args.cmd, "--store", str(store), "--actor", ACTOR]
    run([*base, "init", "--preset", "car-service"], env)
    news = "".join(
        f"new --customer 客户{i} --contact 138{i:08d} --channel phone --category billing"
        f" --summary 账单多收费\n"
        for i in range(args.cases)
    )
    wall, cpu, out = run([*base, "batch"], env, news)
    refs = [json.loads(line)["result"]["ref"] for line in out.splitlines()]
    print(f"store: {args.cases} cases received by one batch in {wall:.2f} s", file=sys.stderr)

    def lines(kind: str, r: int) -> str:
        out = []
        for i in range(args.ops):
            ref = refs[i % len(refs)]
            if kind == "notes" or i % 4 == 0:
                out.append(f'note {ref} "第{r}轮 第{i}次 联系客户"')
            elif i % 4 == 1:
                out.append(f"contact {ref} --outcome reached --channel phone")
            elif i % 4 == 2:
                out.append(f"show {ref}")
            else:
                out.append("list --limit 5")
        return "\n".join(out) + "\n"

    results: dict[str, dict[str, list[float]]] = {
        k: {"wall": [], "cpu": []} for k in ("notes", "mixed", "single-note")
    }
    for r in range(args.rounds):
        for kind in ("notes", "mixed"):
            wall, cpu, out = run([*base, "batch"], env, lines(kind, r))
            outcomes = [json.loads(x) for x in out.splitlines()]
            assert len(outcomes) == args.ops and all(o["exit"] == 0 for o in outcomes)
            results[kind]["wall"].append(wall / args.ops)
            results[kind]["cpu"].append(cpu / args.ops)
        walls, cpus = [], []
        for i in range(args.singles):
            wall, cpu, _out = run([*base, "note", refs[i % len(refs)], "单独一次"], env)
            walls.append(wall)
            cpus.append(cpu)
        results["single-note"]["wall"].append(statistics.median(walls))
        results["single-note"]["cpu"].append(statistics.median(cpus))
        print(f"round {r + 1}/{args.rounds} done", file=sys.stderr)
    print(
        f"machine: {platform.node()} {platform.processor() or platform.machine()},"
        f" {os.cpu_count()} cpus, Python {platform.python_version()},"
        f" load {os.getloadavg()[0]:.1f}; {args.ops} ops per batch, {args.rounds} rounds"
    )
    print("| run | wall ms/op | cpu ms/op |")
    print("|---|---:|---:|")
    for kind, v in results.items():
        label = kind if kind != "single-note" else "one `note` per process"
        wall = statistics.median(v["wall"]) * 1000
        cpu = statistics.median(v["cpu"]) * 1000
        print(f"| {label} | {wall:.1f} | {cpu:.1f} |")


if __name__ == "__main__":
    main()
