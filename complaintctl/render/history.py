"""``history`` for a person: one sentence per event, in plain words, in the display language.

"张伟 acknowledged the complaint, promised a reply by 12-03 14:00", then what a
person typed (a note, a summary, a reason) on lines of its own below it, its
line breaks kept; every line wrapped to the terminal's width under the
sentence's start. JSON, JSON Lines and CSV keep the events as they are
(:func:`complaintctl.render.case.history_rows`); only this text is worded.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from complaintctl.i18n import N_, _, label
from complaintctl.render import local_time, on_terminal, safe
from complaintctl.render.case import change_summary, recorded_apart

#: One event's words: the sentence, then the texts a person typed (each shown as lines).
Words = tuple[str, list[str]]


class _Say:
    """What every sentence needs: the event's data, values as a person reads them."""

    def __init__(self, data: dict[str, Any], zone: ZoneInfo, year: int) -> None:
        self.d, self.zone, self.year = data, zone, year

    def __call__(self, key: str, context: str | None = None) -> str:
        """The value of ``key`` (a built-in one by its label), safe for a terminal."""
        value = self.d.get(key)
        if value is None:
            return ""
        if isinstance(value, list):
            return ", ".join(safe(label(context or key, str(v)), multiline=True) for v in value)
        shown = label(context or key, value) if isinstance(value, str) else value
        return safe(shown, multiline=True)  # a typed text keeps its lines

    def when(self, key: str) -> str:
        """A time in the sentence: the shop's zone, to the minute, the year when not the event's."""
        value = self.d.get(key)
        if not value:
            return ""
        dt = datetime.fromisoformat(str(value)).astimezone(self.zone)
        return dt.strftime("%m-%d %H:%M" if dt.year == self.year else "%Y-%m-%d %H:%M")

    def money(self, amount: str = "amount", currency: str = "currency") -> str:
        value = self.d.get(amount)
        return f"{safe(value)} {safe(self.d.get(currency) or '')}".strip() if value else ""


def _with(sentence: str, *extras: str) -> str:
    """The sentence and its extras (``; `` between them), the empty ones left out."""
    return _("; ").join([sentence, *(e for e in extras if e)])  # Chinese: a full-width ;


def _maybe(template: str, value: str) -> str:
    return template.format(value=value) if value else ""


def _received(s: _Say) -> Words:
    d = s.d
    sentence = _("{actor} received the complaint of {customer} ({contact}) by {channel}").format(
        actor=s("actor"), customer=s("customer"), contact=s("contact"), channel=s("channel")
    )
    extras = [
        _("category {category}, {severity}").format(category=s("category"), severity=s("severity")),
        _maybe(_("demand {value}"), s.money("demand_amount")),
        _("VIP") if d.get("vip") else "",
        _("signed by the customer") if d.get("signed_by_customer") else "",
        _maybe(_("major: {value}"), _major(d.get("major_reasons") or [])),
        _maybe(_("happened {value}"), s.when("occurred_at")),
        _maybe(_("decision due {value}"), s.when("decision_due")),
    ]
    texts = [s("summary")]
    if d.get("demand"):
        texts.append(_("Demand: {demand}").format(demand=s("demand")))
    return _with(sentence, *extras), texts


def _major(reasons: list[Any]) -> str:
    from complaintctl.refusals import major_reason

    return "; ".join(safe(major_reason(str(r))) for r in reasons)


def _acknowledged(s: _Say, first: bool) -> Words:
    template = (
        _("{actor} acknowledged the complaint, promised a reply by {reply_by}")
        if first
        else _("{actor} promised the customer a new reply time: {reply_by}")
    )
    return template.format(actor=s("actor"), reply_by=s.when("reply_by")), [
        _("Told the customer: {message}").format(message=s("message")) if s("message") else ""
    ]


def _classified(s: _Say) -> Words:
    d = s.d
    changes = []
    if d.get("category") != d.get("previous_category"):
        changes.append(
            _("category {before} → {after}").format(
                before=s("previous_category", "category"), after=s("category")
            )
        )
    if d.get("severity") != d.get("previous_severity"):
        changes.append(
            _("severity {before} → {after}").format(
                before=s("previous_severity", "severity"), after=s("severity")
            )
        )
    sentence = _("{actor} classified the case").format(actor=s("actor"))
    return _with(sentence, *changes), [_maybe(_("Reason: {value}"), s("reason"))]


def _assessed(s: _Say) -> Words:
    template = (
        _("{actor} judged the complaint valid")
        if s.d.get("valid")
        else _("{actor} judged the complaint not valid")
    )
    return _with(
        template.format(actor=s("actor")), _maybe(_("at fault: {value}"), s("at_fault"))
    ), [_maybe(_("Root cause: {value}"), s("root_cause"))]


def _proposed(s: _Say) -> Words:
    d = s.d
    sentence = _("{actor} proposed remedy {proposal}: {kind} {amount}").format(
        actor=s("actor"), proposal=s("proposal"), kind=s("kind"), amount=s.money()
    )
    extras = [
        _("needs approval by tier {tier}").format(tier=s("required_tier"))
        if d.get("needs_approval")
        else "",
        _maybe(_("replaces remedy {value}"), s("supersedes")),
        _maybe(_("rule {value} overridden"), s("override")),
    ]
    return _with(sentence.strip(), *extras), [
        s("detail"),
        _maybe(_("Reason: {value}"), s("override_reason")),
    ]


def _part_added(s: _Say) -> Words:
    sentence = _("{actor} added to remedy {proposal}, option {option}: {kind} {amount}").format(
        actor=s("actor"),
        proposal=s("proposal"),
        option=s("option"),
        kind=s("kind"),
        amount=s.money(),
    )
    extras = [
        _("needs approval by tier {tier}").format(tier=s("required_tier"))
        if s.d.get("needs_approval") and not s.d.get("approval_kept")
        else "",
        _maybe(_("rule {value} overridden"), s("override")),
    ]
    return _with(sentence.strip(), *extras), [
        s("detail"),
        _maybe(_("Reason: {value}"), s("override_reason")),
    ]


def _answered(accepted: bool) -> Callable[[_Say], Words]:
    def words(s: _Say) -> Words:
        template = (
            _("{actor} recorded that the customer accepted remedy {proposal}")
            if accepted
            else _("{actor} recorded that the customer rejected remedy {proposal}")
        )
        sentence = template.format(actor=s("actor"), proposal=s("proposal"))
        return _with(sentence, _maybe(_("option {value}"), s("option"))), [
            _maybe(_("Reason: {value}"), s("reason"))
        ]

    return words


def _followed_up(s: _Say) -> Words:
    sentence = _("{actor} followed up with the customer ({channel}): {outcome}").format(
        actor=s("actor"), channel=s("channel"), outcome=s("outcome")
    )
    sat = s("satisfaction")
    return _with(sentence, _("satisfaction {value}/5").format(value=sat) if sat else ""), [
        _maybe(_("Left over: {value}"), s("leftover"))
    ]


def _reviewed(s: _Say) -> Words:
    sentence = _("{actor} reviewed the case").format(actor=s("actor"))
    action = ""
    if s("action"):
        action = _("Improvement: {action}").format(action=s("action"))
        who = ", ".join(x for x in (s("action_owner"), s.when("action_due")) if x)
        action += f" ({who})" if who else ""
    return sentence, [
        _("Root cause: {value}").format(value=s("root_cause")),
        _("Lesson: {value}").format(value=s("lesson")),
        action,
    ]


def _involved(s: _Say) -> Words:
    if s.d.get("reply"):
        sentence = _("{actor} recorded our reply to {party} (reference {reference})")
        texts = [s("reply")]
    else:
        sentence = _("{party} took the case up (reference {reference}), recorded by {actor}")
        texts = []
    party = s("party", "channel")  # the shop's name for it: the channel of the same name
    return sentence.format(actor=s("actor"), party=party, reference=s("reference")), texts


def _simple(template: str, *texts: str) -> Callable[[_Say], Words]:
    """An event told by one sentence of its values, then the texts named (keys of data)."""

    def words(s: _Say) -> Words:
        values = {k: s(k) for k in s.d} | {
            k: s.when(k) for k in ("decision_due", "reply_by") if k in s.d
        }
        return _(template).format_map(_Blank(values)), [s(k) for k in texts]

    return words


class _Blank(dict[str, str]):
    def __missing__(self, key: str) -> str:
        return ""


SENTENCES: dict[str, Callable[[_Say], Words]] = {
    "Received": _received,
    "Assigned": _simple(N_("{actor} gave the case to {owner} (before: {previous_owner})")),
    "Transferred": _simple(N_("{actor} transferred the case to {department}"), "reason"),
    "CoHandled": _simple(N_("{actor} asked {department} to co-handle the case"), "reason"),
    "Classified": _classified,
    "Noted": _simple(N_("{actor} added a note"), "text"),
    "CustomerContacted": _simple(
        N_("{actor} contacted the customer ({channel}): {outcome}"), "summary"
    ),
    "Investigated": _simple(N_("{actor} recorded a finding"), "finding"),
    "Assessed": _assessed,
    "Escalated": _simple(
        N_("{actor} escalated the case from tier {from_tier} to tier {to_tier}"), "reason"
    ),
    "Deescalated": _simple(
        N_("{actor} moved the case down from tier {from_tier} to tier {to_tier}"), "reason"
    ),
    "RemedyProposed": _proposed,
    "RemedyPartAdded": _part_added,
    "LossRecorded": _simple(N_("{actor} recorded the loss: {loss} {currency}")),
    "RemedyApproved": _simple(N_("{actor} approved remedy {proposal}")),
    "RemedyAccepted": _answered(True),
    "RemedyRejected": _answered(False),
    "Resolved": _simple(N_("{actor} resolved the case"), "summary"),
    "FollowedUp": _followed_up,
    "Reopened": _simple(N_("{actor} reopened the case (it was {from_status})"), "reason"),
    "Closed": _simple(N_("{actor} closed the case")),
    "Reviewed": _reviewed,
    "Archived": _simple(N_("{actor} archived the case")),
    "Withdrawn": _simple(N_("{actor} recorded that the customer withdrew the complaint"), "reason"),
    "Linked": _simple(N_("{actor} linked the case to {refs} {group}")),
    "Attached": _simple(N_("{actor} attached {name} ({attachment}, {size} bytes)")),
    "DecisionExtended": _simple(
        N_("{actor} extended the decision date (extension {extension}) to {decision_due}"),
        "reason",
    ),
    "ExternalPartyInvolved": _involved,
    "ExternalRouteTaken": _simple(
        N_("{actor} recorded that the customer took the route {route} {reference}"), "detail"
    ),
    "ExternalRouteConcluded": _simple(N_("{actor} recorded the route's outcome: {outcome}")),
    "ReviewActionDone": _simple(N_("{actor} marked improvement {action} done"), "note"),
    "MajorTriggered": lambda s: (
        _("{actor}: the case became major").format(actor=s("actor")),
        [_major([s.d.get("reason")])],
    ),
}


def event_words(e: dict[str, Any], zone: ZoneInfo, first_ack: bool = True) -> Words:
    """The sentence and the typed texts of one event (an unknown type: what it changed)."""
    data = dict(e["data"])
    data.setdefault("actor", e.get("actor"))
    if e["type"] == "Attached":
        data["attachment"] = label("attachment", data.get("kind"))
    at = datetime.fromisoformat(e["occurred_at"] or e["recorded_at"]).astimezone(zone)
    say = _Say(data, zone, at.year)
    if e["type"] == "Acknowledged":
        return _acknowledged(say, first_ack)
    words = SENTENCES.get(e["type"])
    if words is None:
        kind = label("type", e["type"])
        return f"{safe(e['actor'])}: {safe(kind)}", [change_summary(e["data"], zone, person=True)]
    sentence, texts = words(say)
    return " ".join(sentence.split()), texts


def history_text(events: list[dict[str, Any]], zone: ZoneInfo) -> str:
    """Each event at its business time, in words; the recorded time too where it differs."""
    columns = None
    if on_terminal():  # a pipe gets whole lines, and never loads the terminal module
        from complaintctl.render.terminal import width

        columns = width()
    digits = max((len(str(e["version"])) for e in events), default=1)
    out = []
    acked = False
    for e in events:
        sentence, texts = event_words(e, zone, first_ack=not acked)
        acked = acked or e["type"] == "Acknowledged"
        head = (
            f"{e['version']:>{digits}}  {local_time(e['occurred_at'] or e['recorded_at'], zone)}  "
        )
        if recorded_apart(e):
            sentence += " " + _("(recorded {time})").format(time=local_time(e["recorded_at"], zone))
        text = "\n".join([sentence, *(t for t in texts if t)])
        if columns is not None:
            from complaintctl.render.terminal import wrap

            text = wrap(text, columns - len(head))
        out.append(head + text.replace("\n", "\n" + " " * len(head)))
    return "\n".join(out)
