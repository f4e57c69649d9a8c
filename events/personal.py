"""Personal data sealed per customer, so that one customer can be forgotten (crypto-shredding).

The event log is append-only and hash-chained: a customer's name, contact
and account number cannot be erased from it without breaking the chain that
auditors check. So they never reach it in plain text. Before an event that
carries them is stored, each personal field is sealed (AES-256-CTR, then
HMAC-SHA-256) under a key of that customer's own (the *subject*), kept
outside the log by a :class:`Keyring`. Forgetting a customer deletes that
key: the sealed values stay in the log, byte for byte (the chain still
verifies), but nobody can open them any more, and every reader shows
:data:`FORGOTTEN` instead.

How it plugs into the library (:mod:`events.personalmapper`, for writers only: this
module imports nothing of the library, so a reader opening sealed values never loads it):

- :class:`~events.personalmapper.PersonalMapper` (a ``Mapper`` subclass) wraps the known personal
  fields of the known event topics (:data:`PERSONAL_FIELDS`) in a
  :class:`Personal` value just before encoding; nothing in the domain model
  changes, aggregates keep plain strings.
- :class:`~events.personalmapper.PersonalTranscoding` (a library ``Transcoding``
  for :class:`Personal`) seals on encode and, on decode, opens the value or yields
  ``"[forgotten]"``.
  The stored JSON is ``{"_type_": "personal", "_data_": {"s": subject,
  "k": key id, "v": base64(nonce | tag | ciphertext)}}``.
- The read side decodes raw payloads with orjson, not through the mapper; it
  calls :func:`reveal` on such values with the keyring it was handed
  (``projections.case.val`` does).

The subject of a customer is a keyed hash (HMAC) of the customer key of
``events.ids.customer_key`` (account, else contact), made by the
keyring with a secret of the store's own: the same customer gets the same
subject (and customer file), but the subject cannot be turned back into a
phone number by hashing a phone book. This module knows nothing of files:
``complaintctl.keyring`` keeps keys and the secret in the store directory.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
from typing import Any, Protocol

from events.records import frozen

#: What a reader shows for a personal value whose customer was forgotten.
FORGOTTEN = "[forgotten]"
#: What a reader shows for a sealed value when no keyring is at hand at all.
SEALED = "[encrypted]"
TYPE_NAME = "personal"
#: The event that starts a case (as events.topics has it; this module imports no topics).
RECEIVED = "complaints:Received"

#: The personal fields of each event topic that carries any (sealed when stored).
PERSONAL_FIELDS: dict[str, tuple[str, ...]] = {
    "complaints:Received": ("customer", "contact", "account"),
    "complaints:CustomerFileOpened": ("customer",),
}

#: The free text of each case event (``[privacy] seal_free_text``): what staff type about
#: a customer (their name, their number) is sealed with that customer's key too, so that
#: ``forget`` erases it with the name. A list field seals each of its strings. References
#: of outside parties, staff names, kinds and amounts stay plain: rules and reports read them.
TEXT_FIELDS: dict[str, tuple[str, ...]] = {
    "complaints:Received": ("summary", "demand", "mood", "major_reasons"),
    "complaints:Acknowledged": ("message",),
    "complaints:Transferred": ("reason",),
    "complaints:CoHandled": ("reason",),
    "complaints:Classified": ("reason",),
    "complaints:Noted": ("text",),
    "complaints:CustomerContacted": ("summary",),
    "complaints:Investigated": ("finding",),
    "complaints:Assessed": ("root_cause",),
    "complaints:Escalated": ("reason",),
    "complaints:Deescalated": ("reason",),
    "complaints:RemedyProposed": ("detail", "override_reason"),
    "complaints:RemedyPartAdded": ("detail", "override_reason"),
    "complaints:RemedyAccepted": ("reason",),
    "complaints:RemedyRejected": ("reason",),
    "complaints:Resolved": ("summary",),
    "complaints:FollowedUp": ("leftover",),
    "complaints:Reopened": ("reason",),
    "complaints:Reviewed": ("root_cause", "lesson", "action"),
    "complaints:Withdrawn": ("reason",),
    "complaints:Attached": ("name",),
    "complaints:DecisionExtended": ("reason",),
    "complaints:ExternalPartyInvolved": ("reply",),
    "complaints:ExternalRouteTaken": ("detail",),
    "complaints:ReviewActionDone": ("note",),
    "complaints:MajorTriggered": ("reason",),
}


class Keyring(Protocol):
    """Where per-customer keys live, outside the log; deleting a key forgets a customer."""

    def pseudonym(self, basis: str) -> str:
        """A stable keyed hash of a customer key: the subject id (hex)."""

    def key(self, subject: str) -> bytes | None:
        """The subject's key, or None when it was forgotten (or never made)."""

    def create_key(self, subject: str) -> bytes:
        """The subject's key, made (durably) if it does not exist yet."""

    def create_keys(self, subjects: list[str]) -> None:
        """Make the missing keys of several subjects at once (one durable write per save)."""

    def forget(self, subject: str) -> bool:
        """Delete the subject's key; True if there was one."""


@frozen
class Personal:
    """A personal value on its way into the log, with the customer it belongs to."""

    subject: str
    text: str


def key_id(key: bytes) -> str:
    """A short fingerprint of a key: a value sealed under an earlier key (since forgotten
    and made again for a returning customer) is recognised as forgotten, not as damage."""
    return hashlib.sha256(b"complaintctl-key-id:" + key).hexdigest()[:16]


@frozen
class _Derived:
    """What sealing with one customer's key needs, made once per key."""

    block: Any  # AES-256-ECB under the derived encryption key: the CTR keystream's blocks
    mac: bytes  # the derived MAC key
    kid: str  # key_id(key)


_derived: dict[bytes, _Derived] = {}


def _keys(key: bytes) -> _Derived:
    """The keys derived from a customer's key (cached: a rebuild opens every case's
    three fields, and setting up an AES object costs more than using it)."""
    d = _derived.get(key)
    if d is None:
        if len(_derived) > 100_000:
            _derived.clear()
        aes = _aes()  # here: a reader of an unsealed store never loads it
        enc = hmac.new(key, b"complaintctl-personal-enc", hashlib.sha256).digest()
        d = _Derived(
            block=aes.new(enc, aes.MODE_ECB),
            mac=hmac.new(key, b"complaintctl-personal-mac", hashlib.sha256).digest(),
            kid=key_id(key),
        )
        _derived[key] = d
    return d


def _aes() -> Any:
    """pycryptodome's AES module, loaded without what its loader needs only elsewhere.

    Its ``Crypto.Util._raw_api`` imports ``ctypes.util`` (with subprocess, shutil and
    tempfile) for ``find_library``, which it calls only for a library named without a
    path (its own are loaded by path), and on loading its first library it runs
    ``platform.architecture()``, which starts ``file -b`` on the interpreter, only to
    learn whether the linkage is Windows'. On a POSIX system both are left out: for
    the import, ``ctypes.util`` is a stand-in whose ``find_library`` imports the real one
    on first call (and is gone from ``sys.modules`` afterwards), and the loader's
    cached architecture is filled in as ``platform.architecture()`` gives it there.
    Together about 38 M instructions and a process at each ``show`` of a sealed store
    (BENCHMARKS.md, issue 14, fourth round). The cipher itself is pycryptodome's,
    unchanged; if its loader ever changes, this only loads it the usual way.
    """
    import sys

    if "Crypto.Cipher.AES" in sys.modules or os.name != "posix":
        from Crypto.Cipher import AES

        return AES
    import types

    stub = None
    if "ctypes.util" not in sys.modules:
        stub = types.ModuleType("ctypes.util")

        def find_library(name: str) -> str | None:
            import importlib

            found: str | None = importlib.import_module("ctypes.util").find_library(name)
            return found

        stub.find_library = find_library  # type: ignore[attr-defined]
        sys.modules["ctypes.util"] = stub
    try:
        from Crypto.Util import _raw_api
    finally:
        if stub is not None and sys.modules.get("ctypes.util") is stub:
            del sys.modules["ctypes.util"]
    cached = getattr(_raw_api, "cached_architecture", None)
    if cached == []:
        import struct

        cached[:] = [f"{struct.calcsize('P') * 8}bit", "ELF"]  # type: ignore[index]
    from Crypto.Cipher import AES

    return AES


def ready(key: bytes) -> None:
    """Derive a customer key's sealing keys now (loading the cipher the first time), so a
    save made under a lock afterwards only seals: ``new`` numbers under one."""
    _keys(key)


def _ctr(block: Any, nonce: bytes, data: bytes) -> bytes:
    """AES-CTR as NIST SP 800-38A and pycryptodome's ``MODE_CTR`` with a 12-byte nonce:
    counter blocks ``nonce || 32-bit big-endian counter`` from 0, encrypted, XORed in.

    Made from one cached ECB object rather than a new CTR object per value (about
    half the cost); tests check it against ``MODE_CTR`` byte for byte.
    """
    n = len(data)
    if n == 0:
        return b""
    counters = b"".join(nonce + i.to_bytes(4, "big") for i in range((n + 15) // 16))
    stream = block.encrypt(counters)[:n]
    return (int.from_bytes(data, "big") ^ int.from_bytes(stream, "big")).to_bytes(n, "big")


def seal(text: str, subject: str, key: bytes) -> dict[str, str]:
    """Encrypt one value: AES-256-CTR, then HMAC-SHA-256 over subject, nonce and ciphertext.

    Encrypt-then-MAC with pycryptodome's AES rather than AES-GCM: pycryptodome
    sets a GCM object up in about 50 microseconds, and a rebuild opens three
    fields per case (a million cases: minutes); this is several times faster,
    with the same guarantees (confidentiality, and any change is detected).
    """
    return seal_all([text], subject, key)[0]


def seal_all(texts: list[str], subject: str, key: bytes) -> list[dict[str, str]]:
    """Seal several values of one customer as :func:`seal` seals each (a nonce of its own
    each), with one AES call for all their counter blocks: an event's personal fields and
    free text share the key, and a call into the cipher costs more than its blocks."""
    d = _keys(key)
    plains = [t.encode("utf-8") for t in texts]
    nonces = [os.urandom(12) for _ in plains]
    counters = b"".join(
        nonce + i.to_bytes(4, "big")
        for nonce, plain in zip(nonces, plains, strict=True)
        for i in range((len(plain) + 15) // 16)
    )
    stream = d.block.encrypt(counters) if counters else b""
    who = subject.encode()
    out, at = [], 0
    for nonce, plain in zip(nonces, plains, strict=True):
        n = len(plain)
        blocks = stream[at : at + n]
        at += (n + 15) // 16 * 16
        ciphertext = (
            (int.from_bytes(plain, "big") ^ int.from_bytes(blocks, "big")).to_bytes(n, "big")
            if n
            else b""
        )
        tag = hmac.digest(d.mac, who + nonce + ciphertext, "sha256")[:16]
        out.append(
            {"s": subject, "k": d.kid, "v": base64.b64encode(nonce + tag + ciphertext).decode()}
        )
    return out


def is_sealed(value: Any) -> bool:
    return type(value) is dict and set(value) == {"s", "k", "v"}


def unseal(data: dict[str, str], keyring: Keyring | None) -> str:
    """The plain value, or FORGOTTEN when its key is gone; DataError if it was tampered with."""
    if keyring is None:
        return SEALED
    key = keyring.key(data["s"])
    if key is None:
        return FORGOTTEN
    d = _keys(key)
    if d.kid != data["k"]:
        return FORGOTTEN
    raw = base64.b64decode(data["v"])
    nonce, tag, ciphertext = raw[:12], raw[12:28], raw[28:]
    want = hmac.new(d.mac, data["s"].encode() + nonce + ciphertext, hashlib.sha256).digest()[:16]
    if not hmac.compare_digest(tag, want):
        from eventsourcing.persistence import DataError  # the library's: exit 6

        raise DataError(f"a sealed personal value of subject {data['s']} is damaged")
    return _ctr(d.block, nonce, ciphertext).decode("utf-8")


def subject_of(topic: str, state: dict[str, Any], keyring: Keyring) -> str:
    """Whose personal data an event carries (the customer file's key is the subject)."""
    from events.ids import customer_key  # not events.customers: an aggregate's module

    if topic == "complaints:CustomerFileOpened":
        return str(state["key"])
    return keyring.pseudonym(customer_key(state["customer"], state["contact"], state["account"]))


# -- the read side -------------------------------------------------------------


def reveal(value: Any, keyring: Keyring | None) -> Any:
    """A raw payload value as a reader shows it: sealed values opened (or FORGOTTEN).

    ``value`` is either the transcoded wrapper (``{"_type_": "personal", ...}``)
    or its ``_data_``; anything else is returned as it is. The keyring is the
    caller's (the read models are handed the application's): without one a
    sealed value reads :data:`SEALED`.
    """
    if type(value) is dict and value.get("_type_") == TYPE_NAME:
        value = value["_data_"]
    if is_sealed(value):
        return unseal(value, keyring)
    return value


def open_text(
    data: dict[str, Any], fields: tuple[str, ...], keyring: Keyring | None
) -> dict[str, Any]:
    """An event payload with its sealed free text opened (a copy only when any was sealed).

    The case fold calls this once per event, before its handler reads the payload:
    the one place where the read side opens free text.
    """
    out: dict[str, Any] | None = None
    for name in fields:
        value = data.get(name)
        if type(value) is dict:
            opened: Any = reveal(value, keyring)
        elif type(value) is list and any(type(v) is dict for v in value):
            opened = [reveal(v, keyring) for v in value]
        else:
            continue
        if out is None:
            out = dict(data)
        out[name] = opened
    return data if out is None else out
