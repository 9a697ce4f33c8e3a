"""The collector's `gc.freeze` is the process's business: the composition root settles the heap
once (`bootstrap_parts.settle_heap`, called by the CLI's import, `serve` and the benchmarks),
and a bulk import, which also runs inside `serve` for an upload, never freezes anything."""

from __future__ import annotations

import gc

import pytest

from karakoram import bootstrap_parts
from karakoram.domain.access import Principal, Role
from karakoram.domain.declaration.documents import SourceDocument
from karakoram.services.bulk import Outcome, import_declarations, import_file
from tests.builders import TRADER, declaration
from tests.unit.fakes import FakeStore, fake_context

ME = Principal(1, "kashgar", Role.TRADER, TRADER)


@pytest.fixture
def freezes(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Each `gc.freeze` call, recorded instead of made; the freeze count starts at nothing."""
    calls: list[int] = []
    monkeypatch.setattr(gc, "get_freeze_count", lambda: len(calls))
    monkeypatch.setattr(gc, "freeze", lambda: calls.append(1))
    return calls


def test_a_bulk_import_never_freezes_the_heap(freezes):
    ctx = fake_context(FakeStore())
    lines = [
        SourceDocument("line 1", declaration("F1")),
        SourceDocument("line 2", declaration("F2")),
    ]
    assert [r.outcome for r in import_declarations(lines, ME, ctx)] == [Outcome.CREATED] * 2
    assert import_file(iter([SourceDocument("line 1", declaration("F3"))]), ME, ctx).stored
    assert freezes == []


def test_the_heap_is_settled_once_per_process(freezes):
    bootstrap_parts.settle_heap()
    bootstrap_parts.settle_heap()
    assert freezes == [1]
