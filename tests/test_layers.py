"""Imports flow one way: no cycles, and no module imports a layer above its own.

The layers are written in the package docstring of ``monitor/__init__.py``; ``LAYERS`` below is the
same order, lowest first. An import inside a function counts (a lazy import is still a dependency);
one under ``if TYPE_CHECKING:`` does not (it is for the type checker only).

    python tests/test_layers.py      prints the cycles, the arrows up and the longest functions
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "monitor"

#: Lowest first. A module belongs to the first entry that is a prefix of its dotted name.
LAYERS: list[tuple[str, ...]] = [
    ("monitor.errors", "monitor.types", "monitor.text", "monitor.default_feeds", "monitor.workers"),
    ("monitor.config",),
    ("monitor.clean", "monitor.seeds", "monitor.ingest", "monitor.understand", "monitor.digest",
     "monitor.store", "monitor.runlock", "monitor.due", "monitor.housekeeping",
     # the web channel: an app built around the Monitor it is given (it never imports core)
     "monitor.serve"),
    ("monitor.core",),
    ("monitor.testing",),
    ("monitor.cli", "monitor.schedule", "monitor.__main__"),
]


def module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _is_type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


def imports_of(path: Path, modules: set[str]) -> set[str]:
    """The monitor modules ``path`` imports (resolved to modules that exist)."""
    name = module_name(path)
    package = name if path.name == "__init__.py" else name.rsplit(".", 1)[0]
    found: set[str] = set()

    def resolve(target: str) -> str | None:
        while target and target not in modules:
            target = target.rsplit(".", 1)[0] if "." in target else ""
        return target or None

    def visit(node: ast.AST) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.If) and _is_type_checking(child):
                for other in child.orelse:
                    visit(other)
                continue
            if isinstance(child, ast.Import):
                for alias in child.names:
                    if alias.name.startswith("monitor"):
                        found.add(resolve(alias.name) or "")
            elif isinstance(child, ast.ImportFrom):
                if child.level:
                    base = package.split(".")
                    base = base[: len(base) - child.level + 1]
                    prefix = ".".join(base + ([child.module] if child.module else []))
                else:
                    prefix = child.module or ""
                if not prefix.startswith("monitor"):
                    continue
                for alias in child.names:
                    found.add(resolve(f"{prefix}.{alias.name}") or resolve(prefix) or "")
            visit(child)

    visit(ast.parse(path.read_text(encoding="utf-8")))
    found.discard("")
    found.discard(name)
    return found


def graph() -> dict[str, set[str]]:
    files = [p for p in PACKAGE.rglob("*.py") if "migrations" not in p.parts]
    modules = {module_name(p) for p in files}
    return {module_name(p): imports_of(p, modules) for p in files}


def layer(module: str) -> int:
    for index, prefixes in enumerate(LAYERS):
        if any(module == p or module.startswith(p + ".") for p in prefixes):
            return index
    return -1


def cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    sys.setrecursionlimit(10_000)

    def connect(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in edges.get(v, ()):
            if w not in index:
                connect(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for v in sorted(edges):
        if v not in index:
            connect(v)
    return found


def arrows_up(edges: dict[str, set[str]]) -> list[tuple[str, str]]:
    # The package root re-exports the public API lazily (PEP 562); it is not a layer of its own.
    return sorted((a, b) for a, bs in edges.items() for b in bs
                  if a != "monitor" and b != "monitor" and layer(b) > layer(a))


def longest_functions(count: int = 10) -> list[tuple[int, str]]:
    rows = []
    for path in PACKAGE.rglob("*.py"):
        if "migrations" in path.parts:
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                rows.append((node.end_lineno - node.lineno + 1, f"{module_name(path)}.{node.name}"))
    return sorted(rows, reverse=True)[:count]


def test_every_module_has_a_layer() -> None:
    assert [m for m in graph() if m != "monitor" and layer(m) < 0] == []


def test_no_import_cycles() -> None:
    assert cycles(graph()) == []


def test_no_module_imports_a_higher_layer() -> None:
    assert arrows_up(graph()) == []


#: What an entry point (cli, schedule) may import besides other entry points: the facade and the
#: things it speaks in (configuration, errors, stage types, text helpers).
FACADE = ("monitor", "monitor.core", "monitor.config", "monitor.errors", "monitor.types", "monitor.text")


def entry_point_imports(edges: dict[str, set[str]]) -> list[tuple[str, str]]:
    top = len(LAYERS) - 1
    return sorted((a, b) for a, bs in edges.items() if layer(a) == top
                  for b in bs if layer(b) != top and b not in FACADE)


def test_entry_points_import_only_the_facade() -> None:
    assert entry_point_imports(graph()) == []


def test_the_layers_are_written_in_the_package_docstring() -> None:
    doc = (PACKAGE / "__init__.py").read_text(encoding="utf-8")
    for prefixes in LAYERS:
        assert prefixes[0].removeprefix("monitor.") in doc


if __name__ == "__main__":
    edges = graph()
    print("cycles:", len(cycles(edges)))
    for component in cycles(edges):
        print("  ", " ↔ ".join(component))
    print("arrows up:", len(arrows_up(edges)))
    for a, b in arrows_up(edges):
        print(f"   {a} (layer {layer(a)}) → {b} (layer {layer(b)})")
    print("entry points importing past the facade:", entry_point_imports(edges))
    print("unlayered:", [m for m in edges if m != "monitor" and layer(m) < 0])
    print("longest functions (lines):")
    for lines, name in longest_functions():
        print(f"   {lines:4d} {name}")
