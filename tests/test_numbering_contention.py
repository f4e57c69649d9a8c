"""Many processes numbering cases at once, on one file store or two desks on PostgreSQL:
none gives up.

Before the store's numbering lock, 16 writers of 5 cases each retried
122-180 times and 1-3 ``new`` exited 5 (``bench/desks.py --backend file``);
exit 5 is for a conflict a retry cannot solve, not for ordinary contention.
Real processes, each opening the store for every case as a one-shot command
does (without the lock this failed in about half the runs).
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import tomli_w
from conftest import ADVISER, Store
from pgsupport import pg_schema  # noqa: F401  (fixture)

from complaintctl import config as configuration
from complaintctl import presets

WRITERS, CASES = 16, 5
SCRIPT = """
import json, sys
from pathlib import Path
from complaintctl.app import open_app
from complaintctl.config import load
from events.errors import ConcurrentChange
from events.intake import NewCase

store, backend, tag, cases, actor = sys.argv[1:]
store, cases = Path(store), int(cases)
cfg = load(store / "complaintctl.toml")
out = []
for i in range(cases):  # one-shot writers: open the store, receive one case, close
    try:
        app = open_app(store, policy=cfg.policy, backend=backend, settings=cfg.store,
                       encrypt_personal=cfg.encrypt_personal)
    except Exception as e:  # opening a brand-new schema at once must not fail
        out.append(f"could not open: {type(e).__name__}: {e}")
        continue
    try:
        out.append(app.receive(NewCase(customer=f"客户{tag}{i}", contact=f"139{tag}{i:04d}",
                                       channel="phone", category="misquote", summary="忙时"),
                               actor))
    except ConcurrentChange as e:
        out.append(f"gave up: {e}")
    finally:
        app.close()
print(json.dumps(out))
"""


def writers(stores: list[Path], backend: str, cases: int) -> list[str]:
    """The references (or failures) of ``WRITERS`` processes at once, spread over ``stores``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("COMPLAINTCTL_")}
    env["COMPLAINTCTL_LANG"] = "en"
    procs = [
        subprocess.Popen(
            [
                sys.executable,
                "-c",
                SCRIPT,
                str(stores[n % len(stores)]),
                backend,
                f"{n:02d}",
                str(cases),
                ADVISER,
            ],
            stdout=subprocess.PIPE,
            text=True,
            env=env,
        )
        for n in range(WRITERS)
    ]
    return sorted(r for p in procs for r in json.loads(p.communicate(timeout=300)[0]))


def test_writers_numbering_at_once_all_succeed_without_gaps(store: Store) -> None:
    refs = writers([store.path], "file", CASES)
    assert [r for r in refs if not re.fullmatch(r"C-\d{4}-\d{5}", r)] == []
    assert [int(ref[-5:]) for ref in refs] == list(range(1, WRITERS * CASES + 1))


def test_sixteen_writers_on_two_desks_open_a_brand_new_schema_at_once(
    tmp_path: Path,
    pg_schema: dict[str, Any],  # noqa: F811
) -> None:
    """Sixteen processes, half on each of two desks, whose first act is opening a schema no
    one has opened yet: the library's tables are made once (under an advisory lock),
    nobody fails with "tuple concurrently updated", nobody gives up, references gapless."""
    desks = []
    for name in ("desk-a", "desk-b"):
        desk = tmp_path / name
        desk.mkdir()
        data = presets.preset("car-service")
        data["staff"][ADVISER] = {"tier": 1, "role": "agent"}
        data["store"] = {"backend": "postgres", **pg_schema}
        (desk / configuration.CONFIG_NAME).write_text(tomli_w.dumps(data), "utf-8")
        desks.append(desk)
    refs = writers(desks, "postgres", 2)
    assert [r for r in refs if not re.fullmatch(r"C-\d{4}-\d{5}", r)] == []
    assert [int(ref[-5:]) for ref in refs] == list(range(1, WRITERS * 2 + 1))
