"""Stable pseudonyms for exports that leave the shop (``export --redact``).

A name, contact or account number is replaced by ``<kind>-<10 hex digits>``
from an HMAC-SHA256 keyed with a secret kept in the store (created on first
use, mode 0600). The same person gets the same pseudonym in every export of
this store, so a spreadsheet can still count repeat complainants, but the
pseudonym cannot be reversed by hashing a phone book without the secret.
Free text (summaries, notes) is not rewritten: say so to whoever gets it.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
from pathlib import Path
from typing import Any

SECRET_FILE = "export-pseudonym.key"
PERSONAL = {"customer": "customer", "contact": "contact", "account": "account"}
FORGOTTEN = "[forgotten]"


def load_secret(store: Path) -> bytes:
    """The store's pseudonym secret, created (0600) if it does not exist yet."""
    path = store / SECRET_FILE
    try:
        return bytes.fromhex(path.read_text().strip())
    except FileNotFoundError:
        pass
    key = secrets.token_hex(32)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        os.write(fd, key.encode() + b"\n")
        os.fsync(fd)
    finally:
        os.close(fd)
    return bytes.fromhex(key)


class Redactor:
    """Replaces personal fields in case and event dicts with pseudonyms."""

    def __init__(self, secret: bytes) -> None:
        self.secret = secret

    def pseudonym(self, kind: str, value: str) -> str:
        normal = "".join(value.split()).casefold()
        digest = hmac.new(self.secret, f"{kind}:{normal}".encode(), hashlib.sha256).hexdigest()
        return f"{kind}-{digest[:10]}"

    def fields(self, d: dict[str, Any], extra: dict[str, str] | None = None) -> dict[str, Any]:
        out = dict(d)
        for key, kind in (PERSONAL | (extra or {})).items():
            value = out.get(key)
            if isinstance(value, str) and value and value != FORGOTTEN:
                out[key] = self.pseudonym(kind, value)
        return out

    def case(self, case: dict[str, Any]) -> dict[str, Any]:
        return self.fields(case)

    def event(self, event: dict[str, Any]) -> dict[str, Any]:
        data = event.get("data")
        if not isinstance(data, dict):
            return event
        # A customer file's key is derived from the contact or account.
        extra = {"key": "customer-key"} if event.get("type", "").startswith("CustomerFile") else {}
        return {**event, "data": self.fields(data, extra)}
