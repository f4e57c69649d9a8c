"""Per-operation cost of ``complaintctl batch`` (issue 14, goal 2: 10 ms or less per operation).

Builds a store of ``--cases`` cases (``init --preset car-service``, then the cases
received through one ``batch`` of ``new`` lines), then times, per round, one
``batch`` process of ``--ops`` operations of each kind, and ``--singles`` separate
processes of the same note for comparison (the cost a script pays without batch):

- ``notes``: ``note REF TEXT`` on the cases in turn (a durable write each);
- ``mixed``: notes, ``contact``, ``show`` and ``list --limit 5`` in turn.

Wall time and CPU time (user + system of the child) per operation, medians over
``--rounds`` rounds. Each process is fresh, ``PYTHONDONTWRITEBYTECODE`` removed.
On a shared machine the wall time is split: the time the process waited for a
CPU (its run-queue delay, ``/proc/PID/schedstat``), and the rest of what is not
CPU, the time it was blocked (each write's ``fsync``, locks, reads from disk).
CPU + blocked is what the operation costs where it need not wait for a CPU.

    .venv/bin/python bench/batch.py --ops 1000 --rounds 3
"""

from __future__ import annotations

import argparse
import contextlib
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


def run(
    cmd: list[str], env: dict[str, str], stdin: str | None = None
) -> tuple[float, float, str, float]:
    """(wall seconds, CPU seconds of the child, stdout, seconds it waited for a CPU).

    The wait for a CPU is the child's run-queue delay from ``/proc/PID/schedstat``
    (its second field), read every 10 ms while it runs (0 where there is none):
    on a loaded machine the wall time is CPU + that wait + the time it was blocked
    (disk flushes, locks), which is what remains.
    """
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t = time.perf_counter()
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=out, stderr=err, env=env)
        assert proc.stdin is not None
        proc.stdin.write((stdin or "").encode())
        proc.stdin.close()
        waited = 0.0
        stat = Path(f"/proc/{proc.pid}/schedstat")
        while proc.poll() is None:
            with contextlib.suppress(OSError, IndexError, ValueError):
                waited = int(stat.read_text().split()[1]) / 1e9
            time.sleep(0.01)
        wall = time.perf_counter() - t
        out.seek(0)
        err.seek(0)
        stdout, stderr = out.read().decode(), err.read().decode()
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    if proc.returncode != 0:
        raise SystemExit(f"{cmd[-1]} failed ({proc.returncode}): {stderr[-2000:]}")
    return wall, cpu, stdout, waited


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
    wall, cpu, out, _q = run([*base, "batch"], env, news)
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
        k: {"wall": [], "cpu": [], "queue": []} for k in ("notes", "mixed", "single-note")
    }
    for r in range(args.rounds):
        for kind in ("notes", "mixed"):
            wall, cpu, out, queue = run([*base, "batch"], env, lines(kind, r))
            outcomes = [json.loads(x) for x in out.splitlines()]
            assert len(outcomes) == args.ops and all(o["exit"] == 0 for o in outcomes)
            results[kind]["wall"].append(wall / args.ops)
            results[kind]["cpu"].append(cpu / args.ops)
            results[kind]["queue"].append(queue / args.ops)
        walls, cpus, queues = [], [], []
        for i in range(args.singles):
            wall, cpu, _out, queue = run([*base, "note", refs[i % len(refs)], "单独一次"], env)
            walls.append(wall)
            cpus.append(cpu)
            queues.append(queue)
        results["single-note"]["wall"].append(statistics.median(walls))
        results["single-note"]["cpu"].append(statistics.median(cpus))
        results["single-note"]["queue"].append(statistics.median(queues))
        print(f"round {r + 1}/{args.rounds} done", file=sys.stderr)
    print(
        f"machine: {platform.node()} {platform.processor() or platform.machine()},"
        f" {os.cpu_count()} cpus, Python {platform.python_version()},"
        f" load {os.getloadavg()[0]:.1f}; {args.ops} ops per batch, {args.rounds} rounds"
    )
    print("| run | wall ms/op | cpu ms/op | waiting for a CPU | blocked | cpu + blocked |")
    print("|---|---:|---:|---:|---:|---:|")
    for kind, v in results.items():
        label = kind if kind != "single-note" else "one `note` per process"
        wall = statistics.median(v["wall"]) * 1000
        cpu = statistics.median(v["cpu"]) * 1000
        queue = statistics.median(v["queue"]) * 1000
        # Per round, then the median: what is neither CPU nor waiting for one.
        blocked = statistics.median(
            (w - c - q) * 1000 for w, c, q in zip(v["wall"], v["cpu"], v["queue"], strict=True)
        )
        print(f"| {label} | {wall:.1f} | {cpu:.1f} | {queue:.1f} | {blocked:.1f} |"
              f" {cpu + blocked:.1f} |")  # fmt: skip


if __name__ == "__main__":
    main()
