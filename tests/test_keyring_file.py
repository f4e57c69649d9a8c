"""The file store's keyring (``complaintctl.keyring.FileKeyring``) on a real key database."""

from __future__ import annotations

from pathlib import Path

from complaintctl.keyring import FileKeyring


def test_keys_made_in_one_go_are_read_back_in_one_go_by_another_keyring(tmp_path: Path) -> None:
    """More subjects than one IN (...) query holds: every key read back is the one made,
    a subject without a key and a text that is no subject read as None."""
    subjects = [f"{i:032x}" for i in range(1_234)]
    maker = FileKeyring(tmp_path)
    maker.create_keys(subjects)
    made = {s: maker.key(s) for s in subjects}
    assert all(isinstance(k, bytes) and len(k) == 32 for k in made.values())
    assert len(set(made.values())) == len(subjects)
    maker.close()

    reader = FileKeyring(tmp_path)
    unknown, not_a_subject = "f" * 32, "王先生"
    got = reader._read_keys([*reversed(subjects), unknown, not_a_subject])
    assert got == {**made, unknown: None, not_a_subject: None}
    assert reader.key(subjects[7]) == made[subjects[7]]
    reader.create_keys([*subjects[:10], unknown])  # only the one without a key is new
    assert {s: reader.key(s) for s in subjects[:10]} == {s: made[s] for s in subjects[:10]}
    assert isinstance(reader.key(unknown), bytes)
    reader.close()


def test_reading_keys_of_a_store_that_never_sealed_makes_no_key_database(tmp_path: Path) -> None:
    ring = FileKeyring(tmp_path)
    assert ring._read_keys(["a" * 32, "b" * 32]) == {"a" * 32: None, "b" * 32: None}
    assert not ring.exists()
