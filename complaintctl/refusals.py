"""Refusals (and major reasons) in the display language, keyed by their rule id.

The write model words each refusal in English (``events``, the one home of the
rules); this module holds, per rule, the shape of that English text with its
variable parts named, so the catalog can translate it (msgctxt ``refusal``, the
English shape as msgid) and the parts are put back into the translation. A
test keeps these shapes equal to the messages the write model raises. A
message that matches no shape is shown in English, never lost.
"""

from __future__ import annotations

import re
from functools import cache

from complaintctl.i18n import _, label, pgettext

#: rule id (None: the rule is chosen by the caller) -> the English shapes of its messages.
#: ``{a_status}`` is "a"/"an" and a status; ``{status}``, ``{role}``, ``{action}`` are shown
#: as labels; any other ``{name}`` is put back as it was.
SHAPES: dict[str | None, tuple[str, ...]] = {
    "assign-changes-owner": ("{owner} already owns {ref}",),
    "severity-change-needs-reason": ("changing the severity needs --reason",),
    "escalation-goes-up": ("{ref} is already at tier {tier}",),
    "only-manager-lowers-tier": ("only a manager lowers a case from tier {tier} to {to_tier}",),
    "tier-3-needs-supervisor": (
        "only a supervisor or a manager escalates a case to tier 3 (general manager)",
    ),
    "already-approved": ("proposal {number} was approved by {by}",),
    "approval-needs-higher-tier": (
        "proposal {number} needs approval by tier {needed} or above; {name} is tier {tier}",
    ),
    "approval-not-needed": (
        "proposal {number} is within the proposer's limit and needs no approval;"
        " only someone above tier {tier} may endorse it",
    ),
    "remedy-needs-approval": (
        "proposal {number} is above the proposer's limit and is not approved yet",
    ),
    "resolve-with-pending-proposal": ("the customer has not answered proposal {number} yet",),
    "archived-reopen-needs-manager": ("only a manager reopens an archived case",),
    "closed-reopen-needs-supervisor": ("only a supervisor or a manager reopens a closed case",),
    "no-further-extension": ("the config allows no (further) extension of the decision date",),
    "handover-accepted-once": ("this handover was accepted by {by}",),
    "handover-needs-incoming-shift": (
        "the person who handed over cannot accept their own handover",
    ),
    "archived-read-only": ("an archived case takes only reopen, by a manager",),
    "close-requires-resolved": ("{a_status} case cannot be closed",),
    "archive-requires-closed": ("{a_status} case cannot be archived",),
    "followup-requires-resolution": ("{a_status} case cannot be followed up yet",),
    "reopen-requires-finished": ("{a_status} case is still open",),
    "closed-case-limited": (
        "a closed case takes only note, attach, followup, review, archive and reopen",
    ),
    "withdrawn-case-limited": (
        "a withdrawn case takes only note, attach, review, link, archive and reopen",
    ),
    "resolved-case-limited": ("a resolved case cannot take {action}; reopen it first",),
    "lifecycle-order": ("{a_status} case cannot take {action}",),
    "staff-only": ("{actor} is not in the staff list and unknown staff are not allowed",),
    "auditor-read-only": (
        "{actor} is an auditor: auditors read and never write",
        "{actor} is an auditor and cannot own a case",
    ),
    "forget-needs-sealed-data": (
        "this store keeps personal data in plain text ([privacy] encrypt_personal is off), "
        "so it cannot be shredded",
    ),
    "at-before-previous-action": ("--at {at} is before {ref}'s previous action ({previous})",),
    "outside-party-known": ("{party} {reference} is recorded already; add --reply",),
    "route-needs-rejected-proposal": (
        "an external route follows a proposal the customer rejected",
    ),
    "route-already-open": ("{ref} is on an external route already",),
    "no-open-route": ("{ref} is on no external route",),
    "action-already-done": ("action {number} of {ref} is done",),
    "nothing-to-classify": ("{ref} has these reasons already",),
    "ack-message-contradicts-promise": (
        "the message tells the customer {hours} h (by {told}), but {ref}'s promise is {due}: "
        "state --reply-by to match the message, or change the message",
    ),
    "override-needs-manager": ("only a manager overrides {rule}",),
    "proposal-open": (
        "proposal {number} is {state}: use --add (one more part), "
        "--alternative (another option) or --replace (withdraw it and start a new one)",
    ),
    "no-open-proposal": ("--{mode} needs an open proposal; propose without it first",),
    "migrate-into-empty": (
        "the target already holds events; migrate copies into an empty store "
        "(or resumes its own unfinished copy)",
        "the target was written to since the earlier copy (a desk works on it "
        "already): this copy cannot be resumed there; migrate into an empty store, "
        "or keep working on the target",
    ),
    "demo-needs-own-directory": (
        "{directory} is not empty and was not made by the demo (it may hold a real store); "
        "give a new directory with --dir",
    ),
    # Rules named by the caller: the same shapes under any rule id.
    None: (
        "{ref} has no pending remedy proposal",
        "{what} needs the role {roles}; {actor} is {role}",
        "{message} (a manager may override with --override-reason)",
    ),
}


@cache
def _pattern(shape: str) -> re.Pattern[str]:
    parts = re.split(r"(\{[a-z_]+\})", shape)
    regex = "".join(
        f"(?P<{p[1:-1]}>.+?)" if p.startswith("{") and p.endswith("}") else re.escape(p)
        for p in parts
    )
    return re.compile(regex, re.DOTALL)


def _shown(name: str, value: str) -> str:
    if name == "a_status":
        return str(label("status", value.partition(" ")[2] or value))
    if name in ("status", "role", "action", "state"):
        return str(label(name, value))
    if name == "roles":
        return _(" or ").join(str(label("role", r)) for r in value.split(" or "))
    return value


def message(rule: str, english: str) -> str:
    """The refusal's message in the display language (the English one if no shape fits)."""
    for shape in (*SHAPES.get(rule, ()), *SHAPES[None]):
        m = _pattern(shape).fullmatch(english)
        if m is None:
            continue
        translated = pgettext("refusal", shape)
        if translated == shape:
            return english
        values = {k: _shown(k, v) for k, v in m.groupdict().items()}
        return translated.format(**values)
    return english


#: The English shapes of the reasons a case is flagged major by rule (events.intake).
MAJOR_REASONS = (
    "VIP customer",
    "channel {channel}",
    "demand {amount} above {limit}",
    "complaint {n} of this customer within {days} days",
    # a person's call (classify, new), with the reason they gave, and the rules' later ones
    "VIP customer (by {name}: {reason})",
    "VIP customer (by {name})",
    "threat of media exposure: {reason}",
    "threat of media exposure",
    "influential customer ({type}): {reason}",
    "influential customer ({type})",
    "{party} involved ({reference})",
    "passed around: {n} transfers or changes of owner",
    "group complaint {group}: {n} customers",
)


def major_reason(english: str) -> str:
    """A reason the rules flagged a case major, in the display language."""
    return _by_shape("major_reason", MAJOR_REASONS, english)


#: The English shapes of the problems a report keeps in English (the ``problem`` of an
#: import's bad rows and of verify's rows: JSON is the same in every language), shown
#: translated (msgctxt ``detail``). ``{problem}``, ``{what}`` and ``{detail}`` are details,
#: translated in turn.
DETAILS = (
    # import: one bad row (complaintctl.importer)
    "same as line {line}",
    "{cells} cells, header has {columns}",
    "not JSON ({error})",
    "not a JSON object",
    "unknown key(s): {keys}",
    "severity: {value} is not general or major",
    "demand_amount: {value} is not a number",
    "demand_amount: must be a number not below 0",
    "currency: {value} is not a 3-letter code",
    "vip: {value} is not yes or no",
    "{column}: expected text",
    "{column}: contains a NUL character",
    "{column}: longer than {limit} characters",
    "{column}: missing",
    # attachments copied between stores (complaintctl.attachments)
    "attachment {sha}: its bytes hash to {other}",
    "attachment {sha}: part {part} is missing",
    # warnings of the store and the read side (logging; complaintctl.cli.context)
    "rebuilding the read-model cache: {problem}",
    "the read-model cache {path} is unreadable ({error}); rebuilding it",
    "the read-model cache {path} is busy: reading through a temporary one",
    "{path} is not writable here: read models are built in a temporary cache",
    "{path} cannot be written ({error}): read models are built in a temporary cache",
    "cache format {found} is not {wanted}",
    "the config's calendar or targets changed",
    "the store's backend changed",
    "the log is not the one the cache was built from",
    "the event at position {position} the cache has read is gone",
    "index {path} is unreadable: rebuilding it",
    "index {path} has another format: rebuilding it",
    "index {path} is damaged ({error}): rebuilding it",
    "index {path} does not match the log: rebuilding it",
    "index of {path} lacks rows: rebuilding it",
    "index of {path} does not match the log: rebuilding it",
    "{path} line {line} is damaged ({problem}): reads go on, writes are refused",
    "{path}: the line at byte {offset} is damaged and was skipped",
    "moved {count} bytes of an unfinished write from the end of {path} to {target}",
    "no snapshot of {id}: {error}",
    # import of an events export: one bad line (complaintctl.eventimport)
    "{what}: expected an ISO time",
    "{what}: {value} is not an ISO time",
    "{what}: {value} has no time zone",
    "not an event: no {keys}",
    "unknown event topic {topic}",
    "data: expected an object",
    "version: {value} is not a number from 1",
    "originator_id: {value} is not a UUID",
    "version {version} of {case} again (line {line})",
    "{what}: {value} is not a number",
    "{what}: {value} is not a UUID",
    "line {line}: {problem}",
    "not an events export (what `export --what events` writes)",
    # the write model's input checks (events: InvalidInput, shown by errors.translate);
    # the specific before the general ("the group name" before "{what} must not be empty")
    "the group name must not be empty",
    "the group name is {length} characters long: at most {limit}",
    "{what} is {length} characters long: at most {limit}",
    "{option} must be one of {values}",
    "--currency needs --loss",
    "--currency needs --amount",
    "--currency needs --demand-amount",
    "--amount and --currency go together",
    "--action-owner and --action-due need --action",
    "--concluded needs the outcome",
    "--at {at} is in the future (now is {now})",
    "link needs two cases, or one case and --group",
    "classify needs --category or --severity",
    "escalate needs a --reason",
    "a note needs some text",
    "a handover needs a shift name",
    "not a handover id: {value}",
    "tier must be 1, 2 or 3",
    "satisfaction must be 1 to 5",
    "satisfaction and leftover need outcome 'reached'",
    "the promised reply time is before the complaint was received",
    "{ref} has review actions 1..{n}, not {number}",
    "proposal {number} offers {n} options: say which with --option 1..{last}",
    "proposal {number} has options 1..{n}, not {option}",
    "customer type {value} is not one the config lists as influential ({known})",
    "unknown shift {value}; the config knows: {known}",
    "not a dotted key: {key}",
    # what an amount is, named in the checks of events.money ({what}, translated in turn)
    "amount",
    "the demand amount",
    "the loss",
    # ...its checks of a new case (events.policy, events.money, events.intake), met by an
    # import's rows and by ``new``
    "unknown category {value}; the config knows: {known}",
    "unknown channel {value}; the config knows: {known}",
    "unknown department {value}; the config knows: {known}",
    "unknown currency code {value} (ISO 4217, e.g. CNY, USD)",
    "the received time is in the future",
    "the received time is after --at (when it was recorded)",
    "the problem cannot have occurred after it was received",
    "{what} has more than {places} decimal places",
    "{what} must be a finite number",
    "{what} must not be above {limit}",
    "{what} must not be negative",
    "{what} must not be empty",
    # verify: a log line, an attached file (complaintctl.filestore, complaintctl.attachments)
    "bad line: {problem}",
    "broken hash chain (the line or the one before it was changed)",
    "gap in positions: found {found}, expected {expected}",
    "missing originator_id or version",
    "version out of order for {id}: {version} after {last}",
    "neither an event nor a tracking record",
    "unfinished write at the end of the log (a writer died; "
    "the next write moves it to quarantine/)",
    # ...and the problem of a bad line (complaintctl.filestore.lines)
    "bad JSON ({error})",
    "malformed data member",
    "missing or malformed hash",
    "hash member out of place",
    # ...a counter whose snapshot disagrees with the log (complaintctl.integrity)
    "case counter {id}: the log allocated number {number} at version {version}, but the "
    "counter {detail}; its snapshot was changed (new cases would get wrong numbers or fail)",
    "loads as {state}",
    "cannot be loaded ({error})",
    # ...a case the read cache holds otherwise than the log (projections.cases)
    "{ref}: missing from the cache",
    "{ref}: in the cache but not in the log",
    "{ref}: the cache differs from the log in {keys}",
    "the log is damaged: {error}",
    "cannot read: {error}",
    "missing",
    "changed (hash differs)",
    "changed (size {size}, recorded {recorded})",
    "changed (part {part} of {parts} is missing)",
)


def detail(english: str) -> str:
    """A problem's detail (a bad import row, a verify row) in the display language."""
    return _by_shape("detail", DETAILS, english, nested=("problem", "what", "detail"))


def _by_shape(
    context: str, shapes: tuple[str, ...], english: str, nested: tuple[str, ...] = ()
) -> str:
    for shape in shapes:
        m = _pattern(shape).fullmatch(english)
        if m is not None:
            translated = pgettext(context, shape)
            if translated == shape:
                return english
            values = m.groupdict()
            for name in nested:
                if name in values:
                    values[name] = _by_shape(context, shapes, values[name], nested)
            return translated.format(**values)
    return english


def refused(rule: str, english: str) -> str:
    """The whole line after ``Error:``: the rule id as it is, the message translated."""
    return _("refused by rule {rule}: {message}").format(rule=rule, message=message(rule, english))
