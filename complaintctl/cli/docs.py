"""The command reference (docs/cli.md), generated from every command's ``--help``.

Run ``python -m complaintctl.cli.docs > docs/cli.md`` after changing a command;
``tests/test_cli_docs.py`` fails while docs/cli.md is stale.
"""

from __future__ import annotations

from collections.abc import Iterator

import click

from complaintctl.cli.group import main

WIDTH = 88  # fixed, so the page does not depend on the terminal it is made in

HEADER = """\
# Command reference

Generated from `--help` by `python -m complaintctl.cli.docs > docs/cli.md`;
do not edit by hand (a test fails when this page and the commands disagree).
The contract these commands keep (names, JSON keys, exit codes) is in the
project's CLI notes; every reading command takes the same `--format` names.

A TIME is ISO 8601 (`2026-11-23T10:00`, `2026-11-23 14:00`, `2026-11-23`; no
zone: the shop's), `2026/11/23`, `11月23日`, a word (`now`, `today`, `tomorrow`,
`yesterday`, `monday`/`mon`: the next one, `今天`, `明天`, `后天`, `昨天`, `前天`,
`周一`/`星期一`, `下周一`..`下周日`; a day alone is its 00:00, `明天 14:00` or
`明天下午3点` a time of it, `14:00` today's), relative (`+24h`, `+1.5h`, `-2d`,
`+30m`, `in 3 days`) or working days on the shop's calendar (`in 3 working
days`, `3个工作日后`, `3个工作日内`).
Words and relative times count from the command's `--at` when it gives one.
"""


def walk(
    cmd: click.Command, ctx: click.Context
) -> Iterator[tuple[str, click.Command, click.Context]]:
    """Every command below ``cmd`` (groups too), depth first, in name order."""
    yield ctx.command_path, cmd, ctx
    if isinstance(cmd, click.Group):
        for name in cmd.list_commands(ctx):
            sub = cmd.get_command(ctx, name)
            if sub is not None:
                sub_ctx = click.Context(sub, info_name=name, parent=ctx, max_content_width=WIDTH)
                sub_ctx.terminal_width = WIDTH
                yield from walk(sub, sub_ctx)


def reference() -> str:
    """The whole page (in English, the source language, whatever the locale)."""
    from complaintctl.i18n import use

    use("en")
    root = click.Context(
        main, info_name="complaintctl", max_content_width=WIDTH, **main.context_settings
    )
    root.terminal_width = WIDTH
    parts = [HEADER]
    entries = list(walk(main, root))
    parts.append("## Commands\n")
    parts.extend(f"- [`{path}`](#{path.replace(' ', '-')})" for path, _c, _x in entries[1:])
    parts.append("")
    for path, cmd, ctx in entries:
        parts.append(f'<a id="{path.replace(" ", "-")}"></a>\n')
        parts.append(f"## `{path}`\n")
        parts.append("```text\n" + cmd.get_help(ctx).rstrip() + "\n```\n")
    return "\n".join(parts)


if __name__ == "__main__":
    click.echo(reference(), nl=False)
