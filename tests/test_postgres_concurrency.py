"""Eight OS processes issuing commands at once against one PostgreSQL database."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from conftest import MANAGER
from pgsupport import pg_schema  # noqa: F401  (fixture)

WRITERS = 8


def _env(pg: dict[str, Any]) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("COMPLAINTCTL_")}
    env.update(
        POSTGRES_HOST=str(pg["host"]),
        POSTGRES_PORT=str(pg["port"]),
        POSTGRES_DBNAME=str(pg["dbname"]),
        POSTGRES_USER=str(pg["user"]),
        POSTGRES_SCHEMA=str(pg["schema"]),
        COMPLAINTCTL_BACKEND="postgres",
    )
    return env


def _run(store: Path, env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "complaintctl", "--store", str(store), "--actor", MANAGER, *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_eight_processes_no_lost_update(tmp_path: Path, pg_schema: dict[str, Any]) -> None:  # noqa: F811
    env = _env(pg_schema)
    store = tmp_path / "store"
    assert _run(store, env, "init", "--preset", "car-service").returncode == 0
    new = _run(
        store,
        env,
        "new",
        "--customer",
        "王先生",
        "--contact",
        "138",
        "--channel",
        "walk-in",
        "--category",
        "misquote",
        "--summary",
        "报价错误",
    )
    assert new.returncode == 0, new.stderr
    ref = new.stdout.strip()

    def note(i: int) -> subprocess.CompletedProcess[str]:
        return _run(store, env, "note", ref, f"note from writer {i}")

    def receive(i: int) -> subprocess.CompletedProcess[str]:
        return _run(
            store,
            env,
            "new",
            "--customer",
            f"客户{i}",
            "--contact",
            f"139{i:08d}",
            "--channel",
            "phone",
            "--category",
            "misquote",
            "--summary",
            f"问题{i}",
        )

    with ThreadPoolExecutor(max_workers=WRITERS) as pool:
        notes = list(pool.map(note, range(WRITERS)))
        news = list(pool.map(receive, range(WRITERS)))

    for r in notes + news:
        # Every command either succeeded, or gave up on a conflict (5) after retrying;
        # never lost an update silently and never crashed.
        assert r.returncode in (0, 5), (r.returncode, r.stderr)
        if r.returncode == 5:
            assert "conflict" in r.stderr
    done_notes = [i for i, r in enumerate(notes) if r.returncode == 0]
    assert len(done_notes) >= WRITERS // 2, [r.stderr for r in notes]  # retries succeed

    history = json.loads(_run(store, env, "history", ref, "--json").stdout)
    texts = [e["data"].get("text") for e in history if e["type"] == "Noted"]
    assert sorted(texts) == sorted(f"note from writer {i}" for i in done_notes)

    refs = sorted(r.stdout.strip() for r in news if r.returncode == 0)
    assert len(set(refs)) == len(refs)
    numbers = sorted(int(x.rsplit("-", 1)[1]) for x in [ref, *refs])
    assert numbers == list(range(1, len(numbers) + 1))  # gapless numbering, no duplicates
