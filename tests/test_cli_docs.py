"""The command reference and the help texts: docs/cli.md is generated, never stale."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from complaintctl import config as configuration
from complaintctl.cli.docs import reference, walk
from complaintctl.cli.group import BACKENDS, COMMANDS, main

DOCS = Path(__file__).resolve().parent.parent / "docs" / "cli.md"


def _entries() -> list[tuple[str, click.Command]]:
    root = click.Context(main, info_name="complaintctl", **main.context_settings)
    return [(path, cmd) for path, cmd, _ctx in walk(main, root)]


def test_docs_cli_md_is_up_to_date() -> None:
    """Regenerate with: python -m complaintctl.cli.docs > docs/cli.md"""
    assert DOCS.read_text("utf-8") == reference(), (
        "docs/cli.md is stale: run `python -m complaintctl.cli.docs > docs/cli.md`"
    )


def test_the_docs_script_prints_the_reference() -> None:
    out = subprocess.run(
        [sys.executable, "-m", "complaintctl.cli.docs"],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    ).stdout
    assert out == reference()


@pytest.mark.parametrize(("path", "cmd"), _entries(), ids=lambda v: str(v))
def test_every_command_has_help_with_an_example(path: str, cmd: click.Command) -> None:
    assert cmd.help and cmd.help.strip(), f"{path} has no help text"
    assert "Example" in cmd.help, f"{path} --help has no example"
    for line in cmd.help.splitlines():
        if line.strip().startswith("complaintctl ") and path != "complaintctl":
            assert line.strip().startswith(path) or "complaintctl --" in line or "$(" in line
            break


@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_the_table_summary_is_the_commands_own(name: str) -> None:
    """``complaintctl --help`` lists the table's summary without importing the command."""
    cmd = main.get_command(click.Context(main), name)
    assert cmd is not None and cmd.name == name
    summary = COMMANDS[name][1].removesuffix("...")
    first = " ".join((cmd.help or "").split("\n\n")[0].split())
    assert first.startswith(summary), (summary, first)


def test_backends_are_the_configs() -> None:
    assert tuple(BACKENDS) == tuple(configuration.BACKENDS)


def test_help_imports_no_command_module() -> None:
    code = (
        "import sys\n"
        "from click.testing import CliRunner\n"
        "from complaintctl.cli import main\n"
        "r = CliRunner().invoke(main, ['--help'])\n"
        "assert r.exit_code == 0, r.output\n"
        "loaded = sorted(m for m in sys.modules if m.startswith(('events', 'projections',"
        " 'eventsourcing', 'tabulate', 'complaintctl.cli.', 'complaintctl.app')))\n"
        "print(' '.join(m for m in loaded if m not in ('complaintctl.cli.group',"
        " 'complaintctl.cli.context')))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    ).stdout
    assert out.strip() == ""


def test_show_imports_neither_the_read_models_nor_tabulate_for_json(tmp_path: Path) -> None:
    from conftest import make_store

    s = make_store(tmp_path / "s")
    ref = s.new()
    code = (
        "import sys\n"
        "from click.testing import CliRunner\n"
        "from complaintctl.cli import main\n"
        f"r = CliRunner().invoke(main, ['--store', {str(s.path)!r}, '--actor', '张伟',"
        f" 'show', {ref!r}, '--json'])\n"
        "assert r.exit_code == 0, r.output\n"
        "print(' '.join(sorted(m for m in sys.modules if m.startswith(('tabulate',"
        " 'complaintctl.cli.cases', 'complaintctl.cli.newcase', 'complaintctl.cli.casework',"
        " 'complaintctl.cli.data', 'complaintctl.cli.reports')))))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    ).stdout
    assert out.strip() == ""


def test_show_help_names_no_internal_function() -> None:
    out = CliRunner().invoke(main, ["show", "--help"]).stdout
    assert "readcmds" not in out and "show_as_of" not in out and "_" not in out.split("Options")[1]
