"""domain/ imports the standard library and itself, nothing else (DESIGN.md's layers)."""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import karakoram.domain

DOMAIN = Path(karakoram.domain.__file__).parent


def imported_roots(path: Path) -> set[str]:
    roots = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            roots.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            roots.add(node.module.split(".")[0])
    return roots


def test_domain_imports_only_the_standard_library():
    offenders = {
        path.name: sorted(
            root
            for root in imported_roots(path)
            if root not in sys.stdlib_module_names and root != "karakoram"
        )
        for path in DOMAIN.rglob("*.py")
    }
    assert {k: v for k, v in offenders.items() if v} == {}


def test_domain_does_not_import_outer_layers():
    outer = [
        (path.name, line)
        for path in DOMAIN.rglob("*.py")
        for line in path.read_text().splitlines()
        if line.startswith(("from karakoram.", "import karakoram."))
        and not line.startswith(("from karakoram.domain", "import karakoram.domain"))
    ]
    assert outer == []


def test_the_check_catches_a_framework_import(tmp_path):
    bad = tmp_path / "bad.py"
    bad.write_text("import sqlalchemy\nfrom fastapi import FastAPI\nimport json\n")
    assert imported_roots(bad) - set(sys.stdlib_module_names) == {"sqlalchemy", "fastapi"}
