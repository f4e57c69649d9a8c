"""``forget``: find a customer's sealed personal data, confirm, shred the keys, rebuild.

The rules (who may forget, what can be shredded) are in ``events.privacy``; this
module ties them to the read models, which find the customer and hold plain
text that must go with the keys.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from complaintctl.i18n import _
from complaintctl.keyring import refresh_after_forgets
from complaintctl.leftovers import not_erased
from events.application import ComplaintsApp
from events.errors import RuleRefused
from events.privacy import Forgettable, check_forget, forget_customers, plan_forget
from projections.models import ReadModels


class NothingToForget(LookupError):
    """No customer matches, or every one that does is forgotten already."""


def forget(
    app: ComplaintsApp,
    rm: ReadModels,
    store: Path,
    query: str,
    actor: str,
    *,
    show: Callable[[list[Forgettable]], None],
    confirm: Callable[[], None],
    shared: bool = False,
    warn: Callable[[list[dict[str, Any]]], None] | None = None,
) -> dict[str, Any]:
    """Forget the customers matching ``query``.

    ``show`` hears the plan (who can be forgotten, who cannot); ``confirm`` is
    asked before anything is shredded and raises to stop.

    Returns what ``forget --json`` prints: who was forgotten, and what could not be
    erased (:mod:`complaintctl.leftovers`; found before the keys go, while it reads).
    ``shared``: other desks read the same database; ``warn`` hears what will not be
    erased before ``confirm`` is asked.
    """
    from projections.models import CustomerNotFound

    check_forget(app, actor)
    try:
        found = rm.customer(query)
    except CustomerNotFound:
        raise NothingToForget(_("no customer matches {query}").format(query=repr(query))) from None
    plan = plan_forget(app, found["cases"])
    if not plan:
        already = _("every customer matching {query} is forgotten already")
        raise NothingToForget(already.format(query=repr(query)))
    show(plan)
    subjects = {e.subject: e for e in plan if e.sealed}
    if not subjects:
        raise RuleRefused(
            "forget-needs-sealed-data",
            "the matching customers' personal data is in the log in plain text "
            "and cannot be shredded",
        )
    kept = not_erased(rm, plan, found["cases"], shared)
    if warn is not None:
        warn(kept)
    confirm()
    done = forget_customers(app, list(subjects), actor)
    rm.rebuild()  # the read-model cache held the plain text: a fresh file, the old one gone
    refresh_after_forgets(app.keyring, store, lambda: None)  # other desks: see keyring
    return {
        "forgotten": [
            {"subject": d["subject"], "cases": subjects[d["subject"]].cases,
             "key_deleted": d["key_deleted"]}
            for d in done
        ],
        "not_erased": kept,
    }  # fmt: skip
