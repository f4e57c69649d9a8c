"""The fields of a case and of an event each output shows, written once.

``show`` prints a case as key/value lines (CSV, markdown, the case file) or for a
person (the table), a list as one row of a few columns, ``export`` as one row of
its main columns; every one of these lists is derived from :data:`CASE_FIELDS`,
so that a field added to the case document is named in one place. The table
catalog reads the literal list for the column names a person reads
(:mod:`complaintctl.catalog`).
"""

from __future__ import annotations

from complaintctl.render import TIME_KEYS

_SHOW, _LIST, _EXPORT = "show", "list", "export"
_ALL = (_SHOW, _LIST, _EXPORT)
_SHOW_EXPORT = (_SHOW, _EXPORT)

#: Each field of the case document that is one value, in the order of ``show``'s
#: key/value lines, with the outputs that show it: ``show``, the lists of cases
#: (``list``, ``customer``...) and ``export``'s columns.
CASE_FIELDS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("ref", _ALL),
    ("status", _ALL),
    ("customer", _ALL),
    ("contact", _ALL),
    ("account", _SHOW_EXPORT),
    ("channel", _ALL),
    ("category", _ALL),
    ("severity", _ALL),
    ("severity_by", (_SHOW,)),
    ("owner", _ALL),
    ("first_ask_owner", _SHOW_EXPORT),
    ("tier", _ALL),
    ("summary", _SHOW_EXPORT),
    ("demand", _SHOW_EXPORT),
    ("mood", (_SHOW,)),
    ("received_at", _ALL),
    ("occurred_at", (_SHOW,)),
    ("reply_by", (_SHOW,)),
    ("decision_due", (_SHOW,)),
    ("valid", _SHOW_EXPORT),
    ("root_cause", _SHOW_EXPORT),
    ("acknowledged_at", _SHOW_EXPORT),
    ("remedy_state", (_SHOW,)),
    ("remedy_accepted_at", (_SHOW,)),
    ("resolution", (_SHOW,)),
    ("resolved_at", _SHOW_EXPORT),
    ("closed_at", _SHOW_EXPORT),
    ("archived_at", (_SHOW,)),
    ("withdrawn_reason", (_SHOW,)),
    ("reopen_count", (_EXPORT,)),
    ("version", _SHOW_EXPORT),
)

#: The key/value lines of ``show`` (CSV, TSV, markdown, the case file).
FIELDS = tuple(key for key, shown in CASE_FIELDS if _SHOW in shown)
#: The fields of ``show`` for a person, in the order a handler reads them: the times
#: are told apart, with who acted (``render.case.person_fields``).
PERSON_FIELDS = tuple(key for key in FIELDS if key not in TIME_KEYS)
#: The fields that hold a list, shown joined on one line (``major_reasons`` a person
#: reads with who and when, ``render.case.major_rows``).
LIST_FIELDS = ("major_reasons", "at_fault", "links", "groups", "findings")

#: The first columns of a list and of ``export``, what a case is found and sorted by;
#: the others follow in show's order.
_LEAD = ("ref", "status", "received_at")


def _columns(output: str) -> tuple[str, ...]:
    return (*_LEAD, *(k for k, shown in CASE_FIELDS if output in shown and k not in _LEAD))


#: The columns of a case in lists (``--format csv`` and tables).
CASE_COLUMNS = _columns(_LIST)
#: The main columns of ``export --what cases`` (JSON and JSON Lines give the whole case).
EXPORT_CASE_COLUMNS = _columns(_EXPORT)
#: The columns of an event (``log``, ``export --what events``).
EVENT_COLUMNS = ("position", "ref", "type", "recorded_at", "actor", "data", "hash")
