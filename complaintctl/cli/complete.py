"""Shell completion of live values: case references, staff, categories, channels,
departments, shifts and groups, read from the store's config and read-model cache.

click completes a command line without running the group's callback, so there is
no :class:`Ctx` yet: one is made here from the global options as parsed. A value
that cannot be read (no store yet, a bad config) completes to nothing: a shell
must never see a traceback. The completers are attached by parameter name in one
place (:func:`attach`), so every command that takes a REF or an owner completes it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TYPE_CHECKING

import click
from click.shell_completion import CompletionItem

from complaintctl.cli.context import Ctx

if TYPE_CHECKING:
    from complaintctl.config import Config

#: How many references a completion offers at most (open ones first).
MAX_REFS = 100

Completer = Callable[[click.Context, click.Parameter, str], list[CompletionItem]]


def _ctx(ctx: click.Context) -> Ctx:
    """The command's context object, made from the global options as click parsed them."""
    from complaintctl.config import CONFIG_NAME

    root = ctx.find_root()
    if isinstance(root.obj, Ctx):
        return root.obj
    p = root.params
    store = Path(p.get("store") or "./complaints")
    return Ctx(
        store=store,
        actor=str(p.get("actor") or "").strip() or "unknown",
        config_path=p.get("config_path") or store / CONFIG_NAME,
        backend=p.get("backend"),
        key_file=p.get("key_file"),
    )


Values = Iterable[tuple[str, str | None]]


def _safely(read: Callable[[Ctx, str], Values]) -> Completer:
    """A completer from ``read(obj, typed)`` -> ``(value, help)``, filtered by what was typed."""

    def complete(
        ctx: click.Context, _param: click.Parameter, incomplete: str
    ) -> list[CompletionItem]:
        root = ctx.find_root()
        try:
            with root:  # resources the reading opens are closed with it
                obj = _ctx(ctx)
                want = incomplete.casefold()
                return [
                    CompletionItem(value, help=help)
                    for value, help in read(obj, incomplete)
                    if value.casefold().startswith(want)
                ]
        except Exception:  # no store, a bad config, a locked cache: nothing to offer
            return []

    return complete


def _config(obj: Ctx) -> Config:
    return obj.config()


def _named(key: str, values: Iterable[str]) -> list[tuple[str, str | None]]:
    """The shop's keys with the name a person reads (``[display.<language>]``) as help."""
    from complaintctl.i18n import label

    out: list[tuple[str, str | None]] = []
    for v in values:
        shown = label(key, v)
        out.append((v, shown if shown != v else None))
    return out


def _refs(obj: Ctx, typed: str) -> Values:
    from complaintctl.i18n import label

    return [
        (ref, str(label("status", status)))
        for ref, status in obj.models().cases.refs_starting(typed, MAX_REFS)
    ]


def _staff(obj: Ctx, _typed: str) -> Values:
    from complaintctl.i18n import label

    staff = _config(obj).policy.staff
    return [(name, f"{label('role', m.role)}, tier {m.tier}") for name, m in staff.items()]


def _categories(obj: Ctx, _typed: str) -> Values:
    return _named("category", _config(obj).policy.categories)


def _channels(obj: Ctx, _typed: str) -> Values:
    return _named("channel", _config(obj).policy.channels)


def _departments(obj: Ctx, _typed: str) -> Values:
    return _named("department", _config(obj).policy.departments)


def _shifts(obj: Ctx, _typed: str) -> Values:
    shifts = _config(obj).read.shifts
    shown = dict(_named("shift", shifts))
    return [
        (name, shown[name] or f"{start:%H:%M}-{end:%H:%M}") for name, (start, end) in shifts.items()
    ]


def _groups(obj: Ctx, _typed: str) -> Values:
    return [(name, None) for name in obj.models().groups.names()]


#: parameter name -> its completer; ``(command, name)`` where a name means more than one thing.
COMPLETERS: dict[str | tuple[str, str], Completer] = {
    "ref": _safely(_refs),
    "refs": _safely(_refs),
    "owner": _safely(_staff),
    "at_fault": _safely(_staff),
    "action_owner": _safely(_staff),
    "category": _safely(_categories),
    "channel": _safely(_channels),
    "department": _safely(_departments),
    "shift": _safely(_shifts),
    "group": _safely(_groups),
    ("group", "name"): _safely(_groups),
}


def attach(cmd: click.Command) -> None:
    """Give the command's parameters their completers, by name (those without their own).

    click keeps a parameter's ``shell_complete=`` in ``_custom_shell_complete``; setting
    it here is the same as passing it to each of some forty declarations.
    """
    for param in cmd.params:
        complete = COMPLETERS.get((cmd.name or "", param.name or "")) or COMPLETERS.get(
            param.name or ""
        )
        if complete is not None and param._custom_shell_complete is None:
            param._custom_shell_complete = complete
