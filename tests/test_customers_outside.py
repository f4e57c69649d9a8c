"""Customers (the same contact or the same account is the same person) and outside parties,
through the real CLI on the file store and on SQLite."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import Store, make_store


@pytest.fixture(params=["file", "sqlite"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Store:
    return make_store(tmp_path / "store", backend=request.param)


def test_a_plate_given_once_does_not_split_a_customer(store: Store) -> None:
    first = store.new(contact="138 0000 0000", account="沪A·12345")
    second = store.new(contact="13800000000")  # the same phone, no plate this time
    third = store.new(contact="021-5555", account="沪A·12345")  # the plate, another phone
    # The repeat rule (3 within 90 days in the preset) sees all three.
    case = store.show(third)
    assert case["severity"] == "major"
    assert any("complaint 3 of this customer" in r for r in case["major_reasons"])
    for query in ("沪A·12345", "13800000000", "021-5555"):
        found = store.json("customer", query)
        assert [c["ref"] for c in found["cases"]] == [first, second, third], query
        (person,) = found["customers"]
        assert person["cases"] == 3 and person["accounts"] == ["沪A·12345"]
        assert person["repeat_within_rule"] is True
    out = store.ok("customer", "沪a·12345").stdout  # case-insensitive
    assert "REPEAT COMPLAINANT" in out and "[沪A·12345]" in out
    other = store.new(customer="李女士", contact="13911111111")
    assert [c["ref"] for c in store.json("customer", "李女士")["cases"]] == [other]
    store.refused("customer", "nobody-at-all", code=3)
