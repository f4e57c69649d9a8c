"""The statuses of a case and what each still allows: the one home of both.

The aggregate checks ``ALLOWED`` before every command; the read side
(:mod:`projections.case`) and the settings import ``STATUSES`` and ``OPEN``
from here. A refused action gets a named rule and a message for a person
(:func:`refuse_status`).
"""

from __future__ import annotations

from events.errors import RuleRefused

#: A case still being worked on.
OPEN = ("received", "acknowledged", "in_progress", "awaiting_customer")
#: A case whose work is done (for now: every one of them can be reopened).
FINISHED = ("resolved", "closed", "archived", "withdrawn")
STATUSES = (*OPEN, *FINISHED)
#: Who may take up a case from outside.
PARTIES = ("consumer-association", "regulator")
#: Where a case goes when the customer rejected what we offered.
ROUTES = ("arbitration", "court", "consumer-association", "regulator-mediation")
#: What can make a case major after receipt (``trigger`` of ``MajorTriggered``).
TRIGGERS = ("vip", "influential", "media-threat", "passed-around", "group", "outside-party")
#: The reasons the major rules give at receipt for a person's trigger (``events.intake``):
#: a case received with one has that trigger already, so a later ``classify`` with the
#: same flag neither repeats the reason nor records it again.
VIP_REASON = "VIP customer"
MEDIA_REASON = "threat of media exposure"
INFLUENTIAL_REASON = "influential customer ({type})"
#: Where a case's remedy stands (``remedy_state`` of the case document; not a status:
#: a case's statuses are fixed). ``in_progress``: accepted, being carried out, not resolved.
REMEDY_STATES = ("proposed", "rejected", "in_progress", "carried_out")

# What each status still allows; anything else is refused by a named rule.
_OPEN_ACTIONS = frozenset(
    {
        "ack",
        "assign",
        "transfer",
        "classify",
        "note",
        "contact",
        "investigate",
        "assess",
        "escalate",
        "propose",
        "approve",
        "accept",
        "reject",
        "resolve",
        "withdraw",
        "link",
        "attach",
        "extend",
        "external",
        "route",
        "action-done",
    }
)
ALLOWED: dict[str, frozenset[str]] = {
    **{s: _OPEN_ACTIONS for s in OPEN},
    "resolved": frozenset(
        {"note", "attach", "contact", "followup", "close", "reopen", "review", "link", "assign"}
        | {"external", "action-done"}
    ),
    "closed": frozenset({"note", "attach", "followup", "review", "archive", "reopen"})
    | {"external", "action-done"},
    "archived": frozenset({"reopen"}),
    "withdrawn": frozenset({"note", "attach", "review", "archive", "reopen", "link"})
    | {"action-done"},
}
assert set(ALLOWED) == set(STATUSES)


def _a(word: str) -> str:
    """``a resolved`` but ``an acknowledged``: messages are read by people."""
    return f"an {word}" if word[:1] in "aeiou" else f"a {word}"


def refuse_status(action: str, status: str) -> RuleRefused:
    """The refusal of an action the status does not take (the lifecycle order)."""
    if status == "archived":
        return RuleRefused("archived-read-only", "an archived case takes only reopen, by a manager")
    if action == "close":
        return RuleRefused("close-requires-resolved", f"{_a(status)} case cannot be closed")
    if action == "archive":
        return RuleRefused("archive-requires-closed", f"{_a(status)} case cannot be archived")
    if action == "followup":
        return RuleRefused(
            "followup-requires-resolution", f"{_a(status)} case cannot be followed up yet"
        )
    if action == "reopen":
        return RuleRefused("reopen-requires-finished", f"{_a(status)} case is still open")
    if status == "closed":
        return RuleRefused(
            "closed-case-limited",
            "a closed case takes only note, attach, followup, review, archive and reopen",
        )
    if status == "withdrawn":
        return RuleRefused(
            "withdrawn-case-limited",
            "a withdrawn case takes only note, attach, review, link, archive and reopen",
        )
    if status == "resolved":
        return RuleRefused(
            "resolved-case-limited",
            f"a resolved case cannot take {action}; reopen it first",
        )
    return RuleRefused("lifecycle-order", f"{_a(status)} case cannot take {action}")
