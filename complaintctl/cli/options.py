"""The option types and decorators every command shares.

- :func:`json_option`: ``--json`` on every command.
- :func:`quiet_option`: ``--quiet`` on the chatty commands (import, migrate, rebuild...).
- :func:`output_options`: ``--format`` with the formats of CLI.md ("Output"),
  the same names on every reading command, and ``--json`` as its shorthand.
- :func:`time_option`: TIME options handed to the command as an aware datetime.
- :func:`at_option`: ``--at TIME`` on every writing command, the business time.
- :class:`DecimalType`, :class:`CurrencyType`: money without floats.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Any, TypeVar, cast

import click

from complaintctl.cli.context import Ctx
from complaintctl.errors import UsageProblem
from complaintctl.i18n import _
from complaintctl.render import ENCODING_KEY, ENCODINGS

F = TypeVar("F", bound=Callable[..., Any])

#: Every reading command's formats (``html`` where a person files the output).
FORMATS = ("table", "json", "jsonl", "csv", "tsv", "markdown")


def _set_json(ctx: click.Context, _param: click.Parameter, value: bool) -> None:
    if value:
        obj = ctx.find_object(Ctx)
        if obj is not None:
            obj.json = True


def json_option(f: F) -> F:
    """``--json`` on every command: one JSON document on stdout."""
    return click.option(
        "--json",
        is_flag=True,
        expose_value=False,
        callback=_set_json,
        help="Print one JSON document on stdout (the same as --format json).",
    )(f)


def _set_quiet(ctx: click.Context, _param: click.Parameter, value: bool) -> None:
    if value:
        obj = ctx.find_object(Ctx)
        if obj is not None:
            obj.quiet = True


def quiet_option(f: F) -> F:
    """``--quiet`` on a chatty command: progress and chatter off, errors and exit codes kept."""
    return click.option(
        "--quiet",
        "-q",
        is_flag=True,
        expose_value=False,
        callback=_set_quiet,
        help="No progress and no messages for a person; errors are still printed, "
        "the exit code is the same, and --json still prints its document.",
    )(f)


def output_options(
    *, extra: tuple[str, ...] = (), default: str = "table", aliases: Mapping[str, str] | None = None
) -> Callable[[F], F]:
    """``--format`` and ``--json``; the command reads the choice as ``obj.output``.

    ``extra`` adds formats beyond the common ones (``html``); ``aliases`` keeps
    old names working (``report daily --format text`` is ``table``).
    """
    names = (*FORMATS, *extra)
    alias = dict(aliases or {})

    def set_format(ctx: click.Context, _param: click.Parameter, value: str) -> str:
        value = alias.get(value, value)
        obj = ctx.find_object(Ctx)
        if obj is not None:
            obj.format = value
            if value == "json":
                obj.json = True
        return value

    def set_encoding(ctx: click.Context, _param: click.Parameter, value: str) -> str:
        ctx.meta[ENCODING_KEY] = value
        return value

    def decorate(f: F) -> F:
        f = click.option(
            "--encoding",
            type=click.Choice(ENCODINGS),
            default="utf-8",
            show_default=True,
            expose_value=False,
            callback=set_encoding,
            help="The encoding of CSV and TSV output: utf-8-sig (with a BOM) or gbk for "
            "Excel on Windows.",
        )(f)
        return click.option(
            "--format",
            "fmt",
            type=click.Choice([*names, *alias]),
            default=default,
            show_default=True,
            expose_value=False,
            callback=set_format,
            help="Output format (--json: --format json).",
        )(json_option(f))

    return decorate


class TimeType(click.ParamType[datetime]):
    """TIME of CLI.md: ISO 8601, the words people use, or relative (+24h, in 3 working days).

    Relative forms and words count from the command's ``--at`` when it states
    one (``--at`` is read first), else from now; working days on the shop's
    calendar, in its zone (:mod:`complaintctl.timeparse`).
    """

    name = "TIME"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        if isinstance(value, datetime) or ctx is None or ctx.resilient_parsing:
            return value
        from complaintctl.timeparse import parse_time

        obj = ctx.find_object(Ctx)
        assert obj is not None, "a TIME option outside the complaintctl group"
        option = param.opts[0] if param is not None and param.opts else "TIME"
        at = ctx.params.get("at") if param is None or param.name != "at" else None
        base = at if isinstance(at, datetime) else datetime.now(UTC)
        policy = obj.config().policy
        try:
            return parse_time(str(value), policy.zone, base, policy.calendar)
        except ValueError as e:
            raise UsageProblem(f"{option}: {e}") from None


TIME = TimeType()


def time_option(*decls: str, **kwargs: Any) -> Callable[[F], F]:
    """An option whose value reaches the command as an aware datetime (or None)."""
    return click.option(*decls, type=TIME, **kwargs)


AT_HELP = (
    "When it really happened (TIME; default now). Not in the future, not before "
    "the case's previous action. The command's relative times (+24h) count from it."
)


def at_option(f: F) -> F:
    """``--at TIME``: the command runs at that business time (:mod:`events.businesstime`).

    Every event the command writes carries it, and the write model refuses a
    time in the future or before the case's previous action; the command
    body needs no parameter for it. The command's other relative times count
    from it, and it obeys the shop's rules in force at that time (the
    settings' changes up to then: :func:`complaintctl.settings.rules_in_force`).
    """

    @functools.wraps(f)
    def run(*args: Any, at: datetime | None = None, **kwargs: Any) -> Any:
        from events.businesstime import acting_at

        ctx = click.get_current_context(silent=True)
        with acting_at(at):
            obj = ctx.find_object(Ctx) if ctx is not None else None
            if at is not None and obj is not None and obj.config_loaded:
                obj.reload_config()  # read while parsing (the zone): now the rules at --at
            return f(*args, **kwargs)

    # Eager: read before the command's other times, which count from it.
    return click.option("--at", "at", type=TIME, is_eager=True, help=AT_HELP)(cast(F, run))


class DecimalType(click.ParamType[Decimal]):
    """Money as Decimal, never float; refuses NaN and infinities."""

    name = "DECIMAL"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        if isinstance(value, Decimal):
            return value
        try:
            d = Decimal(str(value).strip())
        except InvalidOperation:
            self.fail(_("not a decimal amount: {value}").format(value=repr(value)), param, ctx)
        if not d.is_finite():
            self.fail(_("not a finite amount: {value}").format(value=repr(value)), param, ctx)
        if d < 0:
            self.fail(_("must not be negative"), param, ctx)
        return d


class CurrencyType(click.ParamType[str]):
    name = "CODE"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        """An ISO 4217 code (``RMB`` is ``CNY``): the one list, :mod:`events.currencies`."""
        from complaintctl.refusals import detail
        from events.currencies import currency_code
        from events.errors import InvalidInput

        try:
            return currency_code(str(value))
        except InvalidInput as e:
            self.fail(detail(str(e)), param, ctx)


DECIMAL = DecimalType()
CURRENCY = CurrencyType()
