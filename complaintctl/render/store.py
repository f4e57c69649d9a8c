"""What the store's own commands report to a person: ``verify``'s checks of the log,
the attachments and the cache, and ``migrate``'s counts and digests.
"""

from __future__ import annotations

from typing import Any

from complaintctl.i18n import _
from complaintctl.render import table


def verify_text(result: dict[str, Any]) -> str:
    """verify's report for a person; the problems the JSON keeps in English, translated."""
    from complaintctl.refusals import detail

    rows = [
        [
            r["file"],
            _("ok") if r["ok"] else _("BAD"),
            r["events"],
            r["line"] or "",
            detail(r["problem"]) if r["problem"] else "",
        ]
        for r in result["logs"]
    ]
    rows += [
        [
            f"{a['ref']} {a['name']}",
            _("ok") if a["ok"] else _("BAD"),
            "",
            "",
            detail(a["problem"]) if a["problem"] else "",
        ]
        for a in result["attachments"]
    ]
    stale = [_("stale"), "", "", _("left by an interrupted attach")]
    rows += [[name, *stale] for name in result["stale"]]
    from complaintctl.integrity import problem_text

    rows += [
        [
            _("cache") if p["problem"] == "cache-differs" else _("log"),
            _("BAD"),
            "",
            "",
            detail(problem_text(p)),
        ]
        for p in result.get("problems", [])
    ]
    out = [table(rows, ["what", "state", "events", "line", "problem"])]
    expected = result.get("expected")
    if expected is not None:
        where = f"{expected['position']}:{expected['hash']}"
        if expected["ok"]:
            out.append(_("expected head {head}: still in the log").format(head=where))
        else:
            found = expected["found"] or _("no such position")
            line = _("expected head {head}: NOT in the log (found {found})")
            out.append(line.format(head=where, found=found))
    head = result.get("head")
    if head is not None:
        out.append(_("head {position}:{hash}").format(**head))
    return "\n".join(out)


def migrate_text(result: dict[str, Any]) -> str:
    rows = [
        [name, s["events"], s["aggregates"], s["digest"]]
        for name, s in ((_("source"), result["source"]), (_("target"), result["target"]))
    ]
    return table(rows, ["store", "events", "aggregates", "sha256 digest"])
