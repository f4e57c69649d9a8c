"""Reading cases to import from real-world CSV and JSON Lines files.

Real files come from spreadsheets and other systems: a UTF-8 byte-order mark,
GBK-encoded CSV from Chinese Excel, blank lines, stray spaces. This module
turns such a file into validated rows, each with its line number, and a list
of what is wrong with the bad ones; it writes nothing. ``docs/import.md`` is
the template.
"""

from __future__ import annotations

import csv
import hashlib
import io
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import TYPE_CHECKING, Any

import orjson

from complaintctl.i18n import _

if TYPE_CHECKING:
    from complaintctl.eventimport import Objects
    from events.application import ComplaintsApp

# The long option names of ``new`` (CLI.md), plus a few ``new`` also takes.
COLUMNS = (
    "customer",
    "contact",
    "channel",
    "category",
    "summary",
    "demand",
    "account",
    "severity",
    "received_at",
    "owner",
    "vip",
    "demand_amount",
    "currency",
)
REQUIRED = ("customer", "contact", "channel", "category", "summary")
SEVERITIES = ("general", "major")
MAX_FIELD = 10_000
#: Customer files an import keeps from batch to batch (a returning customer's is not read
#: back from the store): beyond this many, they are dropped and read again as needed.
FILES_KEPT = 200_000


class ImportFileError(Exception):
    """The file as a whole cannot be read (encoding, format, unknown columns)."""


@dataclass
class Row:
    """One row that passed validation, with where it came from."""

    line: int
    values: dict[str, Any]
    key: str  # content hash: the same row imported twice is recognised


@dataclass
class BadRow:
    line: int
    problem: str

    def to_dict(self) -> dict[str, Any]:
        return {"line": self.line, "problem": self.problem}


@dataclass
class Parsed:
    rows: list[Row] = field(default_factory=list)
    bad: list[BadRow] = field(default_factory=list)
    duplicates_in_file: list[BadRow] = field(default_factory=list)


TimeParser = Callable[[str], datetime]
UTF8 = ("utf-8", "utf8", "utf-8-sig")


def read_text(path: Path, encoding: str | None, data: bytes | None = None) -> str:
    """Decode the file (or ``data``, standard input's bytes); a BOM is dropped; a decoding
    error names its line."""
    if data is None:
        from complaintctl.regularfile import NotRegular, read_regular

        try:
            data = read_regular(path)
        except NotRegular as e:
            raise ImportFileError(str(e)) from None
        except OSError as e:
            raise ImportFileError(
                _("cannot read {path}: {error}").format(path=path, error=e.strerror)
            ) from None
    enc = encoding or "utf-8-sig"
    try:
        codec = "utf-8-sig" if enc.lower().replace("_", "-") in ("utf-8", "utf8") else enc
        return data.decode(codec)
    except UnicodeDecodeError as e:
        line = data.count(b"\n", 0, e.start) + 1
        hint = _(" (try --encoding gbk for a CSV saved by Chinese Excel)") if enc != "gbk" else ""
        bad = _("line {line}: not valid {encoding}").format(line=line, encoding=enc)
        raise ImportFileError(bad + hint) from None
    except (LookupError, ValueError):  # ValueError: a NUL byte in the name
        raise ImportFileError(_("unknown encoding {name}").format(name=repr(enc))) from None


def detect_format(path: Path, fmt: str | None, text: str = "") -> str:
    """``--format``, else the suffix, else (standard input, no suffix) the text: JSON
    starts with ``{`` or ``[``."""
    if fmt:
        return fmt
    suffix = path.suffix.lower()
    if suffix in (".jsonl", ".ndjson", ".json"):
        return "jsonl"
    if not suffix and text.lstrip()[:1] in ("{", "["):
        return "jsonl"
    return "csv"


def parse_file(
    path: Path,
    *,
    fmt: str | None = None,
    encoding: str | None = None,
    parse_time: TimeParser,
    text: str | None = None,
) -> Parsed:
    """Read and validate every row (of ``text`` if given); nothing is written here."""
    if text is None:
        text = read_text(path, encoding)
    kind = detect_format(path, fmt, text)
    raw_rows = _csv_rows(text) if kind == "csv" else _jsonl_rows(text)
    parsed = Parsed()
    seen: dict[str, int] = {}
    parse_time = _remembered(parse_time)
    for line, raw in raw_rows:
        if isinstance(raw, BadRow):
            parsed.bad.append(raw)
            continue
        try:
            values = validate_row(raw, parse_time)
        except ValueError as e:
            parsed.bad.append(BadRow(line, str(e)))
            continue
        key = row_key(values)
        if key in seen:
            parsed.duplicates_in_file.append(BadRow(line, f"same as line {seen[key]}"))
            continue
        seen[key] = line
        parsed.rows.append(Row(line, values, key))
    return parsed


def _remembered(parse_time: TimeParser) -> TimeParser:
    """``parse_time`` asked once per distinct text: a file's rows share their times (a
    day's cases, to the hour), and a text means one time throughout one command (a
    relative time counts from the command's one "now"). A text it refuses is asked again."""
    times: dict[str, datetime] = {}

    def parse(text: str) -> datetime:
        at = times.get(text)
        if at is None:
            at = times[text] = parse_time(text)
        return at

    return parse


def _text_cell(cell: str) -> str:
    """A number kept text for Excel (``="13800000000"``, as CSV output writes it): the number."""
    if len(cell) >= 3 and cell.startswith('="') and cell.endswith('"'):
        return cell[2:-1]
    return cell


def _csv_rows(text: str) -> list[tuple[int, dict[str, Any] | BadRow]]:
    reader = csv.reader(io.StringIO(text, newline=""))
    header: list[str] | None = None
    out: list[tuple[int, dict[str, Any] | BadRow]] = []
    try:
        for record in reader:
            line = reader.line_num
            if not any(cell.strip() for cell in record):
                continue  # blank line
            if header is None:
                header = [h.strip().lower().replace("-", "_") for h in record]
                _check_columns(header)
                continue
            if len(record) > len(header):
                out.append((line, BadRow(line, f"{len(record)} cells, header has {len(header)}")))
                continue
            out.append((line, dict(zip(header, map(_text_cell, record), strict=False))))
    except csv.Error as e:
        raise ImportFileError(
            _("line {line}: {error}").format(line=reader.line_num, error=e)
        ) from None
    if header is None:
        raise ImportFileError(_("the file is empty: the first line must name the columns"))
    return out


def _jsonl_rows(text: str) -> list[tuple[int, dict[str, Any] | BadRow]]:
    out: list[tuple[int, dict[str, Any] | BadRow]] = []
    for line, raw in enumerate(text.splitlines(), 1):
        if not raw.strip():
            continue
        try:
            obj = orjson.loads(raw)
        except orjson.JSONDecodeError as e:
            out.append((line, BadRow(line, f"not JSON ({e.msg})")))
            continue
        if not isinstance(obj, dict):
            out.append((line, BadRow(line, "not a JSON object")))
            continue
        if all(k in obj for k in CASES_EXPORT):
            raise ImportFileError(f"line {line}: {CASES_EXPORT_HINT}")
        unknown = sorted(set(obj) - set(COLUMNS))
        if unknown:
            out.append((line, BadRow(line, f"unknown key(s): {', '.join(unknown)}")))
            continue
        out.append((line, obj))
    return out


#: Keys a cases export (``export``) has and an intake file has not.
CASES_EXPORT = ("ref", "status")
CASES_EXPORT_HINT = (
    "this is a cases export (each case's state, not its history): it cannot be imported;"
    " import what `export --what events` writes"
)

EVENTS_CSV_HINT = (
    "this is an events export as CSV (times to the minute, no event topics): it cannot be"
    " imported; import what `export --what events` writes as JSON Lines"
)


def _check_columns(header: list[str]) -> None:
    if all(k in header for k in CASES_EXPORT):
        raise ImportFileError(CASES_EXPORT_HINT)
    if all(k in header for k in ("position", "type", "hash")):
        raise ImportFileError(EVENTS_CSV_HINT)
    unknown = [h for h in header if h and h not in COLUMNS]
    if unknown:
        raise ImportFileError(
            _("unknown column(s): {columns}; known: {known}").format(
                columns=", ".join(unknown), known=", ".join(COLUMNS)
            )
        )
    missing = [c for c in REQUIRED if c not in header]
    if missing:
        raise ImportFileError(_("missing column(s): {columns}").format(columns=", ".join(missing)))
    dup = {h for h in header if h and header.count(h) > 1}
    if dup:
        twice = _("column(s) named twice: {columns}")
        raise ImportFileError(twice.format(columns=", ".join(sorted(dup))))


def validate_row(raw: dict[str, Any], parse_time: TimeParser) -> dict[str, Any]:
    """Clean one row's values or raise ValueError naming the column."""
    values: dict[str, Any] = {}
    for col, value in raw.items():
        if not col:
            continue
        if value is None:
            continue
        if col == "vip":
            values["vip"] = _bool(value)
            continue
        if not isinstance(value, str):
            if isinstance(value, int | float) and col == "demand_amount":
                value = str(value)
            else:
                raise ValueError(f"{col}: expected text")
        if "\x00" in value:
            raise ValueError(f"{col}: contains a NUL character")
        value = value.strip()
        if len(value) > MAX_FIELD:
            raise ValueError(f"{col}: longer than {MAX_FIELD} characters")
        if value:
            values[col] = value
    for col in REQUIRED:
        if not values.get(col):
            raise ValueError(f"{col}: missing")
    if "severity" in values and values["severity"] not in SEVERITIES:
        raise ValueError(f"severity: {values['severity']!r} is not general or major")
    if "received_at" in values:
        try:
            values["received_at"] = parse_time(values["received_at"])
        except ValueError as e:
            raise ValueError(f"received_at: {e}") from None
    if "demand_amount" in values:
        try:
            amount = Decimal(values["demand_amount"])
        except InvalidOperation:
            raise ValueError(
                f"demand_amount: {values['demand_amount']!r} is not a number"
            ) from None
        if not amount.is_finite() or amount < 0:
            raise ValueError("demand_amount: must be a number not below 0")
        values["demand_amount"] = amount
    if "currency" in values:
        values["currency"] = values["currency"].upper()
        if not (len(values["currency"]) == 3 and values["currency"].isalpha()):
            raise ValueError(f"currency: {values['currency']!r} is not a 3-letter code")
    return values


def _bool(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in ("1", "true", "yes", "y", "是"):
        return True
    if text in ("", "0", "false", "no", "n", "否"):
        return False
    raise ValueError(f"vip: {value!r} is not yes or no")


def row_key(values: dict[str, Any]) -> str:
    """A stable hash of a row's content: importing the same row again is a no-op."""
    canon = {k: str(v) for k, v in sorted(values.items())}
    return hashlib.sha256(orjson.dumps(canon, option=orjson.OPT_SORT_KEYS)).hexdigest()


def _name(path: Path) -> str:
    """The file's name as an import marker keeps it (``-``: standard input)."""
    return "<stdin>" if str(path) == "-" else path.name


def _events_export(
    path: Path, fmt: str | None, encoding: str | None, data: bytes | None
) -> Objects | None:
    """An events export in JSON Lines, as objects read a line at a time: from the disk
    (a file) or from ``data`` (standard input's bytes, not decoded whole). None: not
    one, or one read as a whole (a JSON array, another encoding; the whole read also
    gives the errors a file that cannot be read has)."""
    from complaintctl.eventimport import bytes_objects, file_objects, looks_like_events
    from complaintctl.regularfile import NotRegular, read_head

    if fmt == "csv" or (encoding or "utf-8").lower().replace("_", "-") not in UTF8:
        return None
    try:
        head = read_head(path, 1 << 20) if data is None else data[: 1 << 20]
    except (NotRegular, OSError):
        return None
    text = head[: head.rfind(b"\n") + 1].decode("utf-8-sig", errors="replace")
    if detect_format(path, fmt, text) != "jsonl" or text.lstrip().startswith("["):
        return None
    if not looks_like_events(text):
        return None
    return file_objects(path) if data is None else bytes_objects(data)


class BadRowsError(ImportFileError):
    """Some rows are bad and the import was asked to fail on them: nothing was written."""


def result_json(result: dict[str, Any]) -> str:
    """What ``import --json`` prints for a file of cases, as ``render.to_json`` writes it.

    The result holds only text, small integers, lists and dicts keyed by text (one
    entry per row), where orjson's two-space indent writes what the standard
    ``json.dumps(..., ensure_ascii=False, indent=2)`` writes, in C instead of Python;
    what orjson refuses (a file name that is not valid Unicode) goes the standard way.
    ``tests/test_cli_import.py`` compares the two.
    """
    from complaintctl.render import json_safe, to_json

    try:
        return json_safe(orjson.dumps(result, option=orjson.OPT_INDENT_2).decode())
    except TypeError:
        return to_json(result)


def run_import(
    app: ComplaintsApp,
    path: Path,
    actor: str,
    *,
    parse_time: TimeParser,
    fmt: str | None = None,
    encoding: str | None = None,
    skip_bad: bool = False,
    batch_size: int = 500,
    on_bad: Callable[[BadRow], None] = lambda _b: None,
    progress: Callable[[int, int], None] = lambda _done, _total: None,
    data: bytes | None = None,
    events_only: bool = False,
) -> dict[str, Any]:
    """Receive the file's good rows in atomic batches; the result ``import --json`` prints.

    ``data``: the file's bytes already read (standard input, ``import -``);
    ``events_only``: anything but an events export is refused, before writing. An
    export of the events (``export --what events``) is the store's history:
    it goes to :mod:`complaintctl.eventimport`, by a manager. Every row is
    checked against the rules first (``on_bad`` hears of each bad one, in line
    order), so with ``skip_bad`` false a bad row writes nothing.
    """
    from events.application import ImportRow, NewCase
    from events.errors import InvalidInput, RuleRefused

    app.policy.writer(actor)  # an actor who may not write is refused before reading
    try:
        # An events export is read line by line (twice: checked, then written), from
        # the disk or from standard input's bytes; anything else as a whole text.
        objects = _events_export(path, fmt, encoding, data)
        text = "" if objects is not None else read_text(path, encoding, data)
        if objects is None and fmt != "csv" and detect_format(path, fmt, text) == "jsonl":
            from complaintctl.eventimport import looks_like_events, text_objects

            if looks_like_events(text):
                objects = text_objects(text)
        if objects is not None:
            from complaintctl.eventimport import EventImportError, run_event_import

            app.policy.require_role(actor, ("manager",), "import-events-needs-manager",
                                    "import")  # fmt: skip
            try:
                return run_event_import(
                    app, objects, str(path), batch_size=batch_size, progress=progress
                )
            except EventImportError as e:
                e.args = (f"{path}: {e}",)
                raise
        if events_only:  # e.g. --attachments: asked of an events export, nothing else
            raise ImportFileError("not an events export (what `export --what events` writes)")
        parsed = parse_file(path, fmt=fmt, encoding=encoding, parse_time=parse_time, text=text)
    except ImportFileError as e:
        raise ImportFileError(f"{path}: {e}") from None
    rows: list[ImportRow] = []
    bad = list(parsed.bad)
    for row in parsed.rows:
        new = NewCase(**row.values)
        try:
            app.check_new(new, actor)
        except (InvalidInput, RuleRefused) as e:
            bad.append(BadRow(row.line, str(e)))
            continue
        rows.append(ImportRow(new, row.key, row.line))
    bad.sort(key=lambda b: b.line)
    for b in bad:
        on_bad(b)
    if bad and not skip_bad:
        none = _("{count} bad row(s); nothing imported (fix them, or use --on-error skip)")
        raise BadRowsError(none.format(count=len(bad)))
    created: list[dict[str, Any]] = []
    existing: list[dict[str, Any]] = []
    files: dict[Any, Any] = {}  # the customer files as the batches so far left them
    for i in range(0, len(rows), batch_size):
        chunk = rows[i : i + batch_size]
        if len(files) > FILES_KEPT:
            files.clear()  # read again as needed: the memory of a huge import stays bounded
        for done, ref, is_new in app.receive_many(chunk, actor, _name(path), files):
            (created if is_new else existing).append({"line": done.line, "ref": ref})
        progress(i + len(chunk), len(rows))
    return {
        "file": str(path),
        "imported": len(created),
        "already_imported": len(existing),
        "bad": [b.to_dict() for b in bad],
        "duplicates_in_file": [d.to_dict() for d in parsed.duplicates_in_file],
        "cases": created,
        "existing": existing,
    }
