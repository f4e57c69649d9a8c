"""The fields of a case and of an event each output shows, written once.

``show`` prints a case as key/value lines (CSV, markdown, the case file) or for a
person (the table), ``export`` as one row of its main columns; every one of
these lists is derived from :data:`CASE_FIELDS`, so that a field added to the
case document is named in one place. The table catalog reads the literal list
for the column names a person reads (:mod:`complaintctl.catalog`).
"""

from __future__ import annotations

from complaintctl.render import TIME_KEYS

_SHOW, _EXPORT = "show", "export"
_BOTH = (_SHOW, _EXPORT)

#: Each field of the case document that is one value, in the order of ``show``'s
#: key/value lines, with the outputs that show it: ``show``, and ``export``'s columns.
CASE_FIELDS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("ref", _BOTH),
    ("status", _BOTH),
    ("customer", _BOTH),
    ("contact", _BOTH),
    ("account", _BOTH),
    ("channel", _BOTH),
    ("category", _BOTH),
    ("severity", _BOTH),
    ("severity_by", (_SHOW,)),
    ("owner", _BOTH),
    ("first_ask_owner", _BOTH),
    ("tier", _BOTH),
    ("summary", _BOTH),
    ("demand", _BOTH),
    ("mood", (_SHOW,)),
    ("received_at", _BOTH),
    ("occurred_at", (_SHOW,)),
    ("reply_by", (_SHOW,)),
    ("decision_due", (_SHOW,)),
    ("valid", _BOTH),
    ("root_cause", _BOTH),
    ("acknowledged_at", _BOTH),
    ("remedy_state", (_SHOW,)),
    ("remedy_accepted_at", (_SHOW,)),
    ("resolution", (_SHOW,)),
    ("resolved_at", _BOTH),
    ("closed_at", _BOTH),
    ("archived_at", (_SHOW,)),
    ("withdrawn_reason", (_SHOW,)),
    ("reopen_count", (_EXPORT,)),
    ("version", _BOTH),
)

#: The key/value lines of ``show`` (CSV, TSV, markdown, the case file).
FIELDS = tuple(key for key, shown in CASE_FIELDS if _SHOW in shown)
#: The fields of ``show`` for a person, in the order a handler reads them: the times
#: are told apart, with who acted (``render.case.person_fields``).
PERSON_FIELDS = tuple(key for key in FIELDS if key not in TIME_KEYS)
#: The fields that hold a list, shown joined on one line (``major_reasons`` a person
#: reads with who and when, ``render.case.major_rows``).
LIST_FIELDS = ("major_reasons", "at_fault", "links", "groups", "findings")

#: ``export``'s first columns, what a sheet is sorted by; the others follow in show's order.
_EXPORT_LEAD = ("ref", "status", "received_at")
#: The main columns of ``export --what cases`` (JSON and JSON Lines give the whole case).
EXPORT_CASE_COLUMNS = (
    *_EXPORT_LEAD,
    *(key for key, shown in CASE_FIELDS if _EXPORT in shown and key not in _EXPORT_LEAD),
)
#: The columns of an event (``log``, ``export --what events``).
EVENT_COLUMNS = ("position", "ref", "type", "recorded_at", "actor", "data", "hash")
