"""The module graph of the project: no import circle, and the layers of DESIGN.md.

Built with ``ast`` from module-level imports only (an import inside a function
is a lazy one and cannot close a circle at import time): ``events`` <-
``projections`` <- ``complaintctl``; below the edge, no click.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("complaintctl", "events", "projections")


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _modules() -> dict[str, Path]:
    return {_module_name(p): p for pkg in PACKAGES for p in sorted((ROOT / pkg).rglob("*.py"))}


def _top_level_imports(tree: ast.Module) -> list[ast.Import | ast.ImportFrom]:
    """Imports run at import time: the module body, and inside its if/try blocks,
    but not under ``if TYPE_CHECKING:`` and not inside functions or classes."""
    found: list[ast.Import | ast.ImportFrom] = []

    def visit(body: list[ast.stmt]) -> None:
        for node in body:
            if isinstance(node, ast.Import | ast.ImportFrom):
                found.append(node)
            elif isinstance(node, ast.If):
                test = node.test
                if isinstance(test, ast.Name) and test.id == "TYPE_CHECKING":
                    visit(node.orelse)
                    continue
                visit(node.body)
                visit(node.orelse)
            elif isinstance(node, ast.Try):
                for block in (node.body, node.orelse, node.finalbody):
                    visit(block)
                for handler in node.handlers:
                    visit(handler.body)

    visit(tree.body)
    return found


def imports_of(name: str, path: Path, modules: dict[str, Path]) -> tuple[set[str], set[str]]:
    """(the project's modules ``name`` imports at load time, the external top-level names)."""
    tree = ast.parse(path.read_text("utf-8"))
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    inner: set[str] = set()
    outer: set[str] = set()

    def add(target: str) -> None:
        if target in modules:
            inner.add(target)
        elif target.split(".")[0] in PACKAGES:
            parent = target.rpartition(".")[0]
            if parent in modules:
                inner.add(parent)
        else:
            outer.add(target.split(".")[0])

    for node in _top_level_imports(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                add(alias.name)
            continue
        base = node.module or ""
        if node.level:
            anchor = package.split(".")
            anchor = anchor[: len(anchor) - node.level + 1]
            base = ".".join([*anchor, base] if base else anchor)
        for alias in node.names:
            sub = f"{base}.{alias.name}"
            add(sub if sub in modules else base)
    inner.discard(name)
    return inner, outer


def graph() -> tuple[dict[str, set[str]], dict[str, set[str]]]:
    modules = _modules()
    edges: dict[str, set[str]] = {}
    external: dict[str, set[str]] = {}
    for name, path in modules.items():
        edges[name], external[name] = imports_of(name, path, modules)
    return edges, external


def _find_cycle(edges: dict[str, set[str]]) -> list[str] | None:
    state: dict[str, int] = {}  # 1: on the path, 2: done
    path: list[str] = []

    def visit(n: str) -> list[str] | None:
        state[n] = 1
        path.append(n)
        for m in sorted(edges.get(n, ())):
            if state.get(m) == 1:
                return [*path[path.index(m) :], m]
            if m not in state and (found := visit(m)):
                return found
        path.pop()
        state[n] = 2
        return None

    for n in sorted(edges):
        if n not in state and (found := visit(n)):
            return found
    return None


def test_the_graph_sees_the_project() -> None:
    edges, _ext = graph()
    assert "complaintctl.cli.group" in edges
    assert "complaintctl.cli.context" in edges["complaintctl.cli.reading"]


def test_there_is_no_import_circle() -> None:
    edges, _ext = graph()
    assert _find_cycle(edges) is None, " -> ".join(_find_cycle(edges) or [])


def test_a_circle_would_be_found() -> None:
    assert _find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert _find_cycle({"a": {"b"}, "b": set()}) is None


def _layer(module: str) -> str:
    return module.split(".")[0]


@pytest.mark.parametrize(
    ("layer", "forbidden"),
    [("events", {"projections", "complaintctl"}), ("projections", {"complaintctl"})],
)
def test_the_layers_point_one_way(layer: str, forbidden: set[str]) -> None:
    edges, _ext = graph()
    wrong = sorted(
        f"{a} -> {b}"
        for a, targets in edges.items()
        if _layer(a) == layer
        for b in targets
        if _layer(b) in forbidden
    )
    assert not wrong


def test_no_click_below_the_edge() -> None:
    _edges, external = graph()
    wrong = sorted(
        m for m, ext in external.items() if _layer(m) != "complaintctl" and "click" in ext
    )
    assert not wrong


def test_no_command_module_imports_the_group() -> None:
    """Commands are registered by the group's table, never by importing it back."""
    from complaintctl.cli.group import COMMANDS

    edges, _ext = graph()
    loaded = {f"complaintctl.cli.{target.partition(':')[0]}" for target, _s in COMMANDS.values()}
    back = sorted(m for m in loaded if edges[m] & {"complaintctl.cli", "complaintctl.cli.group"})
    assert back == []


#: No module over ~600 lines (issue 9): a longer one holds more than one responsibility.
MAX_MODULE_LINES = 600


def test_no_module_is_over_600_lines() -> None:
    long = sorted(
        f"{path.relative_to(ROOT).as_posix()} ({lines} lines)"
        for pkg in PACKAGES
        for path in (ROOT / pkg).rglob("*.py")
        if (lines := len(path.read_text("utf-8").splitlines())) > MAX_MODULE_LINES
    )
    assert not long, "split by responsibility: " + ", ".join(long)
