"""Soak: many concurrent CLI writers, random SIGKILLs, then prove nothing acknowledged was lost.

    .venv/bin/python bench/soak.py [--seconds 60 | --commands N] [--writers 8]
                                   [--backend file|sqlite|postgres]
                                   [--kill-rate 0.25] [--seed N] [--dir PARENT] [--keep] [--json]

For ``--seconds`` every writer runs real ``complaintctl`` processes one after
another (``new``, ``note``, ``ack``, ``contact``, ``investigate``, and a few
``show`` reads) on one store in a temporary directory; about ``--kill-rate``
of the commands get a SIGKILL at a random moment of their run, and whatever
still runs at the deadline is SIGKILLed then. Writes aim often at the newest
cases, so writers collide and the conflict path (exit 5) can be taken too.
With ``--commands N`` instead, every writer runs exactly N commands however
long they take (no deadline): a run that does the same work on a slow or
busy machine as on a fast one (the test suite's smoke run).

A write is *acknowledged* when its command exited 0 and printed its result
(``--json``): the case with the new ``ref`` for ``new``, the case holding the
note text for ``note``, and so on. At the end, through the documented CLI
only (``verify --json``, ``list --json``, ``log``, ``history --json``), it
checks and prints:

- every acknowledged write is in the store, and nothing is there that no
  command of this run wrote;
- references are distinct, gapless and allocated in log order;
- no event appears twice (log positions 1..N once each, each case's
  versions once each, each written text once);
- ``verify`` exits 0. On the file store a command killed mid-save leaves an
  unfinished tail, which the next writer moves to ``quarantine/``: one more
  write is made after the soak (it must succeed) so that the last tail is
  set aside too, and the quarantined tails are counted;
- commands by exit code: 0, 5 (conflict), 7 (unavailable), killed; any other
  code, or a command that hung, fails the run.

Exit status 0 when every check passed, 1 when one failed, 2 when the store
could not be set up. PostgreSQL (``--backend postgres``) is the local service
(POSTGRES_HOST/PORT/USER/DBNAME, default 127.0.0.1:5432 postgres/test), in a
schema of its own that is dropped afterwards.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import random
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter, deque
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from tabulate import tabulate

MANAGER = "陈总"  # runs init: a manager of the car-service preset
STAFF = [MANAGER, "张伟"]  # the writers act as these
CUSTOMERS = [(f"客户{i}", f"139{i:08d}") for i in range(20)]  # repeat customers
REF = re.compile(r"^C-(\d{4})-(\d{5,})$")
# Kinds of command and how often a writer picks each.
MIX = {"new": 30, "note": 30, "ack": 10, "contact": 10, "investigate": 10, "show": 10}
KILLED, HUNG = "killed", "hung"
EXPECTED = {"0", "5", "7", KILLED}  # outcomes that are fine under SIGKILLs and contention
# The writes, and where a case (``show --json``) holds what each wrote.
WHERE = {"new": "summary", "ack": "acknowledged_at", "note": "notes"}
WHERE |= {"contact": "contacts", "investigate": "findings"}
PREFIX = {"new": "报价错误 ", "note": "备注 "}  # texts as a person would type them
COMMAND_TIMEOUT = 30.0  # a command running longer than this has hung (locks give up after 10 s)


class Soak:
    """The writers: threads that each run one CLI process at a time until the deadline."""

    def __init__(
        self, store: Path, env: dict[str, str], deadline: float, kill_rate: float, seed: int
    ) -> None:
        self.store, self.env, self.deadline = store, env, deadline
        self.kill_rate, self.seed = kill_rate, seed
        self.run_id = uuid.uuid4().hex[:6]
        self.lock = threading.Lock()
        self.refs: list[str] = []  # acknowledged refs, in the order they were acknowledged
        self.acked: dict[str, list[tuple[str, str]]] = {k: [] for k in WHERE}  # (ref, text)
        self.issued: set[str] = set()  # every text any write was given
        self.outcomes: Counter[tuple[str, str]] = Counter()  # (kind, outcome)
        self.unexpected: list[str] = []  # a few stderr samples of unexpected outcomes
        self.live: set[subprocess.Popen[str]] = set()
        self.durations: deque[float] = deque([0.5], maxlen=50)
        self.deadline_kills = 0  # commands still running at the deadline (SIGKILLed then)
        self.commands: int | None = None  # each writer's number of commands (no deadline)

    def cli(self, actor: str) -> list[str]:
        """The command line up to the command: this store, acting as ``actor``."""
        return [sys.executable, "-m", "complaintctl", "--store", str(self.store), "--actor", actor]

    def run(self, argv: list[str], kill_after: float | None) -> tuple[str, str, str]:
        """Run one command: (outcome, stdout, stderr); the outcome is its exit code or why not."""
        start = time.monotonic()
        # The first of: the planned kill, the deadline (a command still running then is
        # killed too), or the time after which it has hung.
        limits = {"deadline": self.deadline - start, HUNG: COMMAND_TIMEOUT}
        if kill_after is not None:
            limits[KILLED] = kill_after
        why = min(limits, key=limits.__getitem__)
        p = subprocess.Popen(
            argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=self.env
        )
        with self.lock:
            self.live.add(p)
        try:
            try:
                out, err = p.communicate(timeout=max(0.0, limits[why]))
            except subprocess.TimeoutExpired:
                p.send_signal(signal.SIGKILL)
                out, err = p.communicate()
                if p.returncode == -signal.SIGKILL:
                    if time.monotonic() - start >= COMMAND_TIMEOUT:
                        return HUNG, out, err
                    with self.lock:
                        self.deadline_kills += why == "deadline"
                    return KILLED, out, err
        finally:
            with self.lock:
                self.live.discard(p)
        if p.returncode >= 0:
            with self.lock:
                self.durations.append(time.monotonic() - start)
        return str(p.returncode), out, err

    def kill_all(self) -> None:
        """SIGKILL any child still running (an interrupted soak leaves nothing behind)."""
        with self.lock:
            live = list(self.live)
        for p in live:
            if p.poll() is None:
                p.send_signal(signal.SIGKILL)
                p.wait()

    def pick_ref(self, rng: random.Random) -> str | None:
        with self.lock:
            if not self.refs:
                return None
            if rng.random() < 0.5:
                return rng.choice(self.refs[-3:])  # hot cases: writers collide on them
            return rng.choice(self.refs)

    def writer(self, w: int) -> None:
        rng = random.Random(self.seed * 1000 + w)
        seq = 0
        while time.monotonic() < self.deadline and (self.commands is None or seq < self.commands):
            seq += 1
            kind = rng.choices(list(MIX), weights=list(MIX.values()))[0]
            ref = self.pick_ref(rng)
            if ref is None:
                kind = "new"
            text = f"{PREFIX.get(kind, '')}{kind} w{w}-{seq} {self.run_id}"
            args = self.args(kind, ref, text, rng)
            with self.lock:
                median = statistics.median(self.durations)
                if kind in WHERE:
                    self.issued.add(text)
            # Kills land anywhere in a command's life, most in its second half, where it saves.
            kill = rng.random() < self.kill_rate
            kill_after = rng.uniform(0.3, 1.3) * median if kill else None
            outcome, out, err = self.run(self.cli(rng.choice(STAFF)) + args, kill_after)
            self.record(kind, ref, text, outcome, out, err)

    @staticmethod
    def args(kind: str, ref: str | None, text: str, rng: random.Random) -> list[str]:
        if kind == "new":
            name, contact = rng.choice(CUSTOMERS)
            return [
                "new",
                *("--customer", name, "--contact", contact, "--channel", "phone"),
                *("--category", "misquote", "--summary", text, "--json"),
            ]
        assert ref is not None
        return {
            "note": ["note", ref, text, "--json"],
            "ack": ["ack", ref, "--json"],
            "contact": ["contact", ref, "--outcome", "reached", "--summary", text, "--json"],
            "investigate": ["investigate", ref, text, "--json"],
            "show": ["show", ref, "--json"],
        }[kind]

    def record(
        self, kind: str, ref: str | None, text: str, outcome: str, out: str, err: str
    ) -> None:
        """Count the outcome; keep an acknowledged write (exit 0 and its result printed)."""
        case: Any = {}
        if outcome == "0":
            case = _json(out)
            if not case or not isinstance(case, dict):
                outcome = "0, no result"
        with self.lock:
            self.outcomes[(kind, outcome)] += 1
            if outcome not in EXPECTED and len(self.unexpected) < 5:
                self.unexpected.append(f"{kind} -> {outcome}: {err.strip()[-300:]}")
            if outcome != "0":
                return
            if kind == "new":
                ref = case["ref"] if REF.match(str(case.get("ref"))) else None
            if kind in WHERE and ref and holds(case, kind, text):
                self.acked[kind].append((ref, text))
                if kind == "new":
                    self.refs.append(ref)
            elif kind != "show":
                self.outcomes[(kind, "0, result missing")] += 1
                self.outcomes[(kind, "0")] -= 1


def holds(case: dict[str, Any], kind: str, text: str) -> bool:
    """Whether the case shows the write of ``kind`` that was given ``text``."""
    if kind == "new":
        return bool(case.get("summary") == text)
    if kind == "ack":
        return bool(case.get("acknowledged_at"))
    return text in texts(case, WHERE[kind])


def texts(case: dict[str, Any], key: str) -> list[str]:
    """The texts a case holds under ``key``: notes, contacts (their summary) or findings."""
    name = {"notes": "text", "contacts": "summary", "findings": "text"}[key]
    out = []
    for item in case.get(key) or []:
        value = item.get(name) if isinstance(item, dict) else item
        if isinstance(value, str):
            out.append(value)
    return out


def ref_key(ref: object) -> tuple[int, int] | None:
    """``C-2026-00042`` as (2026, 42), for ordering; None if it is no reference."""
    m = REF.match(str(ref))
    return (int(m[1]), int(m[2])) if m else None


# --- the checks ---------------------------------------------------------------


class Checks:
    """The store after the soak, read through the CLI, and what was checked against it."""

    def __init__(self, soak: Soak, backend: str, sample: int) -> None:
        self.soak, self.backend, self.sample = soak, backend, sample
        self.rows: list[dict[str, Any]] = []
        self.figures: dict[str, Any] = {}
        self.closing: str | None = None  # the ref of the write made after the soak

    def check(self, name: str, ok: bool, detail: str) -> None:
        self.rows.append({"check": name, "ok": bool(ok), "detail": detail})

    def cli(self, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            self.soak.cli(MANAGER) + list(args),
            env=self.soak.env,
            capture_output=True,
            text=True,
            timeout=600,
            check=False,
        )

    def run(self) -> None:
        soak = self.soak
        self.settle()
        rng = random.Random(soak.seed)
        refs = [*soak.refs, *([self.closing] if self.closing else [])]
        sample = refs if self.sample <= 0 else rng.sample(refs, min(self.sample, len(refs)))
        with ThreadPoolExecutor(max_workers=4) as pool:  # reads only: they may overlap
            verify = pool.submit(self.cli, "verify", "--json")
            listed = pool.submit(self.cli, "list", "--json")
            logged = pool.submit(self.cli, "log")
            histories = {r: pool.submit(self.cli, "history", r, "--json") for r in sample}
        self.check_verify(verify.result())
        cases = self.list_cases(listed.result())
        by_ref = {c["ref"]: c for c in cases}
        events = self.log(logged.result())

        missing = {
            kind: [f"{r}: {t}" for r, t in pairs if not holds(by_ref.get(r, {}), kind, t)]
            for kind, pairs in soak.acked.items()
        }
        for kind, pairs in soak.acked.items():
            gone, n = missing[kind], len(pairs)
            self.figures[f"acknowledged {kind}"] = n
            self.check(
                f"acknowledged {kind} found",
                not gone,
                f"{n - len(gone)} of {n}" + (f", missing {gone[:3]}" if gone else ""),
            )
        closing = by_ref.get(self.closing or "", {}).get("summary")
        self.check(
            "the write after the soak found",
            closing == f"closing write {soak.run_id}",
            str(self.closing),
        )
        total = sum(len(pairs) for pairs in soak.acked.values())
        self.figures["acknowledged writes"] = total
        self.figures["acknowledged writes found"] = total - sum(len(m) for m in missing.values())
        self.check_refs(cases, events)
        self.check_unique(cases, events)
        self.check_histories(by_ref, {r: f.result() for r, f in histories.items()})
        codes: Counter[str] = Counter()
        for (_, outcome), n in soak.outcomes.items():
            codes[outcome] += n
        codes = +codes  # drop the zeros
        bad = {o: n for o, n in codes.items() if o not in EXPECTED}
        self.check(
            "exit codes only 0, 5, 7 or killed",
            not bad,
            f"{dict(sorted(codes.items()))} {soak.unexpected[:3] if bad else ''}".strip(),
        )
        self.check("the soak acknowledged writes", total > 0, f"{total} acknowledged")

    def settle(self) -> None:
        """Verify, then make one more write: it sets aside a torn tail the last kill left."""
        first = self.cli("verify", "--json")
        self.figures["killed at the deadline (of the killed)"] = self.soak.deadline_kills
        self.figures["verify exit right after the soak"] = first.returncode
        closing = self.cli(
            "new",
            *("--customer", "收尾", "--contact", "13900000000", "--channel", "phone"),
            *("--category", "misquote", "--summary", f"closing write {self.soak.run_id}", "--json"),
        )
        ok = closing.returncode == 0 and REF.match(str(_json(closing.stdout).get("ref")))
        self.check("a write after the soak succeeds", bool(ok), f"exit {closing.returncode}")
        self.closing = _json(closing.stdout).get("ref") if ok else None

    def check_verify(self, verify: subprocess.CompletedProcess[str]) -> None:
        """``verify`` after the closing write must pass; count the quarantined tails."""
        report = _json(verify.stdout)
        problems = [lg.get("problem") for lg in report.get("logs", []) if not lg.get("ok")]
        self.check(
            "verify exits 0",
            verify.returncode == 0 and report.get("ok") is True,
            f"exit {verify.returncode} {problems or ''} {verify.stderr.strip()[-200:]}".strip(),
        )
        if self.backend == "file":
            quarantine = self.soak.store / "quarantine"
            tails = sorted(quarantine.iterdir()) if quarantine.is_dir() else []
            self.figures["quarantined torn tails"] = len(tails)
            self.figures["quarantined bytes"] = sum(p.stat().st_size for p in tails)

    def list_cases(self, r: subprocess.CompletedProcess[str]) -> list[dict[str, Any]]:
        cases: list[dict[str, Any]] = _json(r.stdout, []) if r.returncode == 0 else []
        why = (
            f"{len(cases)} cases"
            if r.returncode == 0
            else f"exit {r.returncode}: {r.stderr[-500:]}"
        )
        self.check("list --json exits 0", r.returncode == 0, why)
        self.figures["cases in store"] = len(cases)
        return cases

    def log(self, r: subprocess.CompletedProcess[str]) -> list[dict[str, Any]]:
        events = [json.loads(line) for line in r.stdout.splitlines() if line.strip()]
        why = (
            f"{len(events)} events"
            if r.returncode == 0
            else f"exit {r.returncode}: {r.stderr[-500:]}"
        )
        self.check("log exits 0", r.returncode == 0, why)
        self.figures["events in log"] = len(events)
        return events

    def check_refs(self, cases: list[dict[str, Any]], events: list[dict[str, Any]]) -> None:
        acked = [*self.soak.refs, *([self.closing] if self.closing else [])]
        twice = [r for r, n in Counter(acked).items() if n > 1]
        self.check("acknowledged refs distinct", not twice, f"{len(acked)} refs {twice[:3]}")
        by_year: dict[int, list[int]] = {}
        for k in map(ref_key, (c.get("ref") for c in cases)):
            if k:
                by_year.setdefault(k[0], []).append(k[1])
        gaps = {
            y: sorted(set(range(1, max(ns) + 1)) - set(ns))[:5]
            for y, ns in by_year.items()
            if sorted(ns) != list(range(1, len(ns) + 1))
        }
        span = ", ".join(f"{y}: 1..{max(ns)}" for y, ns in sorted(by_year.items()))
        self.check("refs gapless", not gaps and bool(by_year), f"{span} {gaps or ''}".strip())
        first_seen: list[str] = []
        seen: set[str] = set()
        for e in events:
            ref = e.get("ref")
            if ref and ref not in seen:
                seen.add(ref)
                first_seen.append(ref)
        key = [k for k in map(ref_key, first_seen) if k]
        self.check(
            "refs in log order",
            key == sorted(key) and seen == {c["ref"] for c in cases},
            f"{len(first_seen)} cases, first events in ref order",
        )

    def check_unique(self, cases: list[dict[str, Any]], events: list[dict[str, Any]]) -> None:
        positions = [e.get("position") for e in events]
        ints = [p for p in positions if isinstance(p, int)]
        rising = len(ints) == len(positions) and ints == sorted(set(ints))
        gaps = sorted(set(range(1, max(ints, default=0) + 1)) - set(ints))
        detail = f"{len(ints)} positions, last {max(ints, default=0)}"
        if self.backend == "postgres":
            # PostgreSQL numbers events from a sequence: a transaction that never commits
            # (killed mid-save, or the loser of a version race) leaves its numbers unused.
            # The library keeps insert order = commit order, so order and uniqueness hold.
            self.figures["log position gaps (uncommitted transactions)"] = len(gaps)
            self.check("log positions rising, each once", rising, f"{detail}, {len(gaps)} gaps")
        else:
            self.check(
                "log positions 1..N, each once",
                rising and not gaps,
                detail + (f", gaps {gaps[:5]}" if gaps else ""),
            )
        versions = Counter((e.get("originator_id"), e.get("version")) for e in events)
        twice = [k for k, n in versions.items() if n > 1 and k != (None, None)]
        self.check("no (case, version) twice", not twice, f"{len(versions)} pairs {twice[:3]}")
        stored: Counter[str] = Counter()
        for c in cases:
            if c.get("summary"):
                stored[c["summary"]] += 1
            for key in ("notes", "contacts", "findings"):
                stored.update(texts(c, key))
        run, closing = self.soak.run_id, f"closing write {self.soak.run_id}"
        ours = {t: n for t, n in stored.items() if t.endswith(run) and t != closing}
        acked = {t for kind, pairs in self.soak.acked.items() if kind != "ack" for _, t in pairs}
        landed = [t for t in ours if t not in acked]
        self.figures["writes in store not acknowledged (killed after saving)"] = len(landed)
        dup = [t for t, n in ours.items() if n > 1] + [closing] * (stored[closing] > 1)
        self.check("no written text twice", not dup, f"{len(ours)} texts {dup[:3]}")
        unknown = [t for t in ours if t not in self.soak.issued]
        unknown += [t for t in stored if not t.endswith(run)]
        self.check(
            "nothing that no command wrote",
            not unknown,
            f"{unknown[:3]}" if unknown else "every text was issued",
        )

    def check_histories(
        self, by_ref: dict[str, dict[str, Any]], runs: dict[str, subprocess.CompletedProcess[str]]
    ) -> None:
        """``history --json`` of a sample of cases: one event per version, notes as in ``list``."""
        bad: list[str] = []
        for ref, r in runs.items():
            c = by_ref.get(ref, {"ref": ref})
            history = _json(r.stdout, [])
            pos = [e.get("position") for e in history]
            noted = sorted(e["data"].get("text") for e in history if e.get("type") == "Noted")
            if (
                r.returncode != 0
                or len(history) != c.get("version")
                or pos != sorted(set(pos))
                or noted != sorted(texts(c, "notes"))
            ):
                bad.append(f"{c['ref']} (exit {r.returncode}, {len(history)} events)")
        self.check(
            "history --json: one event per version, notes match",
            not bad,
            f"{len(runs) - len(bad)} of {len(runs)} sampled cases"
            + (f", {bad[:3]}" if bad else ""),
        )


def _json(text: str, default: Any = None) -> Any:
    try:
        return json.loads(text)
    except ValueError:
        return {} if default is None else default


# --- set-up, run, report --------------------------------------------------------


def pg_settings() -> dict[str, str]:
    return {
        "POSTGRES_HOST": os.environ.get("POSTGRES_HOST", "127.0.0.1"),
        "POSTGRES_PORT": os.environ.get("POSTGRES_PORT", "5432"),
        "POSTGRES_DBNAME": os.environ.get("POSTGRES_DBNAME", "test"),
        "POSTGRES_USER": os.environ.get("POSTGRES_USER", "postgres"),
    }


def pg_schema(env: dict[str, str], sql: str) -> None:
    import psycopg

    with psycopg.connect(
        host=env["POSTGRES_HOST"],
        port=int(env["POSTGRES_PORT"]),
        dbname=env["POSTGRES_DBNAME"],
        user=env["POSTGRES_USER"],
        password=os.environ.get("POSTGRES_PASSWORD"),
        connect_timeout=5,
        autocommit=True,
    ) as conn:
        conn.execute(sql)


def report(
    args: argparse.Namespace, soak: Soak, checks: Checks, soaked: float, elapsed: float
) -> dict[str, Any]:
    kinds = list(MIX)
    seen = {o for (_, o), n in soak.outcomes.items() if n > 0}
    codes = sorted(seen, key=lambda o: (not o.isdigit(), o.zfill(3)))
    by_kind = {k: {o: soak.outcomes[(k, o)] for o in codes if soak.outcomes[(k, o)]} for k in kinds}
    total = sum(soak.outcomes.values())
    return {
        "ok": all(r["ok"] for r in checks.rows),
        "backend": args.backend,
        "writers": args.writers,
        "seconds": None if args.commands else args.seconds,
        "commands_per_writer": args.commands,
        "soaked": round(soaked, 1),  # first command started to last one ended
        "elapsed": round(elapsed, 1),  # with set-up and checks
        "kill_rate": args.kill_rate,
        "seed": args.seed,
        "commands": total,
        "commands_per_second": round(total / max(soaked, 1e-9), 1),
        "exit_codes": {o: sum(soak.outcomes[(k, o)] for k in kinds) for o in codes},
        "by_command": by_kind,
        "figures": checks.figures,
        "checks": checks.rows,
    }


def print_text(result: dict[str, Any]) -> None:
    codes = list(result["exit_codes"])
    rows = [
        [kind, *(counts.get(o, 0) for o in codes), sum(counts.values())]
        for kind, counts in result["by_command"].items()
    ]
    rows.append(["all", *result["exit_codes"].values(), result["commands"]])
    each = result["commands_per_writer"]
    span = f"{each} commands each" if each else f"{result['seconds']} s"
    print(
        f"soak: backend {result['backend']}, {result['writers']} writers, "
        f"{span} (writers ran {result['soaked']} s, "
        f"whole run {result['elapsed']} s), "
        f"kill rate {result['kill_rate']}, "
        f"seed {result['seed']}, {result['commands']} commands "
        f"({result['commands_per_second']}/s)\n"
    )
    print(tabulate(rows, headers=["command", *(f"exit {o}" for o in codes), "total"]))
    print()
    print(tabulate(list(result["figures"].items()), headers=["figure", "value"]))
    print()
    checks = [[r["check"], "ok" if r["ok"] else "FAIL", r["detail"]] for r in result["checks"]]
    print(tabulate(checks, headers=["check", "result", "detail"]))
    print("\nall checks passed" if result["ok"] else "\nSOME CHECKS FAILED")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--seconds", type=float, default=60.0, help="how long writers run (60)")
    ap.add_argument(
        "--commands", type=int, default=None, help="each writer runs N commands (no deadline)"
    )
    ap.add_argument("--writers", type=int, default=8, help="concurrent writer processes (8)")
    ap.add_argument("--backend", choices=["file", "sqlite", "postgres"], default="file")
    ap.add_argument("--kill-rate", type=float, default=0.25, help="share of commands SIGKILLed")
    ap.add_argument("--sample", type=int, default=30, help="cases whose history is read (0: all)")
    ap.add_argument("--seed", type=int, default=None, help="random seed (default: random)")
    ap.add_argument("--dir", type=Path, default=None, help="parent of the temporary store")
    ap.add_argument("--keep", action="store_true", help="keep the store (its path is printed)")
    ap.add_argument("--json", action="store_true", help="print the result as one JSON document")
    args = ap.parse_args(argv)
    if args.seed is None:
        args.seed = random.randrange(1_000_000)
    if args.dir:
        args.dir.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix="complaintctl-soak-", dir=args.dir))
    env = {k: v for k, v in os.environ.items() if not k.startswith("COMPLAINTCTL_")}
    env["COMPLAINTCTL_BACKEND"] = args.backend
    schema = None
    if args.backend == "postgres":
        schema = f"soak_{uuid.uuid4().hex[:12]}"
        env |= pg_settings() | {"POSTGRES_SCHEMA": schema}
    soak = Soak(work / "store", env, 0.0, args.kill_rate, args.seed)
    threads: list[threading.Thread] = []
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # clean up on a plain kill too
    try:
        if schema:
            try:
                pg_schema(env, f'CREATE SCHEMA "{schema}"')
            except Exception as e:  # no server, no driver: say so
                print(f"soak: PostgreSQL not usable: {e}", file=sys.stderr)
                schema = None
                return 2
        init = subprocess.run(
            [*soak.cli(MANAGER), "init", "--preset", "car-service"],
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        if init.returncode != 0:
            print(f"soak: init failed ({init.returncode}): {init.stderr}", file=sys.stderr)
            return 2
        start = time.monotonic()
        soak.deadline = math.inf if args.commands else start + args.seconds
        soak.commands = args.commands
        threads += [
            threading.Thread(target=soak.writer, args=(w,), daemon=True)
            for w in range(args.writers)
        ]
        for t in threads:
            t.start()
        for t in threads:
            # Bounded either way: by the deadline, or by N commands that each end or are
            # killed as hung after COMMAND_TIMEOUT.
            left = soak.deadline + COMMAND_TIMEOUT - time.monotonic()
            t.join(timeout=None if math.isinf(left) else max(0.0, left))
        soak.kill_all()  # bounded: nothing outlives the deadline
        soaked = time.monotonic() - start
        checks = Checks(soak, args.backend, args.sample)
        checks.run()
        result = report(args, soak, checks, soaked, time.monotonic() - start)
        if args.keep:
            result["store"] = str(soak.store)
        if args.json:
            print(json.dumps(result, ensure_ascii=False, indent=2))
        else:
            print_text(result)
            if args.keep:
                print(f"store kept at {soak.store}")
        return 0 if result["ok"] else 1
    finally:
        soak.deadline = 0.0  # a writer still looping stops; a command it starts dies at once
        soak.kill_all()
        for t in threads:
            t.join(timeout=5)
        soak.kill_all()
        if schema:
            pg_schema(env, f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
