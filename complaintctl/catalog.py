"""Every message a person reads, gathered from the code for the translation catalog.

Four sources, so that no message has a second home: the ``_()``/``pgettext()``
calls of the edge (Babel's extractor), the help of every command and option
(walked through click), the built-in values shown as labels (from their one
home in ``events`` and ``projections``), and the column names the tables
show (the literal column lists of the CLI and the renderers). The tests
compare this with ``locale/zh/LC_MESSAGES/complaintctl.po``;
``python -m complaintctl.catalog`` adds what is missing to the ``.po`` (to be
translated) and drops what the code no longer uses. Never imported by a command.
"""

from __future__ import annotations

import ast
import inspect
import sys
from collections.abc import Iterator
from pathlib import Path

import click

from complaintctl.i18n import LOCALE_DIR
from complaintctl.refusals import DETAILS, MAJOR_REASONS, SHAPES

#: (msgctxt or None, msgid)
Message = tuple[str | None, str]

PACKAGE = Path(__file__).parent
#: The modules whose literal column lists are table headings.
_COLUMN_SOURCES = ("cli", "render")
_COLUMN_CALLS = {
    "emit_rows",
    "table",
    "_section",
    "heading",
    "headings",
    "_h",
    "markdown_table",
    "html_table",
}


def _python_messages() -> Iterator[Message]:
    from babel.messages.extract import extract_from_file

    keywords = {"_": None, "N_": None, "pgettext": ((1, "c"), 2)}
    for path in sorted(PACKAGE.rglob("*.py")):
        if path.name == "catalog.py":
            continue
        for _line, msg, _comments, context in extract_from_file(
            "python", str(path), keywords=keywords
        ):
            if isinstance(msg, str) and msg:
                yield context, msg


def _paragraphs(text: str) -> Iterator[str]:
    for p in inspect.cleandoc(text).partition("\f")[0].split("\n\n"):
        if p and not p.startswith("\b"):
            yield p


def _help_messages() -> Iterator[Message]:
    from complaintctl.cli.group import COMMANDS, load_command, main

    def walk(cmd: click.Command) -> Iterator[Message]:
        if cmd.help:
            for p in _paragraphs(cmd.help):
                yield None, p
        for param in cmd.params:
            if isinstance(param, click.Option) and param.help:
                yield None, param.help
        if isinstance(cmd, click.Group):
            for sub in cmd.commands.values():
                yield from walk(sub)

    yield from walk(main)
    for name, (_where, summary) in COMMANDS.items():
        yield None, summary
        yield from walk(load_command(name))
    # click's own words in every help page and usage error.
    words = ("Usage:", "Options", "Commands", "Arguments", "default", "required")
    for word in (*words, "Example:", "Examples:"):
        yield None, word
    yield None, "Show the version and exit."
    yield None, "Show this message and exit."
    for message in CLICK_MESSAGES:
        yield None, message


#: click's own messages a person meets (its gettext calls, bound to this catalog by i18n).
CLICK_MESSAGES = (
    "Error: {message}",
    "Try '{command} {option}' for help.",
    "Invalid value: {message}",
    "Invalid value for {param_hint}: {message}",
    "Missing argument",
    "Missing option",
    "Missing parameter",
    "Missing {param_type}",
    "Missing parameter: {param_name}",
    "No such option {name!r}.",
    "No such command {name!r}.",
    "Option {name!r} does not take a value.",
    "Choose from:\n\t{choices}",
    "{value!r} is not a valid {number_type}.",
    "{value} is not in the range {range}.",
    "{name} {filename!r} does not exist.",
    "{name} {filename!r} is a directory.",
    "Do you want to continue?",
    "Confirm the action without prompting.",
)


def _label_messages() -> Iterator[Message]:
    from events.calendar import BASES
    from events.lifecycle import ALLOWED, STATUSES
    from events.policy import (
        ATTACHMENT_KINDS,
        CONTACT_OUTCOMES,
        FOLLOWUP_OUTCOMES,
        REMEDY_KINDS,
        ROLES,
        SEVERITIES,
    )
    from events.topics import CASE_TOPICS
    from projections.reports import AGE_BUCKETS

    groups: dict[str, tuple[str, ...]] = {
        "status": STATUSES,
        "severity": SEVERITIES,
        "severity_by": ("rule", "hand"),
        "kind": (*REMEDY_KINDS, *ATTACHMENT_KINDS),
        "outcome": (*CONTACT_OUTCOMES, *FOLLOWUP_OUTCOMES),
        "attachment": ATTACHMENT_KINDS,
        "role": ROLES,
        "event": tuple(sorted(t.split(":", 1)[-1] for t in CASE_TOPICS)),
        # a proposal's state; "open" and "approved" as the refusal proposal-open names them
        "state": ("pending", "superseded", "accepted", "rejected", "open", "approved"),
        "remedy_state": ("proposed", "in_progress", "carried_out", "rejected"),
        "promise": ("kept", "missed", "pending"),
        "deadline": ("acknowledge", "reply", "resolve", "decision"),
        "basis": BASES,
        "action": tuple(sorted(set().union(*ALLOWED.values()))),
        "age": (*(lbl for _h, lbl in AGE_BUCKETS), "> 30 days"),
        "key": ("(all)",),
    }
    for context, values in groups.items():
        for value in values:
            yield context, value


def _column_messages() -> Iterator[Message]:
    """Literal column lists: ``*COLUMNS``/``columns`` names, and headers given to a table."""

    def strings(node: ast.AST) -> list[str]:
        if isinstance(node, ast.Tuple | ast.List) and node.elts:
            if all(isinstance(e, ast.Constant) and isinstance(e.value, str) for e in node.elts):
                return [str(e.value) for e in node.elts if isinstance(e, ast.Constant)]
            # STAT_COLUMNS: pairs of (heading, key)
            out: list[str] = []
            for e in node.elts:
                if isinstance(e, ast.Tuple) and e.elts and isinstance(e.elts[0], ast.Constant):
                    out.append(str(e.elts[0].value))
            return out
        return []

    for area in _COLUMN_SOURCES:
        for path in sorted((PACKAGE / area).glob("*.py")):
            tree = ast.parse(path.read_text(encoding="utf-8"))
            for node in ast.walk(tree):
                found: list[str] = []
                if isinstance(node, ast.Assign | ast.AnnAssign):
                    targets = node.targets if isinstance(node, ast.Assign) else [node.target]
                    names = [t.id for t in targets if isinstance(t, ast.Name)]
                    if node.value is not None and any(
                        "COLUMNS" in n or n.endswith("FIELDS") or n in ("columns", "KINDS")
                        for n in names
                    ):
                        found = strings(node.value)
                elif isinstance(node, ast.Call):
                    fn = node.func
                    name = fn.id if isinstance(fn, ast.Name) else getattr(fn, "attr", "")
                    if name in _COLUMN_CALLS:
                        for arg in node.args:
                            found += strings(arg)
                            if name == "heading" and isinstance(arg, ast.Constant):
                                found.append(str(arg.value))
                for value in found:
                    if value:
                        yield "column", value


#: Field names of ``show`` beyond render.fields' lists, and the field column itself.
EXTRA_COLUMNS = (
    "demand_amount",
    "transfer",
    "co-handle",
    "field",
    "value",
    "loss",
    "supervisor",
    "external_route",
)


def _payload_keys() -> list[str]:
    """The keys of every case event's payload (``history`` shows them)."""
    from events.complaint import Complaint
    from events.lazyevents import build_all

    build_all(Complaint)  # the classes built on first use, too
    keys: set[str] = set()
    for obj in vars(Complaint).values():
        if inspect.isclass(obj) and issubclass(obj, Complaint.Event):
            # An event class of events.casework or events.remedywork is redefined in
            # Complaint: its fields are its own class's, further up.
            for cls in obj.__mro__:
                if cls.__module__.startswith("events."):
                    keys.update(vars(cls).get("__annotations__", {}))
    return sorted(keys - {"actor"})


def messages() -> dict[Message, None]:
    """Every message the code shows a person, in a stable order, each once."""
    out: dict[Message, None] = {}
    for source in (_python_messages(), _help_messages(), _label_messages(), _column_messages()):
        for m in source:
            out[m] = None
    for c in (*EXTRA_COLUMNS, *_payload_keys()):
        out["column", c] = None
    for reason in MAJOR_REASONS:
        out["major_reason", reason] = None
    for shape in DETAILS:
        out["detail", shape] = None
    for shapes in SHAPES.values():
        for shape in shapes:
            out["refusal", shape] = None
    return out


def po_path(language: str = "zh") -> Path:
    return LOCALE_DIR / language / "LC_MESSAGES" / "complaintctl.po"


def update(language: str = "zh") -> tuple[int, int]:
    """Add the missing messages to the ``.po`` (empty), drop the unused; (added, dropped)."""
    from babel.messages.catalog import Catalog
    from babel.messages.pofile import read_po, write_po

    path = po_path(language)
    if path.exists():
        with path.open("rb") as f:
            old = read_po(f)
    else:
        old = Catalog(locale=language, domain="complaintctl")
    wanted = messages()
    new = Catalog(locale=language, domain="complaintctl", project="complaintctl")
    added = 0
    for context, msgid in wanted:
        existing = old.get(msgid, context=context)
        new.add(msgid, existing.string if existing is not None else "", context=context)
        added += existing is None
    dropped = sum(1 for m in old if m.id and (m.context, m.id) not in wanted)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("wb") as f:
        write_po(f, new, width=0, omit_header=False, sort_output=False)
    return added, dropped


if __name__ == "__main__":
    added, dropped = update(sys.argv[1] if len(sys.argv) > 1 else "zh")
    print(f"{po_path()}: {added} added, {dropped} dropped")
