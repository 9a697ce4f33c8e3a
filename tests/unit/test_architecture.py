"""The layers of docs/architecture.md, kept by measurement.

Every arrow is read from the source with `ast`: entrypoints never import adapters (only
bootstrap does), services never import adapters, domain imports only the standard library,
and no package imports another that imports it back. Size limits keep modules readable: at
most three source files over 400 lines, each saying why in its opening comment, and no
function over 60 lines (Alembic migrations excepted).

`python -m tests.unit.test_architecture` prints the figures the closing notes quote.
"""

from __future__ import annotations

import ast
import sys
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

import karakoram

PACKAGE = Path(karakoram.__file__).parent
MAX_FILE_LINES = 400
MAX_LONG_FILES = 3
MAX_FUNCTION_LINES = 60
#: the files allowed over MAX_FILE_LINES say so in their first lines with this phrase
LONG_FILE_MARK = "over 400 lines because"


@dataclass(frozen=True)
class Import:
    source: str  # dotted module that imports
    target: str  # dotted module imported
    line: int


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def source_files(root: Path = PACKAGE) -> list[Path]:
    return sorted(p for p in root.rglob("*.py") if "migrations" not in p.parts)


def imports_of(path: Path) -> list[Import]:
    """Every `karakoram` import of one file, relative imports resolved."""
    source = module_name(path)
    package = source if path.name == "__init__.py" else source.rpartition(".")[0]
    found: list[Import] = []
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            found += [Import(source, a.name, node.lineno) for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            found += [Import(source, f"{base}.{a.name}", node.lineno) for a in node.names]
    return [i for i in found if i.target.split(".")[0] == "karakoram"]


def layer(module: str) -> str:
    """The layer of a dotted module: domain, services, adapters, entrypoints, or its own name."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else parts[0]


def crossings(source_layer: str, target_layer: str) -> list[Import]:
    return [
        i
        for path in source_files()
        for i in imports_of(path)
        if layer(i.source) == source_layer and layer(i.target) == target_layer
    ]


def package_of(module: str, files: set[str]) -> str:
    """The package a module belongs to (itself when it is a package)."""
    return module if module in files and _is_package(module) else module.rpartition(".")[0]


def _is_package(module: str) -> bool:
    return (PACKAGE.parent / module.replace(".", "/") / "__init__.py").exists()


def _resolve(target: str, modules: set[str]) -> str | None:
    """The module a `from x import y` names: x.y when that is a module, else x."""
    while target and target not in modules:
        target = target.rpartition(".")[0]
    return target or None


def package_graph() -> dict[str, set[str]]:
    modules = {module_name(p) for p in source_files()}
    graph: dict[str, set[str]] = defaultdict(set)
    for path in source_files():
        for i in imports_of(path):
            target = _resolve(i.target, modules)
            if target is None:
                continue
            a, b = package_of(i.source, modules), package_of(target, modules)
            if a != b and not b.startswith(a + ".") and not a.startswith(b + "."):
                graph[a].add(b)
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one package (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for nxt in graph.get(node, ()):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                top = stack.pop()
                component.append(top)
                if top == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def long_files() -> dict[str, int]:
    sizes = {str(p.relative_to(PACKAGE)): len(p.read_text().splitlines()) for p in source_files()}
    return {name: n for name, n in sizes.items() if n > MAX_FILE_LINES}


def function_lengths() -> dict[str, int]:
    lengths: dict[str, int] = {}
    for path in source_files():
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                start = min([node.lineno, *(d.lineno for d in node.decorator_list)])
                name = f"{path.relative_to(PACKAGE)}:{node.name}"
                lengths[name] = max(lengths.get(name, 0), (node.end_lineno or start) - start + 1)
    return lengths


def _described(imports: list[Import]) -> list[str]:
    return [f"{i.source}:{i.line} -> {i.target}" for i in imports]


def test_entrypoints_never_import_adapters():
    assert _described(crossings("entrypoints", "adapters")) == []


def test_demo_never_imports_adapters():
    assert _described(crossings("demo", "adapters")) == []


def test_services_never_import_adapters_or_entrypoints():
    wrong = crossings("services", "adapters") + crossings("services", "entrypoints")
    assert _described(wrong) == []


def test_domain_imports_only_itself():
    wrong = [
        i
        for p in source_files(PACKAGE / "domain")
        for i in imports_of(p)
        if layer(i.target) != "domain"
    ]
    assert _described(wrong) == []


def test_adapters_never_import_entrypoints():
    assert _described(crossings("adapters", "entrypoints")) == []


def test_no_package_imports_one_that_imports_it_back():
    assert cycles(package_graph()) == []


def test_at_most_three_long_files_each_saying_why():
    long = long_files()
    unexplained = [
        name for name in long if LONG_FILE_MARK not in "".join((PACKAGE / name).read_text()[:600])
    ]
    assert len(long) <= MAX_LONG_FILES, long
    assert unexplained == []


def test_no_function_over_sixty_lines():
    over = {k: v for k, v in function_lengths().items() if v > MAX_FUNCTION_LINES}
    assert over == {}


def test_the_cycle_finder_finds_a_cycle():
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def test_the_import_reader_resolves_relative_imports(tmp_path, monkeypatch):
    package = tmp_path / "karakoram" / "entrypoints"
    package.mkdir(parents=True)
    (package / "x.py").write_text("from ..adapters import db\nfrom . import y\nimport json\n")
    monkeypatch.setattr(sys.modules[__name__], "PACKAGE", tmp_path / "karakoram")
    targets = [i.target for i in imports_of(package / "x.py")]
    assert targets == ["karakoram.adapters.db", "karakoram.entrypoints.y"]


def report() -> str:
    lengths = sorted(function_lengths().items(), key=lambda kv: -kv[1])
    cross = {
        f"{a}->{b}": len(crossings(a, b))
        for a, b in [
            ("entrypoints", "adapters"),
            ("demo", "adapters"),
            ("services", "adapters"),
            ("services", "entrypoints"),
            ("adapters", "entrypoints"),
        ]
    }
    lines = [
        f"cross-layer imports: {cross}",
        f"package cycles: {cycles(package_graph())}",
        f"files over {MAX_FILE_LINES} lines: {len(long_files())} {sorted(long_files().items())}",
        f"functions over {MAX_FUNCTION_LINES} lines: "
        f"{sum(1 for _, n in lengths if n > MAX_FUNCTION_LINES)}",
        "longest functions: " + ", ".join(f"{k} {v}" for k, v in lengths[:8]),
    ]
    return "\n".join(lines)


if __name__ == "__main__":
    print(report())
