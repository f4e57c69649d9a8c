"""Moving a real store's story into the past, for tests of reports on past days.

The CLI stamps every event with the time it runs. To test what a report of a
past day says (and that it stays the same), a test tells its story now and then
moves every time in the log back by whole days: the date part of each ISO time
is shifted in place, so every line keeps its length; the hash chain is then
computed again as docs/storage.md defines it, so the moved store verifies and
takes new events. The store's indexes and the read-model cache are deleted
(always safe) so that the next command reads the moved log afresh.
"""

from __future__ import annotations

import hashlib
import json
import re
import shutil
from datetime import date, timedelta
from pathlib import Path

_ISO = re.compile(rb"(\d{4}-\d{2}-\d{2})(?=T\d{2}:\d{2})")


def age_store(store: Path, days: int) -> None:
    """Every time in the file store's logs moved ``days`` days back."""

    def back(m: re.Match[bytes]) -> bytes:
        d = date.fromisoformat(m.group(1).decode()) - timedelta(days=days)
        return d.isoformat().encode()

    for name in ("events.jsonl", "snapshots.jsonl"):
        path = store / name
        if path.exists():
            data = path.read_bytes()
            moved = _rechain(_ISO.sub(back, data))
            assert len(moved) == len(data)
            path.write_bytes(moved)
        (store / f"{path.stem}.index.sqlite").unlink(missing_ok=True)
    shutil.rmtree(store / "cache", ignore_errors=True)


def _rechain(log: bytes) -> bytes:
    """The log with each line's ``hash`` computed again (docs/storage.md, the hash chain)."""
    prev = "0" * 64
    out = []
    for line in log.split(b"\n")[:-1]:
        old = json.loads(line)["hash"]
        member = b',"hash":"' + old.encode() + b'"'
        body = line.replace(member, b"", 1)
        prev = hashlib.sha256(prev.encode() + body).hexdigest()
        out.append(line.replace(member, b',"hash":"' + prev.encode() + b'"', 1))
    return b"".join(x + b"\n" for x in out)
