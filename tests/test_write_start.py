"""What a writing command's fresh process leaves out (issue 14, fifth round): logging
(only a failed snapshot warns), the bulk path of ``import``, the other commands'
modules; and a failed snapshot still warns through logging."""

from __future__ import annotations

import logging

import pytest
from conftest import MANAGER, Store
from test_cold_start import _modules

from complaintctl.app import open_app

#: Loaded by none of note, ack and new.
NOT_ON_A_WRITE = {
    "logging",
    "events.bulkreceipt",
    "events.bulkmapper",
    "complaintctl.cli.casework",
    "complaintctl.cli.reading",
}


def test_a_write_loads_no_logging_nor_the_bulk_path_nor_other_commands(store: Store) -> None:
    ref = store.new()
    runs = (
        (("note", ref, "客户来电"), "complaintctl.cli.cases", "complaintctl.cli.newcase"),
        (("ack", ref), "complaintctl.cli.cases", "complaintctl.cli.newcase"),
        (
            ("new", "--customer", "赵女士", "--contact", "15000000001", "--channel", "phone",
             "--category", "billing", "--summary", "多收费"),
            "complaintctl.cli.newcase",
            "complaintctl.cli.cases",
        ),
    )  # fmt: skip
    for args, module, other in runs:
        r, loaded = _modules(store.path, *args)
        assert r.returncode == 0, (args, r.stderr)
        assert module in loaded and "events.application" in loaded, args
        assert sorted(loaded & (NOT_ON_A_WRITE | {other})) == [], args
        assert "complaintctl.dataclasscode" in loaded, args


def test_a_failed_snapshot_still_warns(
    store: Store, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    from eventsourcing.persistence import OperationalError

    ref = store.new()
    app = open_app(store.path)
    try:

        def refuse(*_args: object, **_kwargs: object) -> None:
            raise OperationalError("disk full")

        monkeypatch.setattr(app, "take_snapshot", refuse)
        case_id = app._case(ref).id
        with caplog.at_level(logging.WARNING):
            app._snapshot(case_id)
        assert f"no snapshot of {case_id}: disk full" in caplog.text
        assert caplog.records[-1].name == "events.casestore"
    finally:
        app.close()
    assert store.ok("show", ref, actor=MANAGER)
