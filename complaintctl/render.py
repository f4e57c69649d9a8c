"""The one place that turns results into output: JSON shapes, tables, safe text.

Stored text is kept verbatim; only what reaches a terminal is neutralised by
:func:`safe` (control characters, escape sequences and bidi overrides become
visible ``\\x1b``-style escapes). JSON output escapes control characters by
itself, so it carries the exact stored value.
"""

from __future__ import annotations

import json
import re
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import click
from tabulate import tabulate

# C0 and C1 controls, DEL, and the Unicode bidi embedding/override/isolate marks.
_UNSAFE = re.compile("[\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\u200e\u200f]")
_UNSAFE_MULTILINE = re.compile(
    "[\x00-\x09\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\u200e\u200f]"
)


def _escape(m: re.Match[str]) -> str:
    c = m.group()
    return f"\\x{ord(c):02x}" if ord(c) < 0x100 else f"\\u{ord(c):04x}"


def safe(value: Any, *, multiline: bool = False) -> str:
    """Text fit for a terminal: nothing a user typed can move the cursor or recolour."""
    if value is None:
        return ""
    text = value if isinstance(value, str) else str(value)
    return (_UNSAFE_MULTILINE if multiline else _UNSAFE).sub(_escape, text)


# What json.dumps(ensure_ascii=False) leaves raw but a terminal may act on.
_JSON_UNSAFE = re.compile("[\x7f-\x9f\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]")


def to_json(data: Any) -> str:
    """Readable UTF-8 JSON in which no character can act on a terminal.

    The characters escaped can only occur inside strings, so the escapes
    decode to exactly the stored value.
    """
    return json_safe(json.dumps(data, ensure_ascii=False, indent=2))


def json_safe(text: str) -> str:
    """JSON text (from any encoder) with the characters a terminal acts on written as escapes.

    JSON encoders escape only U+0000-U+001F; C1 controls (U+009B starts an escape
    sequence on many terminals) and direction marks pass raw without this.
    """
    return _JSON_UNSAFE.sub(lambda m: f"\\u{ord(m.group()):04x}", text)


def emit_json(data: Any) -> None:
    """One JSON document on stdout, nothing else."""
    click.echo(to_json(data))


def table(rows: list[list[Any]], headers: list[str] | None = None) -> str:
    """A table aligned also for Chinese text (tabulate measures with wcwidth)."""
    cells = [[safe(c) for c in row] for row in rows]
    if headers is None:
        return tabulate(cells, tablefmt="plain", disable_numparse=True)
    return tabulate(cells, headers=headers, tablefmt="simple", disable_numparse=True)


def local_time(iso: str | None, zone: ZoneInfo) -> str:
    """An ISO time from the model, shown in the shop's zone to the minute."""
    if not iso:
        return ""
    try:
        dt = datetime.fromisoformat(iso)
    except ValueError:
        return safe(iso)
    return dt.astimezone(zone).strftime("%Y-%m-%d %H:%M %Z")


_TIME_KEYS = {
    "received_at",
    "occurred_at",
    "acknowledged_at",
    "reply_by",
    "decision_due",
    "resolved_at",
    "closed_at",
    "archived_at",
    "created_at",
    "updated_at",
}


def case_text(case: dict[str, Any], zone: ZoneInfo) -> str:
    """The human form of ``show``: the fields, then proposals, attachments and notes."""
    fields = [
        "ref",
        "status",
        "customer",
        "contact",
        "account",
        "channel",
        "category",
        "severity",
        "severity_by",
        "owner",
        "first_ask_owner",
        "tier",
        "summary",
        "demand",
        "mood",
        "received_at",
        "occurred_at",
        "reply_by",
        "decision_due",
        "valid",
        "root_cause",
        "resolution",
        "closed_at",
        "archived_at",
        "withdrawn_reason",
        "version",
    ]
    rows: list[list[Any]] = []
    for key in fields:
        value = case.get(key)
        if value is None or value == "":
            continue
        if key in _TIME_KEYS:
            value = local_time(value, zone)
        rows.append([key, value])
    if case.get("demand_amount"):
        rows.append(["demand_amount", f"{case['demand_amount']} {case.get('demand_currency')}"])
    for key in ("major_reasons", "at_fault", "links", "groups", "findings"):
        if case.get(key):
            rows.append([key, "; ".join(str(v) for v in case[key])])
    for d in case.get("departments", []):
        rows.append([d["mode"], f"{d['department']} {d.get('reason') or ''}".strip()])
    parts = [table(rows)]
    if case.get("proposals"):
        parts.append("\nProposals")
        parts.append(
            table(
                [
                    [
                        p["number"],
                        p["kind"],
                        f"{p['amount']} {p['currency']}" if p.get("amount") else "",
                        p["state"],
                        "yes" if p["needs_approval"] else "no",
                        p.get("approved_by") or "",
                        p.get("detail") or "",
                    ]
                    for p in case["proposals"]
                ],
                ["#", "remedy", "amount", "state", "needs approval", "approved by", "detail"],
            )
        )
    if case.get("attachments"):
        parts.append("\nAttachments")
        parts.append(
            table(
                [
                    [a["name"], a["kind"], a["size"], a["media_type"], a["sha256"][:16]]
                    for a in case["attachments"]
                ],
                ["name", "kind", "bytes", "type", "sha256"],
            )
        )
    if case.get("followups"):
        parts.append("\nFollow-ups")
        parts.append(
            table(
                [
                    [
                        local_time(f["at"], zone),
                        f["outcome"],
                        f.get("satisfaction") or "",
                        f.get("leftover") or "",
                    ]
                    for f in case["followups"]
                ],
                ["at", "outcome", "satisfaction", "leftover"],
            )
        )
    if case.get("contacts"):
        parts.append("\nContacts")
        parts.append(
            table(
                [
                    [local_time(c["at"], zone), c["outcome"], c.get("channel"), c.get("summary")]
                    for c in case["contacts"]
                ],
                ["at", "outcome", "channel", "what was said"],
            )
        )
    if case.get("reviews"):
        parts.append("\nReviews")
        parts.append(
            table(
                [
                    [r["by"], r["root_cause"], r["lesson"], r.get("action"), r.get("action_owner")]
                    for r in case["reviews"]
                ],
                ["by", "root cause", "lesson", "action", "action owner"],
            )
        )
    if case.get("notes"):
        parts.append("\nNotes")
        parts.append(
            table(
                [[local_time(n["at"], zone), n["by"], n["text"]] for n in case["notes"]],
                ["at", "by", "text"],
            )
        )
    return "\n".join(parts)


def change_summary(data: dict[str, Any], zone: ZoneInfo) -> str:
    """What an event changed, in one line: its payload less the actor, times in the shop's zone."""
    bits = []
    for key, value in data.items():
        if key == "actor" or value is None or value == [] or value == "":
            continue
        if key in _TIME_KEYS and isinstance(value, str):
            value = local_time(value, zone)
        elif isinstance(value, list):
            value = ", ".join(str(v) for v in value)
        bits.append(f"{key}={value}")
    return "; ".join(bits)


def history_text(events: list[dict[str, Any]], zone: ZoneInfo) -> str:
    return table(
        [
            [
                e["version"],
                local_time(e["recorded_at"], zone),
                e["actor"],
                e["type"],
                change_summary(e["data"], zone),
            ]
            for e in events
        ],
        ["#", "recorded", "actor", "event", "what changed"],
    )
