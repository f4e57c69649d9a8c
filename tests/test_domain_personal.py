"""The sealing of personal fields on its own (``events.personal``), with a keyring in memory.

The write model knows nothing of files: any :class:`Keyring` will do, so these
tests run on the library's in-memory store (``eventsourcing.popo``).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os

import orjson
import pytest
from Crypto.Cipher import AES
from eventsourcing.persistence import DataError, StoredEvent

from complaintctl.sources import app_source
from events.application import ComplaintsApp, NewCase
from events.customers import customer_key
from events.personal import FORGOTTEN, SEALED, _ctr, reveal, seal, seal_all, unseal
from events.policy import Policy
from projections.caselog import read_case


class MemoryKeyring:
    """A keyring in a dict: enough for the write model."""

    def __init__(self) -> None:
        self.secret = os.urandom(32)
        self.keys: dict[str, bytes] = {}

    def pseudonym(self, basis: str) -> str:
        return hmac.new(self.secret, basis.encode(), hashlib.sha256).hexdigest()[:32]

    def key(self, subject: str) -> bytes | None:
        return self.keys.get(subject)

    def create_key(self, subject: str) -> bytes:
        return self.keys.setdefault(subject, os.urandom(32))

    def create_keys(self, subjects: list[str]) -> None:
        for s in subjects:
            self.create_key(s)

    def forget(self, subject: str) -> bool:
        return self.keys.pop(subject, None) is not None


def test_seal_round_trip_forgotten_and_tampered() -> None:
    ring = MemoryKeyring()
    subject = "ab" * 16
    sealed = seal("王先生", subject, ring.create_key(subject))
    assert "王先生" not in orjson.dumps(sealed).decode()
    assert unseal(sealed, ring) == "王先生"
    assert reveal({"_type_": "personal", "_data_": sealed}, ring) == "王先生"
    assert reveal("plain", ring) == "plain" and reveal(None, ring) is None
    raw = bytearray(base64.b64decode(sealed["v"]))
    raw[-1] ^= 1
    with pytest.raises(DataError):
        unseal({**sealed, "v": base64.b64encode(bytes(raw)).decode()}, ring)
    with pytest.raises(DataError):  # moved to another customer's subject
        other = "cd" * 16
        ring.keys[other] = ring.keys[subject]
        unseal({**sealed, "s": other}, ring)
    ring.forget(subject)
    assert unseal(sealed, ring) == FORGOTTEN
    ring.create_key(subject)  # the customer came back: a new key does not open old values
    assert unseal(sealed, ring) == FORGOTTEN


def test_several_values_sealed_in_one_cipher_call_each_open_on_their_own() -> None:
    """seal_all (an event's fields under one key, one AES call): each value its own nonce,
    each opened by unseal alone, whatever its length against the 16-byte blocks."""
    ring = MemoryKeyring()
    subject = "ef" * 16
    texts = ["", "x", "a" * 16, "b" * 17, "王先生的车后部有异响" * 5, "13800000001"]
    sealed = seal_all(texts, subject, ring.create_key(subject))
    assert [unseal(v, ring) for v in sealed] == texts
    nonces = [base64.b64decode(v["v"])[:12] for v in sealed]
    assert len(set(nonces)) == len(texts)


def test_the_write_model_stores_sealed_fields_and_reads_them_back() -> None:
    ring = MemoryKeyring()
    app = ComplaintsApp({"PERSISTENCE_MODULE": "eventsourcing.popo"}, policy=Policy(), keyring=ring)
    new = NewCase(
        customer="李女士", contact="li@example.com", channel="phone", category="other",
        summary="包间被占", account="VIP-7",
    )  # fmt: skip
    ref = app.receive(new, "张伟")
    stored = [n.state for n in app.recorder.select_notifications(None, 10)]
    assert all(b"li@example.com" not in s and "李女士".encode() not in s for s in stored)
    subject = ring.pseudonym(customer_key("李女士", "li@example.com", "VIP-7"))
    assert subject.encode() in stored[-1]  # the customer file's key is the subject
    assert read_case(app_source(app), ref, ring)["contact"] == "li@example.com"
    assert (
        read_case(app_source(app), ref, None)["contact"] == SEALED
    )  # no keyring passed in: sealed
    ring.forget(subject)
    view = read_case(app_source(app), ref, ring)  # folded from the log
    assert view["customer"] == FORGOTTEN and view["account"] == FORGOTTEN
    assert view["summary"] == "包间被占"


def test_a_damaged_sealed_value_is_a_data_error_not_a_bug() -> None:
    ring = MemoryKeyring()
    app = ComplaintsApp({"PERSISTENCE_MODULE": "eventsourcing.popo"}, policy=Policy(), keyring=ring)
    app.receive(
        NewCase(customer="王先生", contact="138", channel="phone", category="other", summary="s"),
        "张伟",
    )
    received = next(
        n for n in app.recorder.select_notifications(None, 10) if n.topic == "complaints:Received"
    )
    data = orjson.loads(received.state)
    raw = bytearray(base64.b64decode(data["contact"]["_data_"]["v"]))
    raw[-1] ^= 1
    data["contact"]["_data_"]["v"] = base64.b64encode(bytes(raw)).decode()
    damaged = StoredEvent(
        received.originator_id, received.originator_version, received.topic, orjson.dumps(data)
    )
    with pytest.raises(DataError, match="damaged"):
        app.mapper.to_domain_event(damaged)


@pytest.mark.parametrize("size", [0, 1, 15, 16, 17, 100])
def test_the_keystream_is_pycryptodomes_ctr_mode(size: int) -> None:
    key, nonce, data = os.urandom(32), os.urandom(12), os.urandom(size)
    ours = _ctr(AES.new(key, AES.MODE_ECB), nonce, data)
    assert ours == AES.new(key, AES.MODE_CTR, nonce=nonce).encrypt(data)
