"""Cold start of complaintctl commands in fresh processes, against ``python -c pass``.

Issue 14, goal 1: in a fresh process, ``show --json``, ``list --limit 20 --json``,
``customer --json`` and ``overdue --json`` within 3x ``python -c pass``, the same
as tables within 4x, writing commands (``note``, ``ack``, ``new``) within 5x, ``--help``
within 3x. This script measures that for one or more installs side by side, so a
refactor's before and after are compared in one run, under the same load:

    .venv/bin/python bench/coldstart.py --cmd /work/main/.venv/bin/complaintctl
    .venv/bin/python bench/coldstart.py --cmd before=/work/main/.venv/bin/complaintctl \\
        --cmd after=.venv/bin/complaintctl --callgrind show-json

How it measures, and why:

- Each install gets its own store in a temp dir, built through its own CLI
  (``init --preset car-service``, ``import`` of one generated CSV with fixed
  ``received_at`` times, then ``ack``/``contact``/``investigate``/``note`` on a
  few cases): the same input for every install, so the stores hold the same
  cases, while each install's read-model cache is in its own format.
- Every run is a fresh process of the install's own ``complaintctl`` script,
  as a user or a cron job starts it, with ``PYTHONDONTWRITEBYTECODE`` (and the
  other variables that change how Python starts) removed from the environment;
  one warm-up run of every command first, so ``.pyc`` files and caches exist.
- The installs take turns on every command of every round (A B, then B A in
  the next round, and so on), and the floor ``python -c pass`` runs once per
  round, so that every install meets the same conditions on a shared machine;
  medians of ``--rounds`` rounds. Reads are measured first (on an unchanging
  store), then the writes (each round adds one note and one case per store).
- ``--callgrind KEY`` (repeatable) runs that command once per install under
  ``valgrind --tool=callgrind`` and prints its total instruction count (Ir),
  which is stable where wall time is noisy.

The default (300 cases, 11 rounds) takes about 1-2 minutes per install on a
quiet 2-core VM (up to 3x that when other jobs share it), and each
``--callgrind`` command adds 15-30 s per install; ``--cases`` and ``--rounds``
change it. Only the standard library is
used, so any Python 3.11+ runs it.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from timing import machine

ACTOR = "陈总"  # the manager of the car-service preset
#: Variables that change how a Python process starts or how complaintctl reads its
#: options: removed, so every install starts as a user's shell would start it.
DROPPED_ENV = (
    "PYTHONDONTWRITEBYTECODE",
    "PYTHONPROFILEIMPORTTIME",
    "PYTHONDEVMODE",
    "PYTHONTRACEMALLOC",
    "PYTHONMALLOC",
    "PYTHONPATH",
    "PYTHONHOME",
)
NAMES = ["王先生", "李女士", "张先生", "刘女士", "陈先生", "杨女士", "黄先生", "Smith"]
CHANNELS = ["walk-in", "phone", "email", "web", "letter"]
CATEGORIES = ["repair-quality", "misquote", "parts", "warranty", "service-attitude", "billing"]
SUMMARIES = ["报价200元,实际1000多元", "赠品没有了,接待员争吵", "保险退保差价", "异响未修好"]
#: The first receipt of the generated store: fixed, so every run builds the same store
#: (moved back only on a machine whose clock is earlier than this plus the span).
BASE = datetime(2026, 6, 1, 9, 0)
SPACING = timedelta(hours=5)


@dataclass(frozen=True)
class Command:
    """One measured command: its key, its arguments (``{ref}``, ``{query}``, ``{n}``
    filled in per store and run) and its goal as a multiple of the floor."""

    key: str
    args: tuple[str, ...]
    goal: float | None
    write: bool = False

    def title(self) -> str:
        """The row's name: the arguments after ``complaintctl``, placeholders in capitals."""
        if self.key == "pass":
            return "python -c pass"
        if self.key == "new":
            return "new --customer ... --received-at T"
        names = {"{ref}": "REF", "{query}": "QUERY", "{fresh}": "REF"}
        return " ".join(names.get(a, a if a.isascii() else "TEXT") for a in self.args)


COMMANDS: tuple[Command, ...] = (
    Command("pass", (), None),
    Command("help", ("--help",), 3.0),
    Command("show-json", ("show", "{ref}", "--json"), 3.0),
    Command("show", ("show", "{ref}"), 4.0),
    Command("list-json", ("list", "--limit", "20", "--json"), 3.0),
    Command("list", ("list", "--limit", "20"), 4.0),
    Command("customer-json", ("customer", "{query}", "--json"), 3.0),
    Command("customer", ("customer", "{query}"), 4.0),
    Command("overdue-json", ("overdue", "--json"), 3.0),
    Command("overdue", ("overdue",), 4.0),
    Command("note", ("note", "{ref}", "客户来电询问进度"), 5.0, write=True),
    Command("ack", ("ack", "{fresh}"), 5.0, write=True),
    Command(
        "new",
        (
            "new",
            "--customer",
            "赵女士",
            "--contact",
            "150{n:08d}",
            "--channel",
            "phone",
            "--category",
            "billing",
            "--summary",
            "账单多收费",
            "--received-at",
            "{received_at}",
        ),
        5.0,
        write=True,
    ),
)
KEYS = [c.key for c in COMMANDS]


@dataclass
class Install:
    """One complaintctl install under test, with the store built for it."""

    label: str
    script: Path
    store: Path = Path()
    ref: str = ""
    query: str = ""
    #: Cases not yet acknowledged, oldest first: ``ack`` takes the next one each run.
    fresh: list[str] = field(default_factory=list)
    writes: int = 0
    samples: dict[str, list[float]] = field(default_factory=dict)
    rss: dict[str, list[int]] = field(default_factory=dict)
    cpu: dict[str, list[float]] = field(default_factory=dict)
    callgrind: dict[str, int] = field(default_factory=dict)

    def argv(self, cmd: Command, received_at: str) -> list[str]:
        """The full command line of ``cmd`` for this install's store."""
        values = {
            "ref": self.ref,
            "query": self.query,
            "n": self.writes,
            "fresh": self.fresh[self.writes % len(self.fresh)] if self.fresh else "",
            "received_at": received_at,
        }
        args = [a.format(**values) for a in cmd.args]
        if cmd.key == "help":
            return [str(self.script), *args]
        return [str(self.script), "--store", str(self.store), "--actor", ACTOR, *args]


def parse_installs(values: Sequence[str]) -> list[Install]:
    """``--cmd PATH`` or ``--cmd LABEL=PATH``; unnamed installs are A, B, C..."""
    installs: list[Install] = []
    for i, value in enumerate(values):
        label, sep, path = value.partition("=")
        if not sep or "/" in label:
            label, path = chr(ord("A") + i), value
        script = Path(path).expanduser()
        if not (script.is_file() and os.access(script, os.X_OK)):
            raise SystemExit(f"--cmd {value}: {script} is not an executable file")
        if any(inst.label == label for inst in installs):
            raise SystemExit(f"--cmd {value}: label {label!r} given twice")
        installs.append(Install(label, script.absolute()))
    return installs


def clean_env() -> dict[str, str]:
    """The environment of every measured process (see :data:`DROPPED_ENV`)."""
    return {
        k: v
        for k, v in os.environ.items()
        if k not in DROPPED_ENV and not k.startswith("COMPLAINTCTL_")
    }


def interpreter(script: Path) -> list[str]:
    """The command that runs a console script explicitly (its ``#!`` line), for valgrind."""
    with open(script, "rb") as f:
        first = f.readline()
    if first.startswith(b"#!"):
        return [*first[2:].decode().split(), str(script)]
    return [str(script)]


@dataclass(frozen=True)
class Run:
    """One finished process: wall and CPU (user + system) seconds, peak RSS, output."""

    seconds: float
    cpu_seconds: float
    maxrss_kb: int
    code: int
    stdout: bytes
    stderr: bytes


def run(
    argv: Sequence[str],
    env: dict[str, str],
    cwd: Path,
    *,
    capture: bool = False,
) -> Run:
    """One fresh process: wall time from start to reaping, its CPU time and peak RSS (wait4).

    The CPU time is less disturbed than the wall time by other jobs on a busy
    machine (a process waiting for a core costs wall time, not CPU time).

    Output goes to files, not pipes, so that the parent never runs while the
    child is timed and a chatty child can never block on a full pipe.
    """
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        started = time.perf_counter()
        proc = subprocess.Popen(
            list(argv),
            stdin=subprocess.DEVNULL,
            stdout=out if capture else subprocess.DEVNULL,
            stderr=err,
            env=env,
            cwd=cwd,
        )
        _pid, status, usage = os.wait4(proc.pid, 0)
        took = time.perf_counter() - started
        proc.returncode = code = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        cpu = usage.ru_utime + usage.ru_stime
        return Run(took, cpu, usage.ru_maxrss, code, out.read(), err.read())


def checked(argv: Sequence[str], env: dict[str, str], cwd: Path, **kw: Any) -> Run:
    """:func:`run`, stopping the benchmark with the command's own message if it fails."""
    result = run(argv, env, cwd, **kw)
    if result.code != 0:
        tail = result.stderr.decode(errors="replace")[-1500:]
        raise SystemExit(f"failed (exit {result.code}): {' '.join(argv)}\n{tail}")
    return result


def base_time(cases: int) -> datetime:
    """The first receipt: :data:`BASE`, unless the clock says the span is not over yet."""
    latest = datetime.now() - timedelta(days=7)
    span = SPACING * (cases + 1)
    if BASE + span <= latest:
        return BASE
    return (latest - span).replace(minute=0, second=0, microsecond=0)


def write_csv(path: Path, cases: int, base: datetime) -> None:
    """The import file: ``cases`` rows, about three per customer, fixed times."""
    customers = max(1, cases // 3)
    with open(path, "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(
            ["customer", "contact", "channel", "category", "summary", "demand", "received_at"]
        )
        for i in range(cases):
            c = (i * 7) % customers  # a customer's cases are spread over the period
            w.writerow(
                [
                    NAMES[c % len(NAMES)],
                    f"138{c:08d}",
                    CHANNELS[i % len(CHANNELS)],
                    CATEGORIES[i % len(CATEGORIES)],
                    SUMMARIES[i % len(SUMMARIES)],
                    "退还差价" if i % 3 == 0 else "",
                    (base + SPACING * i).strftime("%Y-%m-%dT%H:%M"),
                ]
            )


def build_store(inst: Install, root: Path, csv_path: Path, cases: int, env: dict[str, str]) -> None:
    """Make ``inst``'s store through its own CLI, and pick the case and customer to read."""
    inst.store = root / f"store-{inst.label}"
    base = [str(inst.script), "--store", str(inst.store), "--actor", ACTOR]
    checked([*base, "init", "--preset", "car-service"], env, root)
    imported = checked([*base, "--json", "import", str(csv_path)], env, root, capture=True)
    refs = [c["ref"] for c in json.loads(imported.stdout)["cases"]]
    if len(refs) != cases:
        raise SystemExit(f"{inst.label}: import made {len(refs)} cases, not {cases}")
    middle = len(refs) // 2
    inst.ref = refs[middle]
    inst.fresh = refs[: middle - 1]
    inst.query = f"138{(middle * 7) % max(1, cases // 3):08d}"
    checked([*base, "ack", inst.ref], env, root)
    checked([*base, "contact", inst.ref, "--outcome", "reached", "--channel", "phone"], env, root)
    checked([*base, "investigate", inst.ref, "核实报价单与系统价格"], env, root)
    checked([*base, "note", inst.ref, "已转财务核实"], env, root)
    for ref in refs[-40::4]:  # a few recent cases acknowledged, the rest stay overdue
        checked([*base, "ack", ref], env, root)


def source_of(inst: Install, env: dict[str, str], cwd: Path) -> dict[str, str]:
    """Where an install's code lives, its Python and (if in git) its commit, for the header."""
    info = {"script": str(inst.script)}
    probe = (
        "import sys, complaintctl, platform;"
        "print(platform.python_version()); print(complaintctl.__file__)"
    )
    try:
        out = run([*interpreter(inst.script)[:-1], "-c", probe], env, cwd, capture=True)
        lines = out.stdout.decode().split()
        info["python"], pkg = lines[0], lines[1]
        top = Path(pkg).parent.parent
        info["source"] = str(top)
        head = subprocess.run(
            ["git", "-C", str(top), "log", "-1", "--format=%h"],
            capture_output=True,
            text=True,
            check=False,
        ).stdout.strip()
        if head:
            dirty = subprocess.run(
                ["git", "-C", str(top), "status", "--porcelain", "--untracked-files=no"],
                capture_output=True,
                text=True,
                check=False,
            ).stdout.strip()
            info["commit"] = head + (" +uncommitted" if dirty else "")
    except (OSError, IndexError, ValueError):
        pass
    return info


def measure(
    installs: list[Install],
    commands: list[Command],
    python: str,
    rounds: int,
    received_at: str,
    env: dict[str, str],
    cwd: Path,
    floor: list[Run],
    progress: bool,
) -> None:
    """Warm up, then ``rounds`` rounds of every command, installs taking turns."""

    def once(inst: Install, cmd: Command) -> Run:
        result = checked(inst.argv(cmd, received_at), env, cwd)
        if cmd.write:
            inst.writes += 1
        return result

    for inst in installs:
        for cmd in commands:
            once(inst, cmd)  # the warm-up: .pyc files, caches, the store's indexes
    run([python, "-c", "pass"], env, cwd)
    for r in range(rounds):
        if progress:
            print(f"  round {r + 1}/{rounds}", file=sys.stderr)
        floor.append(run([python, "-c", "pass"], env, cwd))
        order = installs[r % len(installs) :] + installs[: r % len(installs)]
        for cmd in commands:
            for inst in order:
                result = once(inst, cmd)
                inst.samples.setdefault(cmd.key, []).append(result.seconds)
                inst.rss.setdefault(cmd.key, []).append(result.maxrss_kb)
                inst.cpu.setdefault(cmd.key, []).append(result.cpu_seconds)


def callgrind_ir(argv: list[str], env: dict[str, str], cwd: Path, out: Path) -> int:
    """Total instructions (Ir) of one run under callgrind (children not traced)."""
    result = run(["valgrind", "--tool=callgrind", f"--callgrind-out-file={out}", *argv], env, cwd)
    if result.code != 0:
        tail = result.stderr.decode(errors="replace")[-1500:]
        raise SystemExit(f"callgrind failed (exit {result.code}): {' '.join(argv)}\n{tail}")
    for line in out.read_text(errors="replace").splitlines():
        if line.startswith(("summary:", "totals:")):
            return int(line.split()[1])
    raise SystemExit(f"no totals in {out}")


def fmt_table(header: list[str], rows: list[list[str]]) -> str:
    """A plain aligned table: text left, figures right."""
    widths = [max(len(str(x)) for x in col) for col in zip(header, *rows, strict=True)]

    def line(cells: list[str]) -> str:
        out = []
        for i, (cell, w) in enumerate(zip(cells, widths, strict=True)):
            out.append(cell.ljust(w) if i == 0 else cell.rjust(w))
        return "  ".join(out).rstrip()

    return "\n".join([line(header), "  ".join("-" * w for w in widths), *(line(r) for r in rows)])


def ratio(a: float | None, b: float | None) -> str:
    return f"{a / b:.2f}x" if a is not None and b else "-"


def report(
    installs: list[Install],
    commands: list[Command],
    floor_runs: list[Run],
    cg_floor: int | None,
) -> str:
    """The timing table (and the callgrind table when counts were taken).

    Per install: median wall ms, its ratio to the floor's (the goals' measure),
    median CPU ms and its ratio to the floor's, median peak RSS; with two
    installs, B/A of wall and of CPU.
    """
    floor = statistics.median(r.seconds for r in floor_runs)
    floor_cpu = statistics.median(r.cpu_seconds for r in floor_runs)
    floor_mb = statistics.median(r.maxrss_kb for r in floor_runs) / 1024
    two = len(installs) == 2
    header = ["command", "goal"]
    for inst in installs:
        header += [f"{inst.label} ms", f"{inst.label} x floor", f"{inst.label} cpu ms"]
        header += [f"{inst.label} cpu x", f"{inst.label} MB"]
    if two:
        ba = f"{installs[1].label}/{installs[0].label}"
        header += [ba, f"{ba} cpu"]
    rows = [
        ["python -c pass", "floor"]
        + [f"{floor * 1000:.1f}", "1.00x", f"{floor_cpu * 1000:.1f}", "1.00x", f"{floor_mb:.0f}"]
        * len(installs)
        + (["1.00x", "1.00x"] if two else [])
    ]
    for cmd in commands:
        if cmd.key == "pass" or cmd.key not in installs[0].samples:
            continue
        row = [cmd.title(), f"<= {cmd.goal:g}x" if cmd.goal else ""]
        meds: list[float] = []
        cpus: list[float] = []
        for inst in installs:
            med = statistics.median(inst.samples[cmd.key])
            cpu = statistics.median(inst.cpu[cmd.key])
            meds.append(med)
            cpus.append(cpu)
            mark = "" if cmd.goal is None or med / floor <= cmd.goal else " MISSED"
            rss = statistics.median(inst.rss[cmd.key]) / 1024
            row += [f"{med * 1000:.1f}", f"{med / floor:.2f}x{mark}", f"{cpu * 1000:.1f}"]
            row += [ratio(cpu, floor_cpu), f"{rss:.0f}"]
        if two:
            row += [ratio(meds[1], meds[0]), ratio(cpus[1], cpus[0])]
        rows.append(row)
    text = fmt_table(header, rows)
    if any(inst.callgrind for inst in installs):
        keys = [c.key for c in commands if any(c.key in i.callgrind for i in installs)]
        header = ["callgrind (Ir)"]
        for inst in installs:
            header += [inst.label, f"{inst.label} x floor"]
        if len(installs) == 2:
            header.append(f"{installs[1].label}/{installs[0].label}")
        rows = []
        if cg_floor:
            rows.append(
                ["python -c pass"]
                + [f"{cg_floor:,}", "1.00x"] * len(installs)
                + (["1.00x"] if len(installs) == 2 else [])
            )
        by_key = {c.key: c for c in commands}
        for key in keys:
            row = [by_key[key].title()]
            counts = [inst.callgrind.get(key) for inst in installs]
            for n in counts:
                row += [f"{n:,}" if n else "-", ratio(n, cg_floor)]
            if len(installs) == 2:
                row.append(ratio(counts[1], counts[0]))
            rows.append(row)
        text += "\n\n" + fmt_table(header, rows)
    return text


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(
        description=__doc__.splitlines()[0],
        epilog="Defaults (300 cases, 11 rounds) finish in about 1-2 minutes per install "
        "on a quiet 2-core machine (longer when it is busy; each --callgrind command "
        "adds 15-30 s per install); larger --cases/--rounds take longer.",
    )
    ap.add_argument(
        "--cmd",
        action="append",
        required=True,
        metavar="[LABEL=]PATH",
        help="a complaintctl script to measure (repeat to compare; labels A, B... by default)",
    )
    ap.add_argument(
        "--python",
        default=sys.executable,
        help=f"the interpreter of the 'python -c pass' floor (default: {sys.executable})",
    )
    ap.add_argument("--rounds", type=int, default=11, help="timed rounds (default 11)")
    ap.add_argument("--cases", type=int, default=300, help="cases in the store (default 300)")
    ap.add_argument(
        "--only",
        help=f"comma-separated command keys to time (default all): {', '.join(KEYS[1:])}",
    )
    ap.add_argument(
        "--callgrind",
        action="append",
        default=[],
        choices=[*KEYS[1:], "all"],
        metavar="KEY",
        help="also count instructions of this command under valgrind (repeatable; 'all')",
    )
    ap.add_argument("--dir", type=Path, help="where to make the temp stores (default: $TMPDIR)")
    ap.add_argument("--keep", action="store_true", help="keep the stores (the path is printed)")
    ap.add_argument("--json", action="store_true", help="print the figures as JSON, no table")
    args = ap.parse_args(argv)
    if args.rounds < 1 or args.cases < 10:
        ap.error("--rounds must be >= 1 and --cases >= 10")

    installs = parse_installs(args.cmd)
    commands = list(COMMANDS)
    if args.only:
        wanted = {k.strip() for k in args.only.split(",") if k.strip()}
        unknown = wanted - set(KEYS)
        if unknown:
            ap.error(f"--only: unknown keys {', '.join(sorted(unknown))}")
        commands = [c for c in COMMANDS if c.key in wanted]
    # Reads first, on an unchanging store; then writes.
    reads = [c for c in commands if not c.write and c.key != "pass"]
    writes = [c for c in commands if c.write]
    cg_keys = KEYS[1:] if "all" in args.callgrind else list(dict.fromkeys(args.callgrind))
    valgrind = shutil.which("valgrind")
    cg_note = ""
    if cg_keys and not valgrind:
        cg_note = (
            "valgrind is NOT installed: no instruction counts "
            "(install it, e.g. apt-get install valgrind, and run again)"
        )
        print(cg_note, file=sys.stderr)

    env = clean_env()
    if args.dir:
        args.dir.mkdir(parents=True, exist_ok=True)
    root = Path(tempfile.mkdtemp(prefix="coldstart-", dir=args.dir))
    try:
        info = machine()
        info["python_floor"] = args.python
        info["rounds"] = args.rounds
        info["cases"] = args.cases
        base = base_time(args.cases)
        received_at = (base + SPACING * args.cases).strftime("%Y-%m-%dT%H:%M")
        csv_path = root / "cases.csv"
        write_csv(csv_path, args.cases, base)
        sources = {}
        for inst in installs:
            print(f"{inst.label}: building a store of {args.cases} cases", file=sys.stderr)
            sources[inst.label] = source_of(inst, env, root)
            build_store(inst, root, csv_path, args.cases, env)
        floor: list[Run] = []
        started = time.perf_counter()
        for phase, cmds in (("reads", reads), ("writes", writes)):
            if cmds:
                print(f"timing {phase}: {args.rounds} rounds", file=sys.stderr)
                measure(
                    installs,
                    cmds,
                    args.python,
                    args.rounds,
                    received_at,
                    env,
                    root,
                    floor,
                    progress=sys.stderr.isatty(),
                )
        info["timing_seconds"] = round(time.perf_counter() - started, 1)
        cg_floor: int | None = None
        if cg_keys and valgrind:
            by_key = {c.key: c for c in COMMANDS}
            print(f"callgrind: {', '.join(cg_keys)}", file=sys.stderr)
            cg_floor = callgrind_ir([args.python, "-c", "pass"], env, root, root / "cg.pass")
            for key in cg_keys:
                for inst in installs:
                    line = inst.argv(by_key[key], received_at)
                    line[:1] = interpreter(inst.script)
                    out = root / f"cg.{inst.label}.{key}"
                    inst.callgrind[key] = callgrind_ir(line, env, root, out)
                    if by_key[key].write:
                        inst.writes += 1
        info["load_after"] = [round(x, 2) for x in os.getloadavg()]
        shown = [c for c in COMMANDS if c in reads or c in writes or c.key in cg_keys]
        floor_med = statistics.median(r.seconds for r in floor) if floor else 0.0
        if args.json:
            doc = {
                "machine": info,
                "floor": {
                    "argv": [args.python, "-c", "pass"],
                    "median_s": floor_med,
                    "samples_s": [r.seconds for r in floor],
                    "cpu_median_s": statistics.median(r.cpu_seconds for r in floor)
                    if floor
                    else None,
                },
                "installs": {
                    inst.label: {
                        **sources[inst.label],
                        "ref": inst.ref,
                        "query": inst.query,
                        "commands": {
                            key: {
                                "argv": inst.argv(
                                    next(c for c in COMMANDS if c.key == key), received_at
                                )[1:],
                                "median_s": statistics.median(s),
                                "x_floor": statistics.median(s) / floor_med,
                                "min_s": min(s),
                                "max_s": max(s),
                                "samples_s": s,
                                "cpu_median_s": statistics.median(inst.cpu[key]),
                                "maxrss_mb": statistics.median(inst.rss[key]) / 1024,
                            }
                            for key, s in inst.samples.items()
                        },
                        "callgrind_ir": inst.callgrind,
                    }
                    for inst in installs
                },
                "callgrind_floor_ir": cg_floor,
                "callgrind_note": cg_note or None,
                "goals": {c.key: c.goal for c in COMMANDS if c.goal},
            }
            if len(installs) == 2:
                a, b = installs
                doc["ratio_b_over_a"] = {
                    k: statistics.median(b.samples[k]) / statistics.median(a.samples[k])
                    for k in a.samples
                }
                doc["cpu_ratio_b_over_a"] = {
                    k: statistics.median(b.cpu[k]) / statistics.median(a.cpu[k]) for k in a.cpu
                }
            print(json.dumps(doc, ensure_ascii=False, indent=2))
        else:
            print(
                f"cold start, fresh processes: {info['date']}, {info['cpu']}, "
                f"nproc {info['nproc']}, load {info['load_before']} -> {info['load_after']}"
            )
            print(
                f"store: {args.cases} cases (imported) per install; medians of "
                f"{args.rounds} rounds, installs taking turns; floor: {args.python} -c pass"
            )
            for inst in installs:
                s = sources[inst.label]
                where = f"{s.get('source', '?')} at {s.get('commit', '?')}"
                print(
                    f"{inst.label}: {inst.script} (Python {s.get('python', '?')}; code {where})"
                    f"; REF {inst.ref}, QUERY {inst.query}"
                )
            print()
            if floor:
                print(
                    report(
                        installs,
                        shown,
                        floor,
                        cg_floor,
                    )
                )
            if cg_note:
                print(f"\ncallgrind: {cg_note}")
        if args.keep:
            print(f"stores kept in {root}", file=sys.stderr)
    finally:
        if not args.keep:
            shutil.rmtree(root, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
