"""``report daily --json`` of a store at one fixed instant, to compare two installs' reports.

The backlog's ages move with the clock (a bench store's 200,000 cases cross an
age bound every two seconds), so two commands run one after the other rarely
agree; this reads the report in-process with the read models' clock fixed.
Run it with each install's Python and compare the outputs. It reads the rules of
the desk's file, without the store's settings events or their eras (a defect left
open: the CLI folds both), so its cache fingerprint is not the CLI's: the two
rebuild each other's cache. Run it on copies of the stores, not on a bench's own.

    /tmp/base/.venv/bin/python bench/report_at.py STORE 2026-12-01T15:50:00+00:00 > a.json
    .venv/bin/python bench/report_at.py STORE 2026-12-01T15:50:00+00:00 > b.json
    cmp a.json b.json
"""

from __future__ import annotations

import argparse
import json
import sys
from datetime import datetime
from pathlib import Path

# bench/projections.py would hide the projections package: import from the install only.
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).resolve().parent]

from complaintctl import config as configuration  # noqa: E402
from complaintctl.app import persistence_env  # noqa: E402
from complaintctl.keyring import open_keyring  # noqa: E402
from complaintctl.sources import open_source  # noqa: E402
from projections.models import ReadModels  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("store", type=Path)
    ap.add_argument("at", type=datetime.fromisoformat, help="the instant (ISO, with its offset)")
    args = ap.parse_args()
    store: Path = args.store
    at: datetime = args.at
    cfg = configuration.parse(configuration.read(store / configuration.CONFIG_NAME))
    keys = open_keyring(store, persistence_env(store, "file", cfg.store))
    rm = ReadModels(open_source(store), store, cfg.policy, cfg.read, clock=lambda: at, keyring=keys)
    try:
        report = rm.reports.report_daily(at.astimezone(cfg.policy.zone).date())
    finally:
        rm.close()
        keys.close()
    print(json.dumps(report, ensure_ascii=False, sort_keys=True, indent=1))


if __name__ == "__main__":
    main()
