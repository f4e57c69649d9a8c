"""``report daily --json`` of a store at one fixed instant, to compare two installs' reports.

The backlog's ages move with the clock (a bench store's 200,000 cases cross an
age bound every two seconds), so two commands run one after the other rarely
agree. This runs the install's own command line in this process
(``complaintctl --store STORE --actor ACTOR report daily --json [ARGS]``) with the
read side's clock fixed at the instant: the rules are the ones the command
reads (the desk's file with the store's settings events and their eras), so
the report is what the command prints at that moment, and the read-model cache
it brings up to date is the command's own (same fingerprint: running this does
not make the next command rebuild it). On a plain file store only: elsewhere
the read side takes the write application's clock, which this does not fix
(the script then refuses, exit 1).

    /tmp/base/.venv/bin/python bench/report_at.py STORE 2026-12-01T15:50:00+00:00 > a.json
    .venv/bin/python bench/report_at.py STORE 2026-12-01T15:50:00+00:00 > b.json
    cmp a.json b.json
"""

from __future__ import annotations

import argparse
import sys
from datetime import datetime
from pathlib import Path

# bench/projections.py would hide the projections package: import from the install only.
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).resolve().parent]

from complaintctl.cli import context, main  # noqa: E402


def report_at(store: Path, at: datetime, actor: str, extra: list[str]) -> int:
    """Run ``report daily --json`` at ``at``; its exit code (1 if the clock was not ours)."""
    read: list[datetime] = []

    def fixed() -> datetime:
        read.append(at)
        return at

    context._now = fixed  # the read side's clock on a plain file store (Ctx.models)
    argv = ["--store", str(store), "--actor", actor, "report", "daily", "--json", *extra]
    try:
        main.main(args=argv, prog_name="complaintctl")
    except SystemExit as e:
        code = e.code if isinstance(e.code, int) else 1
    else:
        code = 0
    if code == 0 and not read:
        print("report_at: the report did not read the fixed clock (not a plain file store?)",
              file=sys.stderr)  # fmt: skip
        return 1
    return code


def cli() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("store", type=Path)
    ap.add_argument("at", type=datetime.fromisoformat, help="the instant (ISO, with its offset)")
    ap.add_argument("--actor", default="陈总", help="as --actor of the command (default 陈总)")
    ap.add_argument("args", nargs="*", help="more arguments of report daily (after --)")
    args = ap.parse_args()
    if args.at.tzinfo is None:
        ap.error("the instant needs its offset (e.g. +00:00)")
    sys.exit(report_at(args.store, args.at, args.actor, args.args))


if __name__ == "__main__":
    cli()
