"""``batch``: many commands in one process, for scripts that touch many cases.

A fresh process costs most of a command's time (imports, opening the store);
a script that notes 1,000 cases pays it once here. Each line is a command as
typed after the program name (shell quoting), or a JSON array of its words;
the batch's own global options (``--store``, ``--actor``, ...) apply to every
line, and every line runs with ``--json``. Each line is run exactly as its own
process would run it (the same group, the same exit codes), so a line that
fails writes nothing, as the command alone would, and the batch goes on. Each
outcome is one JSON line on stdout, written as soon as the line is done.
"""

from __future__ import annotations

import io
import shlex
import sqlite3
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

import click
import orjson

from complaintctl.cli.context import Ctx, pass_ctx
from complaintctl.cli.options import json_option
from complaintctl.errors import OK, UNEXPECTED, USAGE
from complaintctl.i18n import _
from complaintctl.render.rows import jsonl

#: The command a line may not run: a batch inside a batch would read the same input.
NOT_IN_A_BATCH = frozenset({"batch"})


@click.command("batch")
@click.argument(
    "file",
    required=False,
    default="-",
    type=click.Path(exists=True, dir_okay=False, allow_dash=True, path_type=Path),
)
@json_option  # accepted as on every command: the outcomes are JSON Lines either way
@pass_ctx
def batch(obj: Ctx, file: Path) -> None:
    """Run many commands in one process: one command per line, from FILE or stdin.

    A line is written as on the command line without the program name (shell
    quoting), or as a JSON array of its words; blank lines and lines starting
    with # are skipped. The global options of the batch (--store, --actor,
    --config, --backend, --key-file, --lang) apply to every line, and every
    line runs with --json (the batch's own --json changes nothing). Each
    line's outcome is one JSON line on stdout: its "line" number, its "exit"
    code, and the command's JSON "result" (its text as "output" when it
    prints no single JSON document) or its "error" message. A failing line
    writes nothing and the batch goes on; the batch exits 0 when every line
    did, else with the first failing line's code.

    \b
    Example:
        printf '%s\\n' 'note C-2026-00001 "已电话联系"' 'ack C-2026-00002' \\
            | complaintctl --actor 张伟 batch
        complaintctl batch commands.txt
    """
    from complaintctl.cli import context

    first_failure = OK
    stream = _open(file)
    context.SESSION = session = context.Session()
    hold = CacheHold(obj.store)
    try:
        for number, raw in enumerate(_lines(stream), start=1):
            text = raw.strip()
            if not text or text.startswith("#"):
                continue
            hold.keep()
            outcome = run_line(obj, number, text)
            # One JSON line, with nothing in it a terminal acts on (a C1 control a
            # line's words carried, say, into an error message).
            sys.stdout.buffer.write(jsonl([outcome]).encode())
            sys.stdout.flush()
            if outcome["exit"] != OK:
                session.drop_apps()
                if first_failure == OK:
                    first_failure = outcome["exit"]
    finally:
        context.SESSION = None
        session.drop_apps()
        hold.close()
        if stream is not sys.stdin:
            stream.close()
    if first_failure != OK:
        raise click.exceptions.Exit(first_failure)


class CacheHold:
    """A read-only connection held on the read-model cache for the whole batch.

    Each line's command opens the cache and closes it when done; the last
    connection to close a SQLite file in WAL mode checkpoints the WAL into it and
    deletes it (an ``fdatasync`` of the WAL twice, of the file and of the
    directory, which recreates the WAL next time): four disk flushes for every
    read that caught up after a write. While this one stays open no line's is
    the last, and SQLite's automatic checkpoint (every 1,000 pages) does that
    work now and then; what the cache holds is the same either way.

    Read-only, it never checkpoints or deletes the WAL itself, so it may be the
    last to close, and a cache file replaced meanwhile (a rebuild, here or in
    another process, which takes the cache's lock alone: this connection takes
    no lock) is left alone: the old file is let go at the next line.
    """

    def __init__(self, store: Path) -> None:
        from projections.cachefiles import cache_path

        self.path = cache_path(store)
        self.db: sqlite3.Connection | None = None
        self.inode = 0

    def keep(self) -> None:
        """Hold the cache file there now (once made; again once a rebuild replaced it)."""
        try:
            inode = self.path.stat().st_ino
        except OSError:
            return
        if self.db is not None and inode == self.inode:
            return
        self.close()
        try:
            uri = f"{self.path.absolute().as_uri()}?mode=ro"
            db = sqlite3.connect(uri, uri=True, timeout=0, isolation_level=None)
            db.execute("SELECT 1 FROM sqlite_master LIMIT 1").fetchall()  # opens the WAL
        except sqlite3.Error:
            return  # only ever a saving: a line opens the cache as it would alone
        self.db, self.inode = db, inode

    def close(self) -> None:
        if self.db is not None:
            self.db.close()
            self.db = None


def _open(file: Path) -> IO[str]:
    if str(file) == "-":
        return sys.stdin
    return file.open(encoding="utf-8", errors="strict")


def _lines(stream: IO[str]) -> Iterator[str]:
    """The input's lines, one at a time (a script piping commands sees each result at once)."""
    try:
        yield from iter(stream.readline, "")
    except UnicodeDecodeError as e:
        from complaintctl.errors import UsageProblem

        raise UsageProblem(
            _("the batch input is not UTF-8 text ({problem})").format(problem=e.reason)
        ) from None


def words(text: str) -> list[str]:
    """A line's words: a JSON array of strings, else shell quoting (ValueError if neither)."""
    if text.startswith("["):
        try:
            value = orjson.loads(text)
        except orjson.JSONDecodeError as e:
            raise ValueError(
                _("not a JSON array of strings: {problem}").format(problem=e)
            ) from None
        if not isinstance(value, list) or not all(isinstance(w, str) for w in value):
            raise ValueError(_("not a JSON array of strings"))
        return value
    try:
        return shlex.split(text, comments=False, posix=True)
    except ValueError as e:
        problem = _("the line's quoting does not close ({problem})").format(problem=e)
        raise ValueError(problem) from None


def run_line(obj: Ctx, number: int, text: str) -> dict[str, Any]:
    """One line run as its own command would run: its outcome as the batch prints it."""
    from complaintctl.cli.group import COMMANDS

    try:
        args = words(text)
    except ValueError as e:
        return _failed(number, USAGE, _("line {n}: {problem}").format(n=number, problem=e))
    if not args:
        return _failed(number, USAGE, _("line {n}: no command").format(n=number))
    name = args[0]
    if name not in COMMANDS or name in NOT_IN_A_BATCH:
        problem = (
            _("a line starts with a command; the batch's global options apply to every line")
            if name.startswith("-")
            else _("not a command here: {name}").format(name=name)
        )
        return _failed(number, USAGE, _("line {n}: {problem}").format(n=number, problem=problem))
    code, out, error = _invoke([*global_args(obj), "--json", *args])
    outcome: dict[str, Any] = {"line": number, "exit": code}
    if error is not None:
        outcome["error"] = error
        return outcome
    try:
        outcome["result"] = orjson.loads(out) if out.strip() else None
    except orjson.JSONDecodeError:
        outcome["output"] = out
    return outcome


def _failed(number: int, code: int, message: str) -> dict[str, Any]:
    return {"line": number, "exit": code, "error": message}


def global_args(obj: Ctx) -> list[str]:
    """The batch's global options, as every line gets them."""
    from complaintctl.i18n import chosen

    args = ["--store", str(obj.store), "--actor", obj.actor, "--config", str(obj.config_path)]
    if obj.backend:
        args += ["--backend", obj.backend]
    if obj.key_file is not None:
        args += ["--key-file", str(obj.key_file)]
    lang = chosen()
    if lang is not None:
        args += ["--lang", lang]
    if obj.debug:
        args.append("--debug")
    return args


def _invoke(argv: list[str]) -> tuple[int, str, str | None]:
    """Run the group on ``argv`` in this process: (exit code, stdout, error message or None).

    The line's stdout is kept apart (it becomes its outcome's ``result``); its
    stdin is empty (the batch's own input is the list of commands); stderr is
    the batch's, where a command's warnings go as they would.
    """
    from complaintctl.cli.group import main

    out = io.BytesIO()
    saved = sys.stdout, sys.stdin
    line_out = io.TextIOWrapper(out, encoding="utf-8", write_through=True)
    sys.stdout, sys.stdin = line_out, io.StringIO()
    error: str | None = None
    try:
        returned = main.main(argv, prog_name="complaintctl", standalone_mode=False)
        code = returned if isinstance(returned, int) else OK
    except click.ClickException as e:
        code, error = e.exit_code, e.format_message()
    except click.exceptions.Abort:
        code, error = UNEXPECTED, _("aborted")
    finally:
        line_out.flush()
        sys.stdout, sys.stdin = saved
        line_out.detach()  # the buffer outlives its wrapper
    text = out.getvalue().decode("utf-8", errors="replace")
    if error is None and code != OK and not text.strip():
        error = _("exit {code}").format(code=code)
    return code, text, error
