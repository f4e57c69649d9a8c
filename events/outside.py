"""The application calls around a case's main line, kept beside ``ComplaintsApp``.

Functions taking the application (as :mod:`events.handovers` and
:mod:`events.privacy`), so the write model's main module stays the glossary
of the case's life: an outside party taking a case up, an external route
after a rejected proposal, a review action done, and a person making a case
major after receipt (VIP, an influential customer, a media threat). The
rules are the aggregate's (:mod:`events.casework`).
"""

from __future__ import annotations

from events.application import ComplaintsApp
from events.complaint import Complaint
from events.errors import InvalidInput, RuleRefused
from events.intake import MEDIA_THREAT
from events.policy import StaffMember


def involve(
    app: ComplaintsApp, ref: str, actor: str, party: str, reference: str, reply: str | None
) -> str:
    """A consumer association or regulator takes the case up (or gets our reply)."""
    return app._change(ref, actor, lambda c, s: c.involve(party, reference, reply, s.name))


def take_route(
    app: ComplaintsApp,
    ref: str,
    actor: str,
    route: str,
    reference: str | None = None,
    detail: str | None = None,
) -> str:
    return app._change(ref, actor, lambda c, s: c.take_route(route, reference, detail, s.name))


def conclude_route(app: ComplaintsApp, ref: str, actor: str, outcome: str) -> str:
    return app._change(ref, actor, lambda c, s: c.conclude_route(outcome, s.name))


def action_done(app: ComplaintsApp, ref: str, actor: str, number: int, note: str | None) -> str:
    return app._change(ref, actor, lambda c, s: c.action_done(number, note, s.name))


def mark_major(
    app: ComplaintsApp,
    ref: str,
    actor: str,
    *,
    vip: bool = False,
    media_threat: bool = False,
    customer_type: str | None = None,
    reason: str | None = None,
    category: str | None = None,
    severity: str | None = None,
) -> str:
    """``classify --vip / --media-threat / --customer-type``: major, each with its reason
    (with ``--category`` or ``--severity`` too: one classify, saved at once).

    A trigger the case has already is not recorded twice; a classify that
    changes nothing is refused (``nothing-to-classify``).
    """
    rules = app.policy.major
    if category is not None:
        app.policy.check_category(category)
    if customer_type is not None and customer_type not in rules.influential_types:
        raise InvalidInput(
            f"customer type {customer_type!r} is not one the config lists as influential "
            f"({', '.join(rules.influential_types) or 'none'})"
        )
    said = f": {reason}" if reason else ""

    def act(c: Complaint, s: StaffMember) -> None:
        c.check_allowed("classify")
        classified = category is not None or severity is not None
        if classified:
            c.classify(category, severity, reason, s.name)
        fired = [
            classified,
            vip and c.trigger_major("vip", f"VIP customer (by {s.name}{said})", s.name),
            media_threat and c.trigger_major("media-threat", f"{MEDIA_THREAT}{said}", s.name),
            customer_type is not None
            and c.trigger_major(
                "influential", f"influential customer ({customer_type}){said}", s.name
            ),
        ]
        if not any(fired):
            raise RuleRefused("nothing-to-classify", f"{c.ref} has these reasons already")

    return app._change(ref, actor, act)
