"""Shell completion's latency against ``show --json`` on one store (issue 11).

Fresh processes of the install's ``complaintctl`` (next to this Python), asked the
way bash asks click (``_COMPLAINTCTL_COMPLETE=bash_complete``), taking turns with
``show --json`` and ``python -c pass`` each round; one warm-up round; medians of
wall and CPU time (children's rusage).

    .venv/bin/python bench/completion.py STORE ROUNDS
"""

import os
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

PROG = str(Path(sys.executable).with_name("complaintctl"))
base = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
base.update(COMPLAINTCTL_STORE=sys.argv[1], COMPLAINTCTL_ACTOR="陈总", COMPLAINTCTL_LANG="en")


def comp(line: str) -> tuple[list[str], dict[str, str]]:
    words = str(len(line.split(" ")) - 1)
    env = dict(base, _COMPLAINTCTL_COMPLETE="bash_complete", COMP_WORDS=line, COMP_CWORD=words)
    return [PROG], env


runs = {
    "python -c pass": ([sys.executable, "-c", "pass"], base),
    "show C-2026-00042 --json": ([PROG, "show", "C-2026-00042", "--json"], base),
    "complete 'show '": comp("complaintctl show "),
    "complete 'show C-2026-01'": comp("complaintctl show C-2026-01"),
    "complete 'assign C-2026-00042 '": comp("complaintctl assign C-2026-00042 "),
    "complete 'new --channel '": comp("complaintctl new --channel "),
    "complete 'sh' (command names)": comp("complaintctl sh"),
}
times: dict[str, list[float]] = {k: [] for k in runs}
cpu: dict[str, list[float]] = {k: [] for k in runs}
for rnd in range(int(sys.argv[2]) + 1):
    for k, (cmd, env) in runs.items():
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        t = time.perf_counter()
        subprocess.run(cmd, env=env, stdout=subprocess.DEVNULL, check=True)
        dt = time.perf_counter() - t
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        if rnd:
            times[k].append(dt * 1000)
            used = after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime
            cpu[k].append(used * 1000)
print(f"{'command':36} {'wall ms':>8} {'cpu ms':>7}")
for k in runs:
    print(f"{k:36} {statistics.median(times[k]):8.0f} {statistics.median(cpu[k]):7.0f}")
