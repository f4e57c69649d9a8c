"""The one builder of the case document: ``apply(case, topic, data, oid, version, keyring)``.

Every case that a command prints is this fold of the case's stored events:
the checkpointed read model (:mod:`projections.cache`), ``show`` and what a
writing command prints (:mod:`projections.caselog`: that case's events,
read through the store's index), ``show --as-of`` (those events up to a
time) and ``list --as-of`` (every event up to a time). The aggregate keeps
only what its rules read; this module and :mod:`projections.document` (the
document's shape at receipt, and how its values read) are the only places
that know the document.

It works on the stored JSON payload directly (no library mapper: decoding through it is several
times slower, and a rebuild of a million events depends on skipping it).
Personal fields sealed per customer, and the free text sealed with them
(``events.personal.TEXT_FIELDS``), are opened with the keyring the caller
passes in (no keyring: they read ``[encrypted]``; forgotten: ``[forgotten]``),
in :func:`apply` before any handler reads the payload. Values the library's
transcoder wrapped (``{"_type_": "datetime_iso", "_data_": "..."}``) are
unwrapped with :func:`~projections.document.val` where they are read; times stay the exact ISO
strings the write model stored, so ``show --as-of`` gives the same values as
``show``.

Besides the keys of ``show --json`` (docs/cli.md) the state carries a
private ``_`` member with what the read models need and ``show`` does not
print: the case id, the timeline of statuses (the SLA clock pauses on
some), the reply promises and whether each was kept, the escalation steps,
the resolutions and the remedies granted.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

from events.lifecycle import FINISHED, OPEN, STATUSES
from events.personal import TEXT_FIELDS, Keyring, open_text
from events.topics import CASE_TOPICS, RECEIVED
from projections.document import Case, clone, epoch, new_case, priority, public, val

__all__ = [
    "CASE_TOPICS",
    "FINISHED",
    "OPEN",
    "STATUSES",
    "Case",
    "clone",
    "epoch",
    "new_case",
    "priority",
    "public",
    "val",
]


def _start_work(c: Case, ts: str) -> None:
    if c["status"] in ("received", "acknowledged"):
        _set_status(c, "in_progress", ts)


def _set_status(c: Case, status: str, ts: str) -> None:
    """Change the status and keep its timeline (the SLA clock pauses on some statuses)."""
    if c["status"] != status:
        c["status"] = status
        c["_"]["statuses"].append([ts, status])


def _keep_promises(c: Case, ts: str) -> None:
    """Any contact with the customer keeps the reply promises still pending."""
    for p in c["_"]["promises"]:
        if p["kept_at"] is None:
            p["kept_at"] = ts


def _pending(c: Case) -> dict[str, Any] | None:
    proposals: list[dict[str, Any]] = c["proposals"]
    pending = [p for p in proposals if p["state"] == "pending"]
    return pending[-1] if pending else None


def _acknowledged(c: Case, d: dict[str, Any], ts: str) -> None:
    reply_by = val(d["reply_by"])
    _keep_promises(c, ts)  # telling the customer a new time is a contact too
    c["reply_by"] = reply_by
    c["_"]["promises"].append({"reply_by": reply_by, "set_at": ts, "kept_at": None})
    if c["acknowledged_at"] is None:
        c["acknowledged_at"] = ts
    if c["status"] == "received":
        _set_status(c, "acknowledged", ts)


def _assigned(c: Case, d: dict[str, Any], ts: str) -> None:
    c["owner"] = d["owner"]


def _transferred(c: Case, d: dict[str, Any], ts: str) -> None:
    c["departments"].append(
        {"department": d["department"], "mode": "transfer", "reason": d.get("reason")}
    )
    _start_work(c, ts)


def _co_handled(c: Case, d: dict[str, Any], ts: str) -> None:
    c["departments"].append(
        {"department": d["department"], "mode": "co-handle", "reason": d.get("reason")}
    )
    _start_work(c, ts)


def _classified(c: Case, d: dict[str, Any], ts: str) -> None:
    c["category"] = d["category"]
    if d["severity"] != d.get("previous_severity", c["severity"]):
        c["severity_by"] = d.get("severity_by")
    # A stated reason for major is kept, also on a case already major by rule.
    reason = d.get("reason")
    if d["severity"] == "major" and reason and reason not in c["major_reasons"]:
        c["major_reasons"].append(reason)
    c["severity"] = d["severity"]


def _noted(c: Case, d: dict[str, Any], ts: str) -> None:
    c["notes"].append({"text": d["text"], "by": d.get("actor"), "at": ts})


def _contacted(c: Case, d: dict[str, Any], ts: str) -> None:
    c["contacts"].append(
        {
            "outcome": d["outcome"],
            "channel": d.get("channel"),
            "summary": d.get("summary"),
            "at": ts,
        }
    )
    _keep_promises(c, ts)
    _start_work(c, ts)


def _investigated(c: Case, d: dict[str, Any], ts: str) -> None:
    c["findings"].append(d["finding"])
    _start_work(c, ts)


def _assessed(c: Case, d: dict[str, Any], ts: str) -> None:
    c["valid"] = d["valid"]
    c["root_cause"] = d.get("root_cause")
    c["at_fault"] = list(d.get("at_fault") or [])
    # Logs written before the split carry only ``at_fault`` (the aggregate's defaults).
    c["at_fault_staff"] = list(d.get("at_fault_staff") or [])
    c["at_fault_departments"] = list(d.get("at_fault_departments") or [])
    _start_work(c, ts)


def _loss_recorded(c: Case, d: dict[str, Any], ts: str) -> None:
    c["loss"] = {"amount": val(d["loss"]), "currency": d["currency"], "by": d.get("actor")}


def _escalated(c: Case, d: dict[str, Any], ts: str) -> None:
    c["tier"] = d["to_tier"]
    c["escalations"] += 1
    c["_"]["escalated"].append({"at": ts, "from": d["from_tier"], "to": d["to_tier"]})
    _start_work(c, ts)


def _deescalated(c: Case, d: dict[str, Any], ts: str) -> None:
    c["tier"] = d["to_tier"]


def _part(d: dict[str, Any]) -> dict[str, Any]:
    return {
        "kind": d["kind"],
        "amount": val(d.get("amount")),
        "currency": d.get("currency"),
        "detail": d.get("detail"),
        "by": d.get("actor"),
    }


def _totals(parts: list[dict[str, Any]]) -> dict[str, str]:
    """The money of some parts per currency (as strings: the document is JSON)."""
    totals: dict[str, Decimal] = {}
    for p in parts:
        if p["amount"] is not None:
            totals[p["currency"]] = totals.get(p["currency"], Decimal(0)) + Decimal(p["amount"])
    return {k: str(v) for k, v in sorted(totals.items())}


def _overrides(p: dict[str, Any], d: dict[str, Any]) -> None:
    if d.get("override"):
        p["overrides"].append(
            {"rule": d["override"], "reason": d.get("override_reason"), "by": d.get("actor")}
        )


def _proposed(c: Case, d: dict[str, Any], ts: str) -> None:
    for p in c["proposals"]:
        if p["state"] == "pending":
            p["state"] = "superseded"
    first = _part(d)
    proposal = {
        "number": d["proposal"],
        # The first part, at the top for readers of one-part proposals.
        "kind": d["kind"],
        "amount": first["amount"],
        "currency": d.get("currency"),
        "detail": d.get("detail"),
        "proposed_by": d.get("actor"),
        "proposer_tier": d.get("proposer_tier"),
        "needs_approval": d.get("needs_approval", False),
        "required_tier": d.get("required_tier"),
        "approved_by": None,
        "state": "pending",
        "answer_reason": None,
        "options": [{"option": 1, "parts": [first], "total": _totals([first])}],
        "accepted_option": None,
        "supersedes": d.get("supersedes"),
        "overrides": [],
    }
    _overrides(proposal, d)
    c["proposals"].append(proposal)
    c["pending_proposal"] = d["proposal"]
    c["remedy_state"] = "proposed"
    _keep_promises(c, ts)
    _set_status(c, "awaiting_customer", ts)


def _part_added(c: Case, d: dict[str, Any], ts: str) -> None:
    """One more part of an option; an option numbered past the last: an alternative."""
    p = c["proposals"][d["proposal"] - 1]
    n = d["option"]
    if n > len(p["options"]):
        p["options"].append({"option": n, "parts": [], "total": {}})
    option = p["options"][n - 1]
    option["parts"].append(_part(d))
    option["total"] = _totals(option["parts"])
    p["needs_approval"] = d["needs_approval"]
    p["required_tier"] = d["required_tier"] if d["needs_approval"] else None
    p["proposer_tier"] = d["proposer_tier"]
    if not d["approval_kept"]:
        p["approved_by"] = None
    _overrides(p, d)
    _keep_promises(c, ts)


def _approved(c: Case, d: dict[str, Any], ts: str) -> None:
    c["proposals"][d["proposal"] - 1]["approved_by"] = d.get("actor")


def _answered(state: str) -> Callable[[Case, dict[str, Any], str], None]:
    def apply_answer(c: Case, d: dict[str, Any], ts: str) -> None:
        p = c["proposals"][d["proposal"] - 1]
        p["state"], p["answer_reason"] = state, d.get("reason")
        if state == "accepted":
            chosen = d.get("option") or 1
            p["accepted_option"] = chosen
            # Every part of the option the customer took is a remedy granted.
            for part in p["options"][chosen - 1]["parts"]:
                c["_"]["remedies"].append(
                    {
                        "kind": part["kind"],
                        "amount": part["amount"],
                        "currency": part["currency"],
                        "at": ts,
                    }
                )
            c["remedy_state"], c["remedy_accepted_at"] = "in_progress", ts
        else:
            c["remedy_state"] = "rejected"
        pending = _pending(c)
        c["pending_proposal"] = pending["number"] if pending else None
        _keep_promises(c, ts)
        _set_status(c, "in_progress", ts)

    return apply_answer


def _resolved(c: Case, d: dict[str, Any], ts: str) -> None:
    c["resolution"] = d.get("summary")
    c["resolved_at"] = ts
    if c["_"]["first_resolved_at"] is None:
        c["_"]["first_resolved_at"] = ts
    c["_"]["resolutions"].append(ts)
    if c["remedy_state"] == "in_progress":
        c["remedy_state"] = "carried_out"
    _keep_promises(c, ts)
    _set_status(c, "resolved", ts)


def _followed_up(c: Case, d: dict[str, Any], ts: str) -> None:
    c["followups"].append(
        {
            "outcome": d["outcome"],
            "channel": d.get("channel"),
            "satisfaction": d.get("satisfaction"),
            "leftover": d.get("leftover"),
            "by": d.get("actor"),
            "at": ts,
        }
    )
    if d["outcome"] == "reached":
        # A customer still very unhappy with nothing left to fix: a supervisor calls.
        unhappy = d.get("satisfaction") == 1 and not d.get("leftover")
        c["supervisor_flag"] = (
            {"reason": "satisfaction 1 at follow-up, no leftover", "at": ts, "by": d.get("actor")}
            if unhappy
            else None
        )


def _reopened(c: Case, d: dict[str, Any], ts: str) -> None:
    _set_status(c, "in_progress", ts)
    c["supervisor_flag"] = None
    c["reopen_count"] += 1
    c["resolved_at"] = None
    c["closed_at"] = None
    c["archived_at"] = None


def _closed(c: Case, d: dict[str, Any], ts: str) -> None:
    _set_status(c, "closed", ts)
    c["closed_at"] = ts


def _reviewed(c: Case, d: dict[str, Any], ts: str) -> None:
    c["reviews"].append(
        {
            "root_cause": d["root_cause"],
            "lesson": d["lesson"],
            "action": d.get("action"),
            "action_owner": d.get("action_owner"),
            "by": d.get("actor"),
        }
    )
    if d.get("action"):
        c["review_actions"].append(
            {
                "number": len(c["review_actions"]) + 1,
                "action": d["action"],
                "owner": d.get("action_owner"),
                "due": val(d.get("action_due")),
                "done": False,
                "done_at": None,
                "done_by": None,
                "note": None,
            }
        )


def _archived(c: Case, d: dict[str, Any], ts: str) -> None:
    _set_status(c, "archived", ts)
    c["archived_at"] = ts


def _withdrawn(c: Case, d: dict[str, Any], ts: str) -> None:
    _set_status(c, "withdrawn", ts)
    c["withdrawn_reason"] = d.get("reason")


def _linked(c: Case, d: dict[str, Any], ts: str) -> None:
    for r in d.get("refs") or []:
        if r not in c["links"]:
            c["links"].append(r)
    group = d.get("group")
    if group and group not in c["groups"]:
        c["groups"].append(group)


def _attached(c: Case, d: dict[str, Any], ts: str) -> None:
    c["attachments"].append(
        {
            "name": d["name"],
            "size": d["size"],
            "media_type": d["media_type"],
            "sha256": d["sha256"],
            "kind": d["kind"],
            "by": d.get("actor"),
            "at": ts,
        }
    )


def _extended(c: Case, d: dict[str, Any], ts: str) -> None:
    c["decision_extensions"] = d["extension"]
    c["decision_due"] = val(d["decision_due"])


def _involved(c: Case, d: dict[str, Any], ts: str) -> None:
    """An outside party took the case up; the same party and reference again: our reply."""
    for o in c["outside_parties"]:
        if (o["party"], o["reference"]) == (d["party"], d["reference"]):
            break
    else:
        o = {"party": d["party"], "reference": d["reference"], "at": ts, "replies": []}
        c["outside_parties"].append(o)
    if d.get("reply"):
        o["replies"].append({"text": d["reply"], "by": d.get("actor"), "at": ts})


def _route_taken(c: Case, d: dict[str, Any], ts: str) -> None:
    c["external_route"] = {
        "route": d["route"],
        "reference": d.get("reference"),
        "detail": d.get("detail"),
        "at": ts,
        "by": d.get("actor"),
        "concluded_at": None,
        "outcome": None,
    }


def _route_concluded(c: Case, d: dict[str, Any], ts: str) -> None:
    route = c["external_route"]
    if route is not None:
        route["concluded_at"], route["outcome"] = ts, d["outcome"]


def _action_done(c: Case, d: dict[str, Any], ts: str) -> None:
    a = c["review_actions"][d["action"] - 1]
    a["done"], a["done_at"], a["done_by"], a["note"] = True, ts, d.get("actor"), d.get("note")


#: Triggers a rule fires (the others are a person's call: VIP, influential, media threat).
_RULE_TRIGGERS = ("passed-around", "group", "outside-party")


def _major_triggered(c: Case, d: dict[str, Any], ts: str) -> None:
    by_rule = d["trigger"] in _RULE_TRIGGERS
    c["major_triggers"].append(
        {"trigger": d["trigger"], "reason": d["reason"], "by": d.get("actor"), "at": ts}
    )
    c["major_reasons"].append(d["reason"])
    if c["severity"] != "major":
        c["severity"] = "major"
        c["severity_by"] = "rule" if by_rule else d.get("actor")


HANDLERS: dict[str, Callable[[Case, dict[str, Any], str], None]] = {
    "complaints:Acknowledged": _acknowledged,
    "complaints:Assigned": _assigned,
    "complaints:Transferred": _transferred,
    "complaints:CoHandled": _co_handled,
    "complaints:Classified": _classified,
    "complaints:Noted": _noted,
    "complaints:CustomerContacted": _contacted,
    "complaints:Investigated": _investigated,
    "complaints:Assessed": _assessed,
    "complaints:Escalated": _escalated,
    "complaints:Deescalated": _deescalated,
    "complaints:RemedyProposed": _proposed,
    "complaints:RemedyPartAdded": _part_added,
    "complaints:LossRecorded": _loss_recorded,
    "complaints:RemedyApproved": _approved,
    "complaints:RemedyAccepted": _answered("accepted"),
    "complaints:RemedyRejected": _answered("rejected"),
    "complaints:Resolved": _resolved,
    "complaints:FollowedUp": _followed_up,
    "complaints:Reopened": _reopened,
    "complaints:Closed": _closed,
    "complaints:Reviewed": _reviewed,
    "complaints:Archived": _archived,
    "complaints:Withdrawn": _withdrawn,
    "complaints:Linked": _linked,
    "complaints:Attached": _attached,
    "complaints:DecisionExtended": _extended,
    "complaints:ExternalPartyInvolved": _involved,
    "complaints:ExternalRouteTaken": _route_taken,
    "complaints:ExternalRouteConcluded": _route_concluded,
    "complaints:ReviewActionDone": _action_done,
    "complaints:MajorTriggered": _major_triggered,
}
assert set(HANDLERS) | {RECEIVED} == CASE_TOPICS  # every event of a Complaint is folded


def apply(
    case: Case | None,
    topic: str,
    data: dict[str, Any],
    oid: str,
    version: int,
    keyring: Keyring | None = None,
) -> Case | None:
    """Fold one case event into a case's state (``None`` before ``Received``); returns it.

    ``oid`` is the case's uuid as text, ``version`` the event's number in the
    case. The event time is the payload's ``timestamp`` (when the write
    model made the event), so a state folded from a copy of the log at
    another place is the same. A rebuild calls this once per event: one
    dict lookup picks the handler, which changes the state in place.
    """
    ts = data["timestamp"]
    if type(ts) is dict:
        ts = ts["_data_"]
    text = TEXT_FIELDS.get(topic)
    if text is not None:  # :func:`opened`, inline: this runs once per event of a rebuild
        data = open_text(data, text, keyring)
    if topic == RECEIVED:
        return new_case(oid, data, ts, keyring)
    if case is None:
        return None  # an event of a case whose receipt is not in this log: ignore
    HANDLERS[topic](case, data, ts)
    case["updated_at"] = ts
    case["version"] = version
    return case


def opened(topic: str, data: dict[str, Any], keyring: Keyring | None) -> dict[str, Any]:
    """The payload with its free text opened (sealed with the customer's key): the one edge."""
    text = TEXT_FIELDS.get(topic)
    return data if text is None else open_text(data, text, keyring)
