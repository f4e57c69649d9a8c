"""Case numbers carry on without the counter's snapshots (a migrated store, or deleted ones).

``new`` reads the year's counter from its first and last events, so it never
replays the year; these tests check the numbering through the real CLI.
"""

from __future__ import annotations

from conftest import Store

from events.numbering import counter_id


def test_numbering_carries_on_when_the_snapshots_are_deleted(store: Store) -> None:
    refs = [store.new(contact=f"1380000000{i}") for i in range(3)]
    for path in store.path.glob("snapshots.*"):
        path.unlink()
    ref = store.new(contact="13800000009")
    assert ref == refs[-1][:-5] + "00004"
    assert store.show(ref)["ref"] == ref
    assert store.json("verify")["ok"] is True


def test_the_counter_is_read_from_its_two_ends(store: Store) -> None:
    """Its year from the first event, the last number and version from the last."""
    from events.application import ComplaintsApp

    refs = [store.new(contact=f"1390000{i:04d}") for i in range(3)]
    app = ComplaintsApp(
        {"PERSISTENCE_MODULE": "complaintctl.filestore", "FILESTORE_PATH": str(store.path)}
    )
    try:
        year = int(refs[0].split("-")[1])
        counter = app._counter(*app._counter_start(app.clock()), "x")
        assert counter.last == 3 and counter.version == 4 and counter.year == year
        assert counter.id == counter_id(year)
    finally:
        app.close()
