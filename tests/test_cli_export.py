"""``complaintctl export``: cases and events out, as JSON Lines or CSV, optionally redacted."""

from __future__ import annotations

import csv
import io
import json

from conftest import Store
from test_cli_read import KEYS


def _two_cases(store: Store) -> tuple[str, str]:
    a = store.new(customer="王先生", contact="13800000000", account="粤A12345")
    b = store.new(customer='=HYPERLINK("http://x")', contact="13900000000")
    store.ok("ack", a, "--reply-by", "+24h")
    store.ok("note", a, "客户很生气")
    return a, b


def test_cases_as_jsonl_have_the_show_keys(store: Store) -> None:
    a, b = _two_cases(store)
    lines = store.ok("export").stdout.splitlines()
    cases = [json.loads(x) for x in lines]
    assert [c["ref"] for c in cases] == [a, b]
    shown = store.show(a)
    for key in KEYS:  # the keys CLI.md promises for show --json
        assert cases[0][key] == shown[key], key


def test_cases_as_csv_are_spreadsheet_safe(store: Store) -> None:
    a, b = _two_cases(store)
    rows = list(csv.DictReader(io.StringIO(store.ok("export", "--format", "csv").stdout)))
    assert [r["ref"] for r in rows] == [a, b]
    assert rows[0]["customer"] == "王先生" and rows[0]["status"] == "acknowledged"
    assert rows[1]["customer"].startswith("'=")  # no formula injection


def test_events_as_jsonl_match_the_log(store: Store) -> None:
    _two_cases(store)
    exported = [json.loads(x) for x in store.ok("export", "--what", "events").stdout.splitlines()]
    logged = [json.loads(x) for x in store.ok("log").stdout.splitlines()]
    assert exported == logged
    assert {"position", "ref", "type", "recorded_at", "actor", "data", "hash"} <= set(exported[0])


def test_redact_replaces_personal_fields_with_stable_pseudonyms(store: Store) -> None:
    a, _ = _two_cases(store)
    store.new(customer="王先生", contact="13800000000")  # the same customer again
    first = [json.loads(x) for x in store.ok("export", "--redact").stdout.splitlines()]
    again = [json.loads(x) for x in store.ok("export", "--redact").stdout.splitlines()]
    assert first == again
    assert (
        first[0]["customer"].startswith("customer-")
        and first[0]["customer"] == first[2]["customer"]
    )
    assert first[0]["contact"].startswith("contact-") and first[0]["account"].startswith("account-")
    text = store.ok("export", "--redact", "--what", "events").stdout
    text += store.ok("export", "--redact", "--format", "csv").stdout
    for secret in ("王先生", "13800000000", "粤A12345", "13900000000"):
        assert secret.casefold() not in text.casefold()
    assert first[0]["summary"] == store.show(a)["summary"]  # free text is kept, as documented
