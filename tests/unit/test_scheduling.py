"""The parallel run's scheduling (tests/conftest.py): which end-to-end files stay one unit."""

from __future__ import annotations

import re
from pathlib import Path

from tests.conftest import E2E_SHARED_FIXTURE, E2E_TESTS

ROOT = Path(__file__).resolve().parents[2]
MODULE_FIXTURE = re.compile(r"@pytest\.fixture\([^)]*scope=\"(module|package)\"")


def test_e2e_files_with_a_shared_fixture_are_the_ones_kept_whole() -> None:
    """Split per test, a file whose tests share a module-scoped fixture would build it once per
    test: the list must name exactly the files that have one."""
    found = {
        f"{E2E_TESTS}{path.name}"
        for path in sorted((ROOT / E2E_TESTS).glob("test_*.py"))
        if MODULE_FIXTURE.search(path.read_text(encoding="utf-8"))
    }
    assert found == set(E2E_SHARED_FIXTURE)
