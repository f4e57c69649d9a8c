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
    .venv/bin/python bench/report_at.py --full-scan STORE 2026-12-01T15:50:00+00:00 > c.json
    cmp a.json b.json && cmp b.json c.json

Run each install from its own directory: a parallel rebuild's helper process
imports ``projections`` from the current directory first.
"""

from __future__ import annotations

import argparse
import sys
from datetime import date, datetime
from pathlib import Path
from typing import Any

# bench/projections.py would hide the projections package: import from the install only.
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).resolve().parent]

from complaintctl.cli import context, main  # noqa: E402


def report_at(
    store: Path, at: datetime, actor: str, extra: list[str], full_scan: bool = False
) -> int:
    """Run ``report daily --json`` at ``at``; its exit code (1 if the clock was not ours).

    ``full_scan``: the report made by folding every open case instead of the
    indexed queries and kept counts (``Reports.report_daily(indexed=False)``),
    to compare with the usual one.
    """
    read: list[datetime] = []
    if full_scan:
        from projections.reports import Reports

        indexed = Reports.report_daily

        def scan(self: Reports, day: date, indexed_: bool = True) -> dict[str, Any]:
            return indexed(self, day, indexed=False)

        Reports.report_daily = scan  # type: ignore[method-assign]

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
    ap.add_argument(
        "--full-scan", action="store_true", help="every open case folded, not the kept counts"
    )
    ap.add_argument("args", nargs="*", help="more arguments of report daily (after --)")
    args = ap.parse_args()
    if args.at.tzinfo is None:
        ap.error("the instant needs its offset (e.g. +00:00)")
    sys.exit(report_at(args.store, args.at, args.actor, args.args, args.full_scan))


if __name__ == "__main__":
    cli()
