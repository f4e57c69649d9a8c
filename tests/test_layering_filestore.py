"""The file store is a package of its own (issue 9): it imports nothing of the project.

It may use the standard library, ``orjson`` and ``eventsourcing``; nothing
from ``events/``, ``projections/`` or the rest of ``complaintctl/``. Its
messages say what is wrong, never which command to run (the CLI adds that).
The imports are read from the source with ``ast``, so an import inside a
function counts too.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

from eventsourcing.persistence import InfrastructureFactory

import complaintctl.filestore as fs

PACKAGE = Path(fs.__file__).parent
PROJECT = ("events", "projections", "complaintctl")


def _modules() -> list[Path]:
    found = sorted(PACKAGE.glob("*.py"))
    assert {p.name for p in found} >= {"__init__.py", "lines.py", "log.py", "reader.py"}
    return found


def _imports(path: Path) -> list[str]:
    names = []
    for node in ast.walk(ast.parse(path.read_text("utf-8"))):
        if isinstance(node, ast.Import):
            names += [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:  # relative: inside the package by construction
                continue
            names.append(node.module or "")
    return names


def test_the_package_imports_nothing_of_the_project() -> None:
    bad = [
        f"{path.name}: {name}"
        for path in _modules()
        for name in _imports(path)
        if name.split(".")[0] in PROJECT
        and not (name == "complaintctl.filestore" or name.startswith("complaintctl.filestore."))
    ]
    assert bad == []


def test_no_module_is_over_600_lines() -> None:
    sizes = {p.name: len(p.read_text("utf-8").splitlines()) for p in _modules()}
    assert max(sizes.values()) <= 600, sizes


def test_messages_name_no_command() -> None:
    """No string in the package tells the user to run a complaintctl command."""
    command = re.compile(r"complaintctl [a-z]")
    bad = [
        f"{path.name}:{node.lineno}: {node.value!r}"
        for path in _modules()
        for node in ast.walk(ast.parse(path.read_text("utf-8")))
        if isinstance(node, ast.Constant)
        and isinstance(node.value, str)
        and command.search(node.value)
    ]
    assert bad == []


def test_the_module_path_finds_exactly_one_factory() -> None:
    """``PERSISTENCE_MODULE=complaintctl.filestore`` keeps working (the library wants one)."""
    factories = {
        v for v in vars(fs).values() if isinstance(v, type) and issubclass(v, InfrastructureFactory)
    }
    assert factories == {fs.FileInfrastructureFactory}
    env = {"PERSISTENCE_MODULE": "complaintctl.filestore", "FILESTORE_PATH": "/nonexistent"}
    assert type(InfrastructureFactory.construct(env)) is fs.FileInfrastructureFactory


#: A fresh process: the reader and the log load without the library; the library, loaded
#: afterwards, still finds the factory and the errors are still its classes.
LAZY_PROBE = """
import sys
import complaintctl.filestore.log, complaintctl.filestore.reader
from complaintctl.filestore import errors
light = {"eventsourcing", "eventsourcing.utils"}
before = sorted(m for m in sys.modules if m.startswith("eventsourcing") and m not in light)
from eventsourcing.persistence import DataError, InfrastructureFactory, OperationalError
import complaintctl.filestore.recorders
factory = InfrastructureFactory.construct(
    {"PERSISTENCE_MODULE": "complaintctl.filestore", "FILESTORE_PATH": sys.argv[1]})
print(before, type(factory).__name__,
      issubclass(errors.LogCorruptedError, DataError),
      issubclass(errors.PayloadNotJSON, DataError),
      issubclass(errors.StoreUnavailableError, OperationalError))
"""


def test_a_reader_loads_no_library_and_the_library_still_finds_the_factory(
    tmp_path: Path,
) -> None:
    import subprocess
    import sys

    r = subprocess.run(
        [sys.executable, "-c", LAZY_PROBE, str(tmp_path / "store")],
        capture_output=True,
        text=True,
        check=False,
    )
    assert r.returncode == 0, r.stderr
    assert r.stdout.split() == ["[]", "FileInfrastructureFactory", "True", "True", "True"]


def test_the_lazy_names_are_the_modules_own() -> None:
    from complaintctl.filestore import errors, errortypes, reader, recorders, verify

    assert fs.LogReader is reader.LogReader and fs.verify_store is verify.verify_store
    assert fs.FileApplicationRecorder is recorders.FileApplicationRecorder
    assert errors.LogCorruptedError is errortypes.LogCorruptedError is fs.LogCorruptedError
    assert set(fs.__all__) <= set(dir(fs))
