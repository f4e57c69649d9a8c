"""Progress bars on a terminal (stderr) only; cron jobs, pipes and ``--quiet`` get silence."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import click

from complaintctl.render import safe


@contextmanager
def progress(label: str) -> Iterator[Callable[[int, int | None], None]]:
    """Yield ``update(position, total)``; the bar appears at the first update."""
    state: dict[str, Any] = {}
    silent = _quiet() or not sys.stderr.isatty()

    def update(position: int, total: int | None) -> None:
        if silent:
            return
        if total is None:
            # click's bar needs a length: work of unknown length gets a running count.
            state["count"] = position
            click.echo(f"\r{safe(label)}: {position}", nl=False, err=True)
            return
        bar = state.get("bar")
        if bar is None:
            bar = click.progressbar(length=total, label=label, file=sys.stderr)
            bar.__enter__()
            state["bar"] = bar
        bar.update(position - state.get("at", 0))
        state["at"] = position

    try:
        yield update
    finally:
        if "bar" in state:
            state["bar"].__exit__(None, None, None)
        if "count" in state:
            click.echo(err=True)


def _quiet() -> bool:
    from complaintctl.cli.context import Ctx

    ctx = click.get_current_context(silent=True)
    obj = ctx.find_object(Ctx) if ctx is not None else None
    return bool(obj is not None and obj.quiet)


@contextmanager
def counter(label: str) -> Iterator[Callable[[int], None]]:
    """Yield ``advance(n)`` for work of unknown length (a migration's pages)."""
    done = [0]
    with progress(label) as update:

        def advance(n: int) -> None:
            done[0] += n
            update(done[0], None)

        yield advance
