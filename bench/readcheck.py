"""The cost of checking every line read through the file store's index (issue 13).

Each line ``show`` reads through the index is checked against its row: case,
version, position, and since the per-read hash check the line's own hash (one
SHA-256 of the line's bytes per event read). This runs ``show REF --json`` of
one case with ``--notes`` events, once per install, under ``valgrind
--tool=callgrind``, and prints the total instructions (Ir): stable where wall
time on a shared machine is not.

    .venv/bin/python bench/readcheck.py --cmd before=/tmp/before/complaintctl \\
        --cmd after=.venv/bin/complaintctl --notes 200

Each install gets its own store built through its own CLI (the same commands,
so the same cases; its own index format), and one warm-up ``show`` before the
counted one, so the index is current and ``.pyc`` files exist.
"""

from __future__ import annotations

import argparse
import os
import platform
import subprocess
import sys
import tempfile
from datetime import UTC, datetime
from pathlib import Path

ACTOR = "陈总"
DROPPED_ENV = ("PYTHONDONTWRITEBYTECODE", "PYTHONPATH", "PYTHONHOME", "PYTHONMALLOC")


def run(argv: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(argv, env=env, capture_output=True, check=False)


def cli(cmd: str, store: Path, env: dict[str, str], *args: str) -> str:
    r = run([cmd, "--store", str(store), "--actor", ACTOR, *args], env)
    if r.returncode != 0:
        raise SystemExit(f"{cmd} {' '.join(args)}: exit {r.returncode}\n{r.stderr.decode()}")
    return r.stdout.decode().strip()


def build(cmd: str, store: Path, env: dict[str, str], notes: int) -> str:
    cli(cmd, store, env, "init", "--preset", "car-service")
    new = ("new", "--customer", "王先生", "--contact", "13800000000", "--channel", "phone",
           "--category", "misquote", "--summary", "报价错误")  # fmt: skip
    ref = cli(cmd, store, env, *new)
    cli(cmd, store, env, "new", "--customer", "李女士", "--contact", "13900000000",
        "--channel", "phone", "--category", "billing", "--summary", "多收费")  # fmt: skip
    for i in range(notes):
        cli(cmd, store, env, "note", ref, f"第{i}次回访")
    return ref


def instructions(cmd: str, store: Path, ref: str, env: dict[str, str], out: Path) -> int:
    cli(cmd, store, env, "show", ref, "--json")  # warm-up: index current, .pyc written
    argv = ["valgrind", "--tool=callgrind", f"--callgrind-out-file={out}",
            cmd, "--store", str(store), "--actor", ACTOR, "show", ref, "--json"]  # fmt: skip
    r = run(argv, env)
    if r.returncode != 0:
        raise SystemExit(f"callgrind failed: {r.stderr.decode()[-1500:]}")
    for line in out.read_text(errors="replace").splitlines():
        if line.startswith(("summary:", "totals:")):
            return int(line.split()[1])
    raise SystemExit(f"no totals in {out}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--cmd", action="append", required=True, help="NAME=PATH of a complaintctl")
    ap.add_argument("--notes", type=int, default=200, help="notes on the case shown")
    args = ap.parse_args()
    env = {k: v for k, v in os.environ.items() if k not in DROPPED_ENV}
    env["COMPLAINTCTL_LANG"] = "en"
    installs = [c.split("=", 1) for c in args.cmd]
    with tempfile.TemporaryDirectory(prefix="readcheck-") as tmp:
        stores = {}
        for name, cmd in installs:
            store = Path(tmp) / name
            stores[name] = (cmd, store, build(cmd, store, env, args.notes))
        print(f"# {platform.node()} {platform.machine()}, {os.cpu_count()} cores, Python "
              f"{sys.version.split()[0]}, {datetime.now(UTC):%Y-%m-%d %H:%M} UTC")  # fmt: skip
        print(f"# show REF --json, a case of {args.notes + 1} events (+1 other case)")
        first = None
        for name, (cmd, store, ref) in stores.items():
            ir = instructions(cmd, store, ref, env, Path(tmp) / f"{name}.callgrind")
            first = first or ir
            print(f"{name:10} {ir:>15,} Ir  {ir / first:6.3f}x")


if __name__ == "__main__":
    main()
