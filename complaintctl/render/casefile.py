"""``show REF --format html``: a printable case file for the archive or a regulator.

One page that stands on its own: the case's fields, the remedies proposed and
what became of them, the outside parties (consumer association, regulator,
media), the attached evidence with each file's full SHA-256 (so the file in
the archive can be checked against the page), and the whole history, each
event at its business time and, where it was typed in later, at its recorded
time too.

Like the daily report it is safe for mail and print: every style inline (a
mail client drops style sheets), no script, no SVG, no image, nothing
fetched; it shrinks to a 400-pixel phone (long values wrap) and prints on A4
(the one style block is ``@page`` and ``@media print``, which a mail client
may drop without losing anything on screen). All user text is escaped.
"""

from __future__ import annotations

import html
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from complaintctl.i18n import _, heading, label, language
from complaintctl.render import local_time, safe
from complaintctl.render.case import case_fields, change_summary, proposal_rows, recorded_apart
from complaintctl.render.sections import PRINT

# Inline styles only (as the daily report's): mail clients drop style sheets.
_PAGE = (
    "font-family:Arial,'Microsoft YaHei','PingFang SC',sans-serif;color:#222;"
    "margin:0 auto;padding:8px;max-width:720px;font-size:14px;line-height:1.4"
)
_TABLE = "border-collapse:collapse;width:100%;margin:0 0 4px 0;font-size:13px"
_CELL = "border:1px solid #ccc;padding:3px 5px;text-align:left;vertical-align:top"
#: A cell that may hold a long unbroken value (a hash, a URL a customer typed): it may
#: break anywhere, so a phone-wide table never runs off the side.
_LONG = _CELL + ";overflow-wrap:anywhere"
_HEAD = _CELL + ";background:#f0f0f0;font-weight:bold"
_EVENT = "border-top:1px solid #ccc;padding:4px 0;overflow-wrap:anywhere"
_H2 = "font-size:16px;margin:14px 0 4px 0"
_NOTE = "margin:2px 0;color:#555;font-size:12px;overflow-wrap:anywhere"


def _esc(value: Any) -> str:
    return html.escape(safe("" if value is None else value, multiline=True))


def _table(rows: list[list[Any]], headers: list[str], long: tuple[int, ...] = ()) -> str:
    """A table; columns empty in every row are left out (a phone has no room for them);
    the ``long`` columns may break anywhere."""
    keep = [i for i in range(len(headers)) if any(r[i] not in (None, "") for r in rows)]
    out = [f'<table style="{_TABLE}">', "<tr>"]
    out += [f'<th style="{_HEAD}">{_esc(headers[i])}</th>' for i in keep]
    out.append("</tr>")
    for row in rows:
        cells = "".join(
            f'<td style="{_LONG if i in long else _CELL}">{_esc(row[i])}</td>' for i in keep
        )
        out.append(f"<tr>{cells}</tr>")
    out.append("</table>")
    return "".join(out)


def _section(
    title: str, rows: list[list[Any]], headers: list[str], long: tuple[int, ...] = ()
) -> str:
    body = _table(rows, headers, long) if rows else _none()
    return f'<h2 style="{_H2}">{_esc(title)}</h2>{body}'


def _none() -> str:
    none = _("(none)")
    return f'<p style="margin:0">{_esc(none)}</p>'


def _value(key: str, value: Any) -> Any:
    """A field's value in the display language: built-in values, yes and no."""
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    return label(key, value)


def _fields(case: dict[str, Any], zone: ZoneInfo) -> list[list[Any]]:
    rows = []
    for key, value in case_fields(case, zone):
        if key == "major_reasons" and language() != "en":
            from complaintctl.refusals import major_reason

            value = "; ".join(major_reason(r) for r in case["major_reasons"])
        rows.append([heading(key), _value(key, value)])
    return rows


def _outside(case: dict[str, Any], zone: ZoneInfo) -> list[list[Any]]:
    rows = []
    for o in case.get("outside_parties") or []:
        replies = "; ".join(
            f"{local_time(r.get('at'), zone)} {r['text']}".strip() for r in o.get("replies") or []
        )
        rows.append([label("party", o["party"]), o.get("reference"), local_time(o.get("at"), zone),
                     replies])  # fmt: skip
    route = case.get("external_route")
    if route:
        outcome = route.get("outcome") or (_("open") if not route.get("concluded_at") else "")
        rows.append([route["route"], route.get("reference"), local_time(route.get("at"), zone),
                     outcome])  # fmt: skip
    return rows


def _attachments(case: dict[str, Any], zone: ZoneInfo) -> list[list[Any]]:
    return [
        [
            a["name"],
            label("attachment", a["kind"]),
            a["size"],
            a["media_type"],
            local_time(a.get("at"), zone),
            a["sha256"],
        ]
        for a in case.get("attachments") or []
    ]


def _history(events: list[dict[str, Any]], zone: ZoneInfo) -> str:
    """Each event at its business time, the recorded time too where it differs (typed in
    later with ``--at``), who, what: a block per event, which reads on a phone and prints."""
    if not events:
        return _none()
    out = []
    for e in events:
        when = local_time(e["occurred_at"] or e["recorded_at"], zone)
        if recorded_apart(e):
            recorded = _("recorded {when}").format(when=local_time(e["recorded_at"], zone))
            when = f"{when} ({recorded})"
        head = f"{e['version']}. {label('type', e['type'])} · {when} · {e['actor'] or '-'}"
        changed = change_summary(e["data"], zone, person=True)
        out.append(
            f'<div style="{_EVENT}"><span style="font-weight:bold">{_esc(head)}</span>'
            + (f'<br><span style="color:#444">{_esc(changed)}</span>' if changed else "")
            + "</div>"
        )
    return "".join(out)


def case_html(
    case: dict[str, Any],
    events: list[dict[str, Any]],
    zone: ZoneInfo,
    *,
    shop: str | None = None,
    now: datetime | None = None,
) -> str:
    """The case file as one HTML page (module doc): fields, remedies, outside parties,
    attachments with their SHA-256, the whole history."""
    now = now or datetime.now(UTC)
    title = _("Case file {ref}").format(ref=case["ref"])
    if shop:
        title += f" · {shop}"
    made = _("Made {when} ({zone}); case version {version}, {events} event(s).").format(
        when=local_time(now.isoformat(), zone),
        zone=str(zone),
        version=case.get("version"),
        events=len(events),
    )
    state = case.get("as_of") or case.get("as_recorded")
    parts = [
        "<!DOCTYPE html>",
        f'<html lang="{language()}"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{_esc(title)}</title>{PRINT}</head>",
        f'<body style="margin:0"><div style="{_PAGE}">',
        f'<h1 style="font-size:19px;margin:4px 0;overflow-wrap:anywhere">{_esc(title)}</h1>',
        f'<p style="{_NOTE}">{_esc(made)}</p>',
    ]
    if state:
        key = _("as of {when}") if case.get("as_of") else _("as recorded by {when}")
        parts.append(f'<p style="{_NOTE}">{_esc(key.format(when=local_time(state, zone)))}</p>')
    parts.append(
        _section(_("The case"), _fields(case, zone), [heading("field"), heading("value")], (1,))
    )
    rows, columns = proposal_rows(case.get("proposals") or [])
    parts.append(_section(_("Remedies"), rows, [heading(c) for c in columns], (8,)))
    parts.append(
        _section(
            _("Outside parties"),
            _outside(case, zone),
            [_("party"), _("reference"), _("since"), _("replies")],
            (1, 3),
        )
    )
    parts.append(
        _section(
            _("Attachments"),
            _attachments(case, zone),
            [_("name"), _("kind"), _("bytes"), _("type"), _("attached"), "SHA-256"],
            (0, 5),
        )
    )
    history = _("History")
    parts.append(f'<h2 style="{_H2}">{_esc(history)}</h2>{_history(events, zone)}')
    parts.append("</div></body></html>")
    return "\n".join(parts)
