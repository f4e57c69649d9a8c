"""The bulk path of `import` stores what the library's aggregates and mapper store.

``Receiving.bulk_receipt`` (on by default) makes an import's cases and markers as
their events alone and maps a batch in one pass (``events.bulkreceipt``,
``events.bulkmapper``); off, the same rows go through ``Complaint(...)``,
``ImportedRow(...)`` and ``save_many`` (the library's ``_create`` and mapper).
The same CSV imported both ways into two copies of one store (one secret: the
same subjects and customer file ids) must store the same events: ids, versions,
topics, the same keys in the same order, the same values, sealed values sealed
for the same subject and opening to the same text. What legitimately differs:
``recorded_at`` (the saving command's clock) and, in a sealed value, its key id
``k`` (each store made its own key for a new customer) and ``v`` (a random nonce).
"""

from __future__ import annotations

import json
import shutil
import tomllib
from pathlib import Path
from typing import Any

import orjson
import pytest
import tomli_w
from conftest import MANAGER, Store

from complaintctl import config as configuration
from complaintctl.app import persistence_env
from complaintctl.keyring import open_keyring
from complaintctl.migrate import construct_factory, iter_notifications
from events.personal import TYPE_NAME, Keyring, reveal
from events.receipt import Receiving

HEADER = (
    "customer,contact,account,channel,category,summary,demand,demand_amount,currency,vip,"
    "severity,received_at\n"
)
ROWS = [
    "客户0,13900000000,,walk-in,misquote,第一次 异响,,,,,,2026-11-02T09:00",
    "客户1,13900000001,沪A12345,walk-in,misquote,换了 机油,退款,1200,,,,2026-11-03T09:00",
    "客户0,13900000000,,phone,misquote,第二次,赔偿,99.5,USD,,major,2026-11-04T10:00",
    "客户2,13900000002,,walk-in,misquote,VIP 的车,,,,yes,,2026-11-05T09:00",
    "客户1,13900000001,,walk-in,misquote,只给电话,,,,,,2026-11-06T09:00",
    "客户0,13900000000,,walk-in,misquote,第三次,,,,,,2026-11-07T09:00",
    "客户3,13900000003,沪B54321,walk-in,misquote,新客户,,,,,,2026-11-08T09:00",
    "客户1,13900000009,沪A12345,walk-in,misquote,另一个电话,,,,,,2026-11-09T09:00",
]
AT = "2026-11-20T12:00"


def events(store: Path) -> list[tuple[Any, ...]]:
    f = construct_factory(persistence_env(store, "file", {}, environ={}))
    try:
        return [
            (n.originator_id, n.originator_version, n.topic, orjson.loads(n.state))
            for page in iter_notifications(f.application_recorder())
            for n in page
        ]
    finally:
        f.close()


def comparable(value: Any, keyring: Keyring) -> Any:
    """A payload value with each sealed value as its subject and opened text."""
    if isinstance(value, dict):
        if value.get("_type_") == TYPE_NAME:
            return {"sealed for": value["_data_"]["s"], "text": reveal(value, keyring)}
        return {k: comparable(v, keyring) for k, v in value.items()}
    if isinstance(value, list):
        return [comparable(v, keyring) for v in value]
    return value


def stored(store: Path) -> list[tuple[Any, ...]]:
    keyring = open_keyring(store, persistence_env(store, "file", {}, environ={}))
    out = []
    for oid, version, topic, state in events(store):
        state.pop("recorded_at", None)
        out.append((oid, version, topic, list(state), comparable(state, keyring)))
    return out


@pytest.mark.parametrize("sealed", [True, False])
def test_bulk_and_library_paths_store_the_same_events(
    sealed: bool, store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Sealed: the car-service preset (personal fields and free text); or nothing sealed."""
    if not sealed:  # before any key is made: the store never seals
        cfg = store.path / configuration.CONFIG_NAME
        data = tomllib.loads(cfg.read_text("utf-8"))
        data["privacy"]["encrypt_personal"] = False
        cfg.write_text(tomli_w.dumps(data), "utf-8")
    first = tmp_path / "first.csv"
    first.write_text(HEADER + ROWS[0] + "\n", "utf-8")
    store.ok("import", str(first), "--at", AT, actor=MANAGER)  # the secret, a file, a key
    library = Store(tmp_path / "library")
    shutil.copytree(store.path, library.path)
    path = tmp_path / "cases.csv"
    path.write_text(HEADER + "\n".join(ROWS) + "\n", "utf-8")
    args = ("import", str(path), "--at", AT, "--batch-size", "3", "--json")
    bulk = json.loads(store.ok(*args, actor=MANAGER).stdout)
    monkeypatch.setattr(Receiving, "bulk_receipt", False)
    slow = json.loads(library.ok(*args, actor=MANAGER).stdout)
    assert bulk == {**slow, "file": bulk["file"]}
    assert bulk["imported"] == len(ROWS) - 1 and bulk["already_imported"] == 1
    ours, theirs = stored(store.path), stored(library.path)
    assert len(ours) == len(theirs) > 4 * len(ROWS)
    for a, b in zip(ours, theirs, strict=True):
        assert a == b
    topics = {t for _, _, t, _, _ in ours}
    assert {"complaints:Received", "complaints:RowImported", "complaints:CustomerCaseAdded",
            "complaints:CustomerFileOpened", "complaints:NumberAllocated"} <= topics  # fmt: skip
    received = [s for _, _, t, _, s in ours if t == "complaints:Received"]
    if not sealed:
        assert received[-1]["summary"] == "另一个电话" and received[-1]["customer"] == "客户1"
        return
    assert received[-1]["summary"] == {"sealed for": received[-1]["customer"]["sealed for"],
                                       "text": "另一个电话"}  # fmt: skip
    # The third complaint of 客户0 within 90 days: major by the preset's repeat rule.
    assert [s["severity"] for s in received if s["customer"]["text"] == "客户0"] == [
        "general", "major", "major"]  # fmt: skip
    assert store.json("verify", actor=MANAGER)["ok"] is True
