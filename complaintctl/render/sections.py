"""A report as titled tables, and the forms both the daily and the period reports are
printed in: aligned text or markdown, and a page a mail client shows.

A report module builds its :data:`Section` list once; this module prints it, so
that the two reports cannot drift apart in how a section, the figures' state
or the log head reads.
"""

from __future__ import annotations

import html
from collections.abc import Iterable
from typing import Any
from zoneinfo import ZoneInfo

from complaintctl.i18n import _, heading, language
from complaintctl.render import local_time, safe, table
from complaintctl.render.rows import markdown_table

#: A section: its title, the column headings (shown), the rows.
Section = tuple[str, list[str], list[list[Any]]]


def headings(columns: list[str]) -> list[str]:
    """English column names in the display language (the catalog reads these lists)."""
    return [heading(c) for c in columns]


def report_subtitle(r: dict[str, Any], z: ZoneInfo, complete: str) -> list[str]:
    """The lines under a report's title: whether its figures are final (``complete``, a
    message with ``{when}``), and the log's head, the anchor an auditor checks later."""
    state = complete if r["complete"] else _("Figures so far, as of {when}.")
    head = r["head"]
    if not head["hash"]:
        anchor = _("Log head: the log is empty")
    else:
        anchor = _("Log head: position {position}, hash {hash}").format(
            position=head["position"], hash=head["hash"]
        )
    return [state.format(when=local_time(r["as_of"], z)), anchor]


def sections_text(
    heading: str,
    subtitle: list[str],
    sections: Iterable[Section],
    fmt: str,
) -> str:
    """A report of named sections as aligned tables (``table``) or markdown."""
    md = fmt == "markdown"
    parts = [f"# {safe(heading)}" if md else safe(heading)]
    parts += [("\n" if md else "") + safe(line) for line in subtitle]
    for name, headers, rows in sections:
        parts.append(f"\n## {name}" if md else f"\n{name}")
        if md:
            parts.append(markdown_table(rows, headers) if rows else _("(none)"))
        else:
            parts.append(table(rows, headers) if rows else _("(none)"))
    return "\n".join(parts)


# -- the mail page ------------------------------------------------------------------------

# Inline styles only: mail clients drop style sheets, scripts and SVG.

#: For the printer only: an A4 page, and rows and headings that do not split (the one
#: style block of a page; a mail client may drop it without losing anything on screen).
PRINT = (
    "<style>@page{size:A4;margin:14mm}"
    "@media print{body{font-size:11pt}tr{page-break-inside:avoid}"
    "h2{page-break-after:avoid}}</style>"
)
_PAGE = (
    "font-family:Arial,'Microsoft YaHei','PingFang SC',sans-serif;color:#222;"
    "margin:0 auto;padding:8px;max-width:720px;font-size:14px;line-height:1.4"
)
_TABLE = "border-collapse:collapse;width:100%;margin:0 0 4px 0;font-size:13px"
_CELL = "border:1px solid #ccc;padding:3px 5px;text-align:left;vertical-align:top"
_HEAD = _CELL + ";background:#f0f0f0;font-weight:bold;word-break:break-word"
_ALERT = "color:#a00000;font-weight:bold"


def _esc(value: Any) -> str:
    return html.escape(safe(value))


def html_alert(text: str) -> str:
    """A line the reader must not miss (overdue cases, a quota not met)."""
    return f'<p style="{_ALERT}">{_esc(text)}</p>'


def html_table(rows: list[list[Any]], headers: list[str]) -> str:
    """A table that shrinks to a phone: the first column (a reference, a key) stays whole,
    the other cells wrap, long headers break."""
    first = _CELL + ";white-space:nowrap"
    rest = _CELL + ";overflow-wrap:break-word"
    out = [f'<table style="{_TABLE}">', "<tr>"]
    out += [f'<th style="{_HEAD}">{_esc(h)}</th>' for h in headers]
    out.append("</tr>")
    for row in rows:
        cells = [
            f'<td style="{first if i == 0 else rest}">{_esc(c)}</td>' for i, c in enumerate(row)
        ]
        out.append("<tr>" + "".join(cells) + "</tr>")
    out.append("</table>")
    return "".join(out)


def html_bars(items: list[tuple[str, int]], title: str) -> str:
    """A bar chart as table cells (no SVG, no image): a coloured cell as wide as the value."""
    biggest = max((v for _k, v in items), default=0) or 1
    out = [f'<h2 style="font-size:16px;margin:14px 0 4px 0">{_esc(title)}</h2>']
    out.append(f'<table style="{_TABLE}" role="presentation">')
    for name, value in items:
        pct = max(1, round(70 * value / biggest)) if value else 0
        bar = (
            f'<td style="width:{pct}%;background:#3b6ea5;padding:0;font-size:1px">&nbsp;</td>'
            if pct
            else ""
        )
        out.append(
            f'<tr><td style="width:30%;padding:2px 4px;white-space:nowrap">{_esc(name)}</td>'
            f'<td style="padding:2px 0"><table style="border-collapse:collapse;width:100%"'
            f' role="presentation"><tr>{bar}'
            f'<td style="padding:0 4px;font-size:12px">{value}</td></tr></table></td></tr>'
        )
    out.append("</table>")
    return "".join(out)


def sections_html(
    title: str, subtitle: list[str], top: list[str], sections: Iterable[Section]
) -> str:
    """A page a mail client shows and a printer prints on A4: inline styles, no SVG, no
    script, nothing fetched; readable on a 400-pixel-wide phone; user text escaped.

    ``subtitle`` is the figures' state and the log head; ``top`` is HTML put before
    the sections (alerts, bar charts).
    """
    head = _esc(title)
    parts = [
        "<!DOCTYPE html>",
        f'<html lang="{language()}"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{head}</title>{PRINT}</head>",
        f'<body style="margin:0"><div style="{_PAGE}">',
        f'<h1 style="font-size:19px;margin:4px 0">{head}</h1>',
        f'<p style="margin:2px 0;color:#555">{_esc(subtitle[0])}</p>',
        f'<p style="margin:2px 0;color:#555;font-size:12px;overflow-wrap:anywhere">'
        f"{_esc(subtitle[1])}</p>",
        *top,
    ]
    for name, headers, rows in sections:
        parts.append(f'<h2 style="font-size:16px;margin:14px 0 4px 0">{_esc(name)}</h2>')
        parts.append(
            html_table(rows, headers) if rows else f'<p style="margin:0">{_esc(_("(none)"))}</p>'
        )
    parts.append("</div></body></html>")
    return "\n".join(parts)
