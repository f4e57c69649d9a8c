"""The ``complaintctl`` group: global options, the command table, exit codes in one place.

Commands live in modules by area (:mod:`.cases`, :mod:`.reading`, :mod:`.reports`,
:mod:`.data`, :mod:`.privacy`, :mod:`.admin`) and are imported only when run:
``COMMANDS`` names each one's ``module:function`` and the one-line summary that
``complaintctl --help`` lists (a test checks it against the command's help).
No command module imports this one.
"""

from __future__ import annotations

import getpass
import importlib
import os
import sys
from pathlib import Path
from typing import Any

import click

from complaintctl.cli.context import Ctx
from complaintctl.errors import Bug, UsageProblem
from complaintctl.i18n import LANGUAGES, _, choose

#: The storage backends of ``--backend`` (the config's BACKENDS; a test keeps them equal).
BACKENDS = ("file", "sqlite", "postgres")

#: name -> (module:function below complaintctl.cli, the summary --help lists).
COMMANDS: dict[str, tuple[str, str]] = {
    # setting up and looking after the store
    "init": ("admin:init", "Write complaintctl.toml for a new store; the actor is listed as..."),
    "verify": ("admin:verify", "Check the store: the log's hash chain, every case's versions..."),
    "rebuild": ("admin:rebuild", "Rebuild every read model from the first event (the cache..."),
    "demo": ("admin:demo", "Run a worked case (a misquoted blower motor) from receipt to..."),
    "completion": ("admin:completion", "Print the shell completion script."),
    "config": ("settings:config", "The shop's settings, kept in the store as events: show,..."),
    # the life of a case
    "new": ("newcase:new", "Record a new complaint and print its reference (C-<year>-<5..."),
    "ack": ("cases:ack", "Acknowledge a complaint and promise when the customer hears back."),
    "assign": ("cases:assign", "Give the case to another handler (the first-ask owner stays..."),
    "transfer": ("casework:transfer", "Transfer the case to, or co-handle it with, another..."),
    "classify": ("casework:classify", "Set the category and/or the severity (general or major,..."),
    "note": ("cases:note", "Add a note to the case ('-' reads the text from stdin)."),
    "contact": ("cases:contact", "Record contact with the customer (e.g. at the promised reply..."),
    "investigate": ("cases:investigate", "Record a finding of the investigation."),
    "assess": (
        "casework:assess",
        "Judge whether the complaint is valid, and record root cause and...",
    ),
    "escalate": (
        "casework:escalate",
        "Move the case up one or more tiers (only a manager moves it...",
    ),
    "propose": ("remedies:propose", "Propose a remedy; above the actor's tier limit the whole..."),
    "approve": (
        "remedies:approve",
        "Approve the pending remedy proposal (someone of a higher tier...",
    ),
    "accept": ("remedies:accept", "Record that the customer accepted the open proposal (with..."),
    "reject": ("remedies:reject", "Record that the customer rejected the latest proposal."),
    "resolve": ("casework:resolve", "Mark the case resolved: the agreed remedy was carried out."),
    "followup": (
        "casework:followup",
        "Follow up after resolution; a leftover problem reopens the...",
    ),
    "reopen": (
        "casework:reopen",
        "Reopen a resolved, closed, withdrawn or (by a manager) archived...",
    ),
    "close": ("casework:close", "Close a resolved case (结案)."),
    "review": (
        "casework:review",
        "Record the review (总结): cause, lesson, improvement, its owner and...",
    ),
    "archive": (
        "casework:archive",
        "Archive a closed case; afterwards only a manager can reopen it.",
    ),
    "withdraw": ("casework:withdraw", "Record that the customer withdrew the complaint."),
    "link": ("casework:link", "Link related cases to each other, and optionally to a group..."),
    "attach": (
        "casework:attach",
        "Keep evidence with the case (a regular file up to [attachments]...",
    ),
    "extend": (
        "casework:extend",
        "Extend the regulatory decision date to the config's next step...",
    ),
    # around a case
    "external": ("outside:external", "A consumer association or regulator takes up an existing..."),
    "route": ("outside:route", "After the customer rejected a proposal: record the external..."),
    "actions": ("outside:actions", "The review actions (improvements a review named): owner,..."),
    "action-done": ("outside:action_done", "Mark review action NUMBER of the case done (the..."),
    # reading
    "show": ("reading:show", "Show one case: its fields, proposals, attachments, follow-ups..."),
    "history": ("reading:history", "Every event of the case, oldest first: time, actor, what..."),
    "sla": ("reading:sla", "The SLA clock of one case: time to acknowledge and to resolve,..."),
    "list": ("reading:list_cases", "List cases with filters (oldest first; with --limit, the..."),
    "customer": (
        "reading:customer",
        "Every case of a customer, by name, contact or account (exact,...",
    ),
    "overdue": ("reading:overdue", "Open cases past a deadline (acknowledge, promised reply,..."),
    "followups": (
        "reading:followups",
        "Follow-up calls due (回访): resolved or closed cases not...",
    ),
    "group": ("reading:group", "A group complaint (群体性投诉): members, their statuses,..."),
    "log": ("reading:log", "The raw event stream for auditors: JSON Lines, oldest first, each..."),
    # reports
    "stats": ("reports:stats", "Statistics of the cases received in a period: SLA,..."),
    "report": ("reports:report", "Reports for managers and cron jobs."),
    "alerts": ("alerts:alerts", "What needs attention since the last run, each item told once..."),
    "handover": ("reports:handover", "Shift handover (交接班): open cases by owner, promised..."),
    # moving data
    "import": ("data:import_cases", "Receive cases from a CSV or JSON Lines file (columns: the..."),
    "export": ("data:export", "Write every case (or every event) to stdout, for spreadsheets..."),
    # scripts
    "batch": ("batch:batch", "Run many commands in one process: one command per line, from..."),
    "migrate": ("data:migrate", "Copy every event into an empty store on another backend, and..."),
    # privacy
    "forget": ("privacy:forget", "Crypto-shred a customer's personal data: name, contact and..."),
    "purge-candidates": ("privacy:purge_candidates", "List closed and archived cases closed..."),
    "keygen": (
        "privacy:keygen",
        "Make a new random key for encryption at rest ([store] encrypt...",
    ),
}


def load_command(name: str) -> click.Command:
    """Import the command ``name`` from its module (only this one)."""
    module, _, attr = COMMANDS[name][0].partition(":")
    cmd = getattr(importlib.import_module(f"complaintctl.cli.{module}"), attr)
    assert isinstance(cmd, click.Command), name
    if _completing():
        _completes(cmd)
    return _localised(cmd)


def _completing() -> bool:
    """Whether the shell asks for completions (click's ``_<PROG>_COMPLETE`` variable)."""
    return any(k.startswith("_") and k.endswith("_COMPLETE") for k in os.environ)


def _completes(cmd: click.Command) -> None:
    """Live values for the command's (and a group's subcommands') parameters; only while
    completing, so no other command imports the completion module."""
    from complaintctl.cli.complete import attach

    attach(cmd)
    if isinstance(cmd, click.Group):
        for sub in cmd.commands.values():
            _completes(sub)


class HelpFormatter(click.HelpFormatter):
    """Help in the display language: each paragraph, option help and heading by its msgid.

    click builds help texts when a module is imported, before the language is known;
    translating them here, as they are written out, keeps them English in the code.
    """

    def write_usage(self, prog: str, args: str = "", prefix: str | None = None) -> None:
        if prefix is None:
            prefix = _("Usage:") + " "
        super().write_usage(prog, args, prefix)

    def write_heading(self, heading: str) -> None:
        super().write_heading(_(heading))

    def write_text(self, text: str) -> None:
        super().write_text("\n\n".join(_paragraph(p) for p in text.split("\n\n")))

    def write_dl(self, rows: Any, col_max: int = 30, col_spacing: int = 2) -> None:
        super().write_dl([(term, _help(text)) for term, text in rows], col_max, col_spacing)


def _paragraph(text: str) -> str:
    """A paragraph of help: an example block keeps its lines, only its heading is translated."""
    if text.startswith("\b\n"):
        head, nl, rest = text[2:].partition("\n")
        return f"\b\n{_(head)}{nl}{rest}"
    return _(text)


def _help(text: str) -> str:
    """An option's help, its ``[default: x; required]`` tail translated apart."""
    body, sep, extra = text.partition("  [")
    if not sep and text.startswith("[") and text.endswith("]"):
        body, sep, extra = "", "[", text[1:]
    if not sep:
        return _(text)
    items = []
    for item in extra.removesuffix("]").split("; "):
        word, colon, value = item.partition(": ")
        items.append(f"{_(word)}: {value}" if colon else _(item))
    tail = "[" + "; ".join(items) + "]"
    return f"{_(body)}  {tail}" if body else tail


class I18nContext(click.Context):
    formatter_class = HelpFormatter


def _localised(cmd: click.Command) -> click.Command:
    """The command (and a group's subcommands) writing help in the display language."""
    cmd.context_class = I18nContext
    if isinstance(cmd, click.Group):
        for sub in cmd.commands.values():
            _localised(sub)
    return cmd


class ComplaintGroup(click.Group):
    """Loads commands lazily, and maps every exception from below to its exit code."""

    context_class = I18nContext

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(COMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in COMMANDS:
            return None
        return load_command(cmd_name)

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        """The command list from the table: ``--help`` imports no command module."""
        rows = [(name, COMMANDS[name][1]) for name in self.list_commands(ctx)]
        with formatter.section("Commands"):
            formatter.write_dl(rows)

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        # Before any option: ``--help`` may come first and print in the language.
        env = os.environ.get("COMPLAINTCTL_LANG")
        choose(env if env in LANGUAGES else None)
        try:
            return super().parse_args(ctx, args)
        except click.ClickException as e:
            # "No such option: <typed>": no escape reaches the terminal raw.
            e.message = _safe(e.message)  # type: ignore[misc]
            raise
        except ValueError as e:
            # A NUL byte in --store or --config (only a caller in Python can pass one).
            err = _translate(e)
            if err is None:
                raise
            raise err from None

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except click.ClickException as e:
            # click's own messages quote what was typed: no escape reaches the terminal raw.
            e.message = _safe(e.message)  # type: ignore[misc]
            raise
        except (click.exceptions.Exit, click.Abort):
            raise
        except BrokenPipeError:
            # The reader went away (``| head``): stop quietly, as other tools do.
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())
            raise click.exceptions.Exit(0) from None
        except Exception as e:
            err = _translate(e)
            if err is not None:
                raise err from None
            obj = ctx.find_object(Ctx)
            if obj is not None and obj.debug:
                raise
            raise Bug(
                _(
                    "unexpected failure, this is a bug (rerun with --debug for the traceback): "
                    "{problem}"
                ).format(problem=f"{type(e).__name__}: {e}")
            ) from None


def _safe(message: str) -> str:
    from complaintctl.render import safe

    return safe(message, multiline=True)


def _translate(e: BaseException) -> click.ClickException | None:
    from complaintctl.errors import translate

    return translate(e)


def _login_name() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "unknown"


def _complete_actor(ctx: click.Context, param: click.Parameter, incomplete: str) -> list[Any]:
    """``--actor`` completes the shop's staff (the completion module loads only here)."""
    from complaintctl.cli.complete import COMPLETERS

    return COMPLETERS["owner"](ctx, param, incomplete)


def _set_lang(_ctx: click.Context, _param: click.Parameter, value: str | None) -> None:
    choose(value)


def _set_no_pager(_ctx: click.Context, _param: click.Parameter, value: bool) -> None:
    if value or "complaintctl.render.terminal" in sys.modules:  # a batch's lines share one
        from complaintctl.render.terminal import no_pager

        no_pager(value)


def _quick_exit() -> None:
    """Skip the interpreter's last garbage collection when the command ends.

    At exit CPython collects every object of the process, all of them still
    reachable from the modules: a tenth of a reading command's instructions
    (list --json: 384 M -> 350 M, BENCHMARKS.md, issue 14, fifth round).
    :func:`gc.freeze` as the last exit handler leaves them to the operating
    system. Nothing of ours waits on that collection: the log is fsynced and
    SQLite committed before a command returns, files are closed by ``with``,
    and standard output and error are flushed by the interpreter after it.
    """
    import atexit
    import gc

    global _QUICK_EXIT
    if not _QUICK_EXIT:
        _QUICK_EXIT = True
        atexit.register(gc.freeze)


_QUICK_EXIT = False


@click.group(cls=ComplaintGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--store",
    envvar="COMPLAINTCTL_STORE",
    default="./complaints",
    show_default=True,
    # Not readable=True: a store this user may not read is "unavailable" (exit 7), not usage.
    type=click.Path(file_okay=False, readable=False, path_type=Path),
    help="The store directory (env COMPLAINTCTL_STORE).",
)
@click.option(
    "--actor",
    envvar="COMPLAINTCTL_ACTOR",
    default=_login_name,
    shell_complete=_complete_actor,
    help="Who acts; recorded on every event (env COMPLAINTCTL_ACTOR; default: login name).",
)
@click.option(
    "--config",
    "config_path",
    envvar="COMPLAINTCTL_CONFIG",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Config file (env COMPLAINTCTL_CONFIG; default <store>/complaintctl.toml).",
)
@click.option(
    "--backend",
    envvar="COMPLAINTCTL_BACKEND",
    type=click.Choice(BACKENDS),
    help="Storage backend (env COMPLAINTCTL_BACKEND; default: the config's, else file).",
)
@click.option(
    "--key-file",
    type=click.Path(dir_okay=False, path_type=Path),
    help="The encryption-at-rest key (env COMPLAINTCTL_KEY_FILE, or the key itself in "
    "COMPLAINTCTL_CIPHER_KEY); used when the config says [store] encrypt = true.",
)
@click.option(
    "--lang",
    envvar="COMPLAINTCTL_LANG",
    type=click.Choice(LANGUAGES),
    is_eager=True,
    expose_value=False,
    callback=_set_lang,
    help="Display language (env COMPLAINTCTL_LANG; default: the config's [display] "
    "language, else the locale's, else en). JSON and CSV keys are the same in every one.",
)
@click.option(
    "--no-pager",
    is_flag=True,
    expose_value=False,
    callback=_set_no_pager,
    help="Print long output straight to the terminal (default: through COMPLAINTCTL_PAGER, "
    "else PAGER, else less -FRX; a pager of cat turns it off too).",
)
@click.option("--json", "as_json", is_flag=True, help="Print one JSON document on stdout.")
@click.option("--debug", is_flag=True, help="Show tracebacks of unexpected failures.")
@click.version_option(package_name="complaintctl")
@click.pass_context
def main(
    ctx: click.Context,
    store: Path,
    actor: str,
    config_path: Path | None,
    backend: str | None,
    key_file: Path | None,
    as_json: bool,
    debug: bool,
) -> None:
    """Handle customer complaints from receipt to archive, on an event-sourced store.

    \b
    Example:
        complaintctl --store ./complaints --actor 陈总 init --preset car-service
        complaintctl new --customer 王先生 --contact 13800000000 \\
            --channel walk-in --category misquote --summary "报价200,实际1000多"

    Shell completion: eval "$(complaintctl completion bash)" (or zsh, fish).
    """
    from complaintctl.config import CONFIG_NAME

    # Everything this process creates (store, logs, indexes, cache, keys, attachments,
    # the config) is for the store's owner only: directories 0700, files 0600.
    os.umask(0o077)
    _quick_exit()
    actor = actor.strip()
    if not actor:
        raise UsageProblem(_("--actor must not be empty"))
    ctx.obj = Ctx(
        store=store,
        actor=actor,
        config_path=config_path or store / CONFIG_NAME,
        backend=backend,
        debug=debug,
        json=as_json,
        key_file=key_file,
    )
