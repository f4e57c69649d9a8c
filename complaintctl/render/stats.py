"""The figures of ``stats`` (one line per group, in a table or one figure a column for
CSV and spreadsheets), a group complaint's line and the customers' list.

Each takes the read model's dict (the same one ``--json`` prints).
"""

from __future__ import annotations

from typing import Any

from complaintctl.i18n import _, label
from complaintctl.render import safe, table

STAT_COLUMNS = (
    ("key", "key"),
    ("received", "received"),
    ("valid %", "valid_share"),
    ("ack in target %", "acknowledged_within_target_pct"),
    ("promises kept %", "promises_kept_pct"),
    ("ack h median/p90", "hours_to_acknowledge"),
    ("resolve h median/p90", "hours_to_resolve"),
    ("within SLA %", "within_sla_pct"),
    ("escalations", "escalations"),
    ("reopen %", "reopen_rate_pct"),
    ("satisfaction", "satisfaction"),
    ("repeat", "repeat_complainants"),
    ("remedies", "remedies_granted"),
)


def stat_cell(value: Any) -> str:
    """A figure of ``stats`` in one cell: median/p90, mean (n), counts with totals."""
    if value is None:
        return "-"
    if isinstance(value, dict) and "median" in value:
        return f"{stat_cell(value['median'])}/{stat_cell(value['p90'])}"
    if isinstance(value, dict) and "mean" in value:
        return f"{stat_cell(value['mean'])} (n={value['count']})"
    if isinstance(value, dict) and "count" in value and "total" in value:
        totals = ", ".join(f"{v} {k}" for k, v in value["total"].items())
        return f"{value['count']}" + (f" ({totals})" if totals else "")
    if isinstance(value, dict):
        return ", ".join(f"{k}: {v}" for k, v in value.items()) or "-"
    return str(value)


def stats_rows(result: dict[str, Any]) -> list[dict[str, Any]]:
    """The (all) line and one line per group, keyed by the column headings."""
    groups = [{"key": "(all)", **result["total"]}, *result.get("groups", [])]
    return [{h: stat_cell(g.get(k)) for h, k in STAT_COLUMNS} for g in groups]


def _flat(key: str, value: Any) -> list[tuple[str, Any]]:
    """One figure of ``stats`` as plain cells: no ``3.6 (n=5)`` or ``12/30`` in one cell."""
    if isinstance(value, dict) and "median" in value:
        return [(f"{key}_median", value["median"]), (f"{key}_p90", value["p90"])]
    if isinstance(value, dict) and "mean" in value:
        return [(f"{key}_mean", value["mean"]), (f"{key}_n", value["count"])]
    if isinstance(value, dict) and "count" in value and "total" in value:
        totals = [(f"{key}_{cur}", v) for cur, v in value["total"].items()]
        return [(f"{key}_count", value["count"]), *totals]
    if isinstance(value, dict):
        return [(f"{key}_{k}", v) for k, v in value.items()]
    if isinstance(value, list):
        return []  # lists (top root causes) have their own table
    return [(key, value)]


def stats_flat(result: dict[str, Any]) -> tuple[list[dict[str, Any]], list[str]]:
    """The lines of ``stats`` for CSV and spreadsheets: one figure a column."""
    groups = [{"key": "(all)", **result["total"]}, *result.get("groups", [])]
    rows: list[dict[str, Any]] = []
    columns: list[str] = []
    for g in groups:
        row: dict[str, Any] = {}
        for _h, k in STAT_COLUMNS:
            for col, v in _flat(k, g.get(k)):
                row[col] = v
                if col not in columns:
                    columns.append(col)
        rows.append(row)
    return rows, columns


def root_causes_text(result: dict[str, Any]) -> str | None:
    causes = result["total"]["top_root_causes"]
    if not causes:
        return None
    return f"\n{_('Top root causes')}\n" + table([[c["root_cause"], c["cases"]] for c in causes])


def group_text(g: dict[str, Any]) -> str:
    statuses = ", ".join(f"{label('status', k)} {v}" for k, v in g["statuses"].items())
    return safe(
        _("group {name}: {cases} case(s), {open} open; {statuses}; remedies {remedies}").format(
            name=g["name"],
            cases=len(g["members"]),
            open=g["open"],
            statuses=statuses,
            remedies=stat_cell(g["remedies_granted"]),
        )
    )


def customers_text(result: dict[str, Any]) -> str:
    return "\n".join(
        safe(
            _("{names} <{contact}>").format(
                names="/".join(c["names"]), contact=", ".join(c["contacts"])
            )
            + (f" [{', '.join(c['accounts'])}]" if c["accounts"] else "")
            + _(": {cases} case(s), {open} open").format(cases=c["cases"], open=c["open"])
            + (" " + _("REPEAT COMPLAINANT") if c["repeat"] else "")
        )
        for c in result["customers"]
    )
