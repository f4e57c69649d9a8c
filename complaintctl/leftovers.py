"""What ``forget`` cannot erase about a customer, found before their key is shredded.

Shredding a key erases what was sealed with it: the name, contact and account
and, with ``[privacy] seal_free_text``, the free text of the customer's own
cases. Some things about the customer are not sealed with their key, and
``forget`` lists them (text and ``--json``) so that a person can deal with them:

- ``attachment``: a file attached to one of their cases. Its content is kept
  by its SHA-256 as it was attached (the log records the hash; verify checks it).
- ``plain-text``: free text of their cases that the log holds in plain text,
  written before ``seal_free_text`` was on (or after the customer was forgotten
  once before: no key was left to seal with).
- ``other-case``: another customer's case whose text names them (their name,
  contact or account): sealed, if at all, with the other customer's key.
- ``other-desks``: on a shared database, every other desk's read-model cache
  holds the plain text until that desk's next command rebuilds it.

Nothing listed here repeats the personal data itself: a case reference, a field
name, a hash.
"""

from __future__ import annotations

from typing import Any

import orjson

from events.personal import TEXT_FIELDS
from events.privacy import Forgettable
from projections.case import Case, public
from projections.caselog import case_events
from projections.cases import Filters
from projections.models import ReadModels

#: Shorter needles than this are not searched for in other cases (a one-letter name
#: would match everywhere).
MIN_NEEDLE = 2


def _plain_fields(rm: ReadModels, ref: str) -> list[str]:
    """The free-text fields of a case's events that the log holds in plain text."""
    found: set[str] = set()
    for topic, _version, data in case_events(rm.source, ref):
        for name in TEXT_FIELDS.get(topic, ()):
            value = data.get(name)
            values = value if isinstance(value, list) else [value]
            if any(isinstance(v, str) and v.strip() for v in values):
                found.add(name)
    return sorted(found)


def _needles(plan: list[Forgettable], cases: list[Case]) -> set[str]:
    """The customer's names, contacts and account numbers, as typed (and casefolded)."""
    refs = {ref for e in plan if e.sealed for ref in e.cases}
    out: set[str] = set()
    for e in plan:
        if e.sealed:
            out |= e.names | {e.contact}
    for c in cases:
        if c["ref"] in refs and c.get("account"):
            out.add(c["account"])
    return {n.casefold() for n in out if n and len(n.strip()) >= MIN_NEEDLE}


def not_erased(
    rm: ReadModels, plan: list[Forgettable], cases: list[Case], shared: bool
) -> list[dict[str, Any]]:
    """What stays readable after ``forget`` of the sealed customers in ``plan``.

    ``cases``: the read-model cases the query matched; ``shared``: the store is a
    database other desks read (SQLite, PostgreSQL).
    """
    mine = {ref for e in plan if e.sealed for ref in e.cases}
    kept: list[dict[str, Any]] = []
    for c in cases:
        if c["ref"] not in mine:
            continue
        for a in c.get("attachments") or []:
            kept.append({"kind": "attachment", "case": c["ref"], "sha256": a["sha256"]})
        fields = _plain_fields(rm, c["ref"])
        if fields:
            kept.append({"kind": "plain-text", "case": c["ref"], "fields": fields})
    needles = _needles(plan, cases)
    if needles:
        for other in rm.find(Filters()):
            if other["ref"] in mine:
                continue
            text = orjson.dumps(public(other)).decode().casefold()
            if any(n in text for n in needles):
                kept.append({"kind": "other-case", "case": other["ref"]})
    if shared:
        kept.append({"kind": "other-desks"})
    return kept


def describe(item: dict[str, Any]) -> str:
    """One line of ``forget``'s text output for one thing it could not erase."""
    from complaintctl.i18n import _

    kind = item["kind"]
    if kind == "attachment":
        return _("not erased: {case}: an attachment's content (sha256 {sha256})").format(**item)
    if kind == "plain-text":
        return _("not erased: {case}: free text recorded in plain text ({fields})").format(
            case=item["case"], fields=", ".join(item["fields"])
        )
    if kind == "other-case":
        return _("not erased: {case}: another customer's case names them").format(**item)
    return _("not erased until their next command: the read-model cache of every other desk")
