"""The house, drawn from the imports: ``translator`` (the library) imports neither ``training`` nor ``serve``
nor Lightning or Flask; ``training`` and ``serve`` use ``translator`` and never each other; and the modules'
top-level imports have no cycle. Read from the source with ``ast``, so an import inside a function counts."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
PACKAGES = ("translator", "training", "serve", "bench", "experiments")
FORBIDDEN = {
    "translator": {"training", "serve", "bench", "experiments", "pytorch_lightning", "lightning", "flask", "werkzeug"},
    "training": {"serve", "bench", "experiments", "flask", "werkzeug"},
    "serve": {"training", "bench", "experiments", "pytorch_lightning", "lightning"},
}


def _module_name(path: Path) -> str:
    parts = path.relative_to(REPO).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(path: Path, top_level_only: bool) -> set[str]:
    """The modules ``path`` imports (absolute names), at module level only or anywhere."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    nodes = tree.body if top_level_only else list(ast.walk(tree))
    found = set()
    for node in nodes:
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found |= {node.module} | {f"{node.module}.{alias.name}" for alias in node.names}
    return found


MODULES = {_module_name(p): p for package in PACKAGES for p in (REPO / package).rglob("*.py")}


@pytest.mark.parametrize("layer", sorted(FORBIDDEN))
def test_no_layer_imports_what_sits_above_it(layer: str) -> None:
    wrong = {
        (name, imported)
        for name, path in MODULES.items()
        if name.split(".")[0] == layer
        for imported in _imports(path, top_level_only=False)
        if imported.split(".")[0] in FORBIDDEN[layer]
    }
    assert not wrong, sorted(wrong)


def test_module_imports_have_no_cycle() -> None:
    graph = {name: {m for m in _imports(path, True) if m in MODULES and m != name} for name, path in MODULES.items()}
    state: dict[str, str] = {}

    def visit(node: str, trail: list[str]) -> None:
        state[node] = "open"
        for nxt in sorted(graph[node]):
            assert state.get(nxt) != "open", " -> ".join([*trail, node, nxt])
            if nxt not in state:
                visit(nxt, [*trail, node])
        state[node] = "done"

    for name in sorted(graph):
        if name not in state:
            visit(name, [])
