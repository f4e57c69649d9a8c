"""Group names that could fool a read (issue 13): a 30,000-character name ended in exit 1
("LIKE or GLOB pattern too complex"), and % or _ in a name matched other groups."""

from __future__ import annotations

import pytest
from conftest import Store

from events.groups import MAX_GROUP_NAME

LONG = "破" * 30_000  # 90,000 bytes: over SQLite's 50,000-byte LIKE limit


@pytest.mark.parametrize("command", ["group", "list"])
def test_a_30000_character_group_name_is_refused_with_exit_2(store: Store, command: str) -> None:
    ref = store.new()
    store.ok("link", ref, "--group", "运输破损")
    args = ("group", LONG) if command == "group" else ("list", "--group", LONG)
    r = store.invoke(*args)
    assert r.exit_code == 2, (r.exit_code, r.stderr)
    assert "too long" in r.stderr and "bug" not in r.stderr


def test_linking_into_a_group_with_a_name_too_long_writes_nothing(store: Store) -> None:
    ref = store.new()
    r = store.refused("link", ref, "--group", "破" * (MAX_GROUP_NAME + 1), code=2)
    assert f"at most {MAX_GROUP_NAME}" in r.stderr
    store.ok("link", ref, "--group", "破" * MAX_GROUP_NAME)  # the longest name is fine
    assert [m["ref"] for m in store.json("group", "破" * MAX_GROUP_NAME)["members"]] == [ref]


def test_the_longest_names_in_4_byte_utf8_read_back(store: Store) -> None:
    """A name of the longest kind is found; a longer one nobody made is not (exit 3)."""
    ref = store.new()
    name = "𠀀" * MAX_GROUP_NAME
    store.ok("link", ref, "--group", name)
    assert [c["ref"] for c in store.json("list", "--group", name)] == [ref]
    r = store.invoke("group", "𠀀" * 1000)
    assert r.exit_code == 3, (r.exit_code, r.stderr)  # a name nobody made: not found


def test_wildcards_in_a_group_name_match_only_that_name(store: Store) -> None:
    one = store.new()
    two = store.new(customer="李女士", contact="13900000001")
    store.ok("link", one, "--group", "a_b")
    store.ok("link", two, "--group", "axb")
    assert [c["ref"] for c in store.json("list", "--group", "a_b")] == [one]
    assert [c["ref"] for c in store.json("list", "--group", "a%")] == []
    assert [m["ref"] for m in store.json("group", "a_b")["members"]] == [one]
