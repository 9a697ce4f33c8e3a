"""Lodgement, amendment, cancellation and bulk import, through fakes."""

from __future__ import annotations

import pytest

from karakoram.domain.access import Principal, Role
from karakoram.domain.declaration.documents import SourceDocument
from karakoram.domain.errors import (
    FieldError,
    InvalidTransition,
    LrnConflict,
    NotFound,
    PermissionDenied,
    StaleVersion,
    ValidationFailed,
)
from karakoram.services import declarations as handlers
from karakoram.services import queries
from karakoram.services.bulk import Outcome, import_declarations
from karakoram.services.records import DeclarationFilter
from tests.builders import OTHER_TRADER, TRADER, bend, declaration
from tests.unit.fakes import Clock, FakeStore, fake_context

ME = Principal(1, "kashgar", Role.TRADER, TRADER)
OTHER = Principal(2, "tianshan", Role.TRADER, OTHER_TRADER)
OFFICER = Principal(3, "officer", Role.OFFICER)


@pytest.fixture
def store():
    return FakeStore()


@pytest.fixture
def ctx(store):
    return fake_context(store)


def test_lodging_stores_an_accepted_declaration_with_two_events(ctx, store):
    lodged = handlers.lodge_declaration(declaration(), ME, ctx)
    assert lodged.created
    assert lodged.record.status == "accepted"
    assert list(store.declarations) == [lodged.record.mrn]
    assert [(e.action, e.from_state, e.to_state) for _, e in store.events] == [
        ("lodge", None, "lodged"),
        ("accept", "lodged", "accepted"),
    ]


def test_duplicate_lrn_returns_original_declaration(ctx, store):
    first = handlers.lodge_declaration(declaration(), ME, ctx)
    again = handlers.lodge_declaration(declaration(), ME, ctx)
    assert not again.created
    assert again.record.mrn == first.record.mrn
    assert len(store.declarations) == 1
    assert len(store.events) == 2


def test_same_content_with_different_number_formatting_is_the_same_declaration(ctx):
    first = handlers.lodge_declaration(declaration(), ME, ctx)
    reformatted = bend(declaration(), "/invoice/amount", "10000.00")
    assert handlers.lodge_declaration(reformatted, ME, ctx).record.mrn == first.record.mrn


def test_same_lrn_different_body_is_a_conflict_that_names_the_mrn(ctx, store):
    first = handlers.lodge_declaration(declaration(), ME, ctx)
    with pytest.raises(LrnConflict) as conflict:
        handlers.lodge_declaration(bend(declaration(), "/incoterm", "FCA"), ME, ctx)
    assert conflict.value.mrn == first.record.mrn
    assert len(store.declarations) == 1


def test_two_traders_may_use_the_same_lrn(ctx, store):
    handlers.lodge_declaration(declaration("X-1"), ME, ctx)
    handlers.lodge_declaration(declaration("X-1", declarant=OTHER_TRADER), OTHER, ctx)
    assert len(store.declarations) == 2


def test_an_invalid_declaration_stores_nothing(ctx, store):
    with pytest.raises(ValidationFailed):
        handlers.lodge_declaration(bend(declaration(), "/items/0/unit", "BOX"), ME, ctx)
    assert store.declarations == {} and store.events == [] and store.commits == 0


def test_a_trader_lodges_only_as_declarant(ctx):
    with pytest.raises(ValidationFailed) as failed:
        handlers.lodge_declaration(declaration(declarant=OTHER_TRADER), ME, ctx)
    assert [(e.code, e.pointer) for e in failed.value.errors] == [
        ("declarant_mismatch", "/declarant/identifier")
    ]


def test_only_traders_lodge(ctx):
    with pytest.raises(PermissionDenied):
        handlers.lodge_declaration(declaration(), OFFICER, ctx)


def test_another_traders_declaration_is_not_found(ctx):
    mrn = handlers.lodge_declaration(declaration(), ME, ctx).record.mrn
    with pytest.raises(NotFound):
        queries.get_declaration(mrn, OTHER, ctx)
    assert queries.get_declaration(mrn, OFFICER, ctx)[0].mrn == mrn


def test_a_party_named_on_the_declaration_may_see_it(ctx):
    importer = Principal(9, "hunza", Role.TRADER, "PK-NTN-4412345")
    mrn = handlers.lodge_declaration(declaration(), ME, ctx).record.mrn
    assert queries.get_declaration(mrn, importer, ctx)[0].mrn == mrn


def test_amend_replaces_content_bumps_version_and_records_event(ctx, store):
    mrn = handlers.lodge_declaration(declaration(), ME, ctx).record.mrn
    amended = handlers.amend_declaration(
        mrn,
        bend(declaration(), "/incoterm", "FCA"),
        ME,
        ctx,
        expected_version=1,
        reason="wrong incoterm",
    )
    assert amended.version == 2 and amended.declaration.incoterm == "FCA"
    assert store.declarations[mrn].declaration.incoterm == "FCA"
    assert store.events[-1][1].action == "amend"
    assert store.events[-1][1].reason == "wrong incoterm"


def test_amend_with_stale_version_is_refused(ctx):
    mrn = handlers.lodge_declaration(declaration(), ME, ctx).record.mrn
    handlers.amend_declaration(mrn, bend(declaration(), "/incoterm", "FCA"), ME, ctx)
    with pytest.raises(StaleVersion):
        handlers.amend_declaration(
            mrn, bend(declaration(), "/incoterm", "CPT"), ME, ctx, expected_version=1
        )


def test_amend_cannot_change_the_lrn(ctx):
    mrn = handlers.lodge_declaration(declaration(), ME, ctx).record.mrn
    with pytest.raises(ValidationFailed) as failed:
        handlers.amend_declaration(mrn, declaration("OTHER-LRN"), ME, ctx)
    assert failed.value.errors[0].code == "lrn_mismatch"


def test_only_the_lodging_trader_may_amend_or_cancel(ctx):
    importer = Principal(9, "hunza", Role.TRADER, "PK-NTN-4412345")
    mrn = handlers.lodge_declaration(declaration(), ME, ctx).record.mrn
    with pytest.raises(PermissionDenied):
        handlers.cancel_declaration(mrn, "not mine", importer, ctx)


def test_cancel_needs_a_reason_and_then_forbids_amend(ctx, store):
    mrn = handlers.lodge_declaration(declaration(), ME, ctx).record.mrn
    with pytest.raises(ValidationFailed):
        handlers.cancel_declaration(mrn, "  ", ME, ctx)
    cancelled = handlers.cancel_declaration(mrn, "order withdrawn", ME, ctx)
    assert cancelled.status == "cancelled"
    with pytest.raises(InvalidTransition) as refused:
        handlers.amend_declaration(mrn, bend(declaration(), "/incoterm", "FCA"), ME, ctx)
    assert refused.value.current == "cancelled"
    with pytest.raises(InvalidTransition):
        handlers.cancel_declaration(mrn, "again", ME, ctx)
    assert [e.action for _, e in store.events] == ["lodge", "accept", "cancel"]


def test_listing_pages_with_a_cursor_and_hides_other_traders(ctx):
    for n in range(5):
        handlers.lodge_declaration(declaration(f"L{n}"), ME, ctx)
    handlers.lodge_declaration(declaration("T1", declarant=OTHER_TRADER), OTHER, ctx)
    first = queries.list_declarations(DeclarationFilter(), ME, ctx, limit=3)
    second = queries.list_declarations(DeclarationFilter(), ME, ctx, first.next_cursor, 3)
    lrns = [r.declaration.lrn for r in first.items + second.items]
    assert lrns == ["L0", "L1", "L2", "L3", "L4"]
    assert second.next_cursor is None


def test_a_forged_cursor_is_a_validation_error(ctx):
    with pytest.raises(ValidationFailed):
        queries.list_declarations(DeclarationFilter(), ME, ctx, cursor="bm9wZQ")


def test_bulk_stores_good_rows_and_reports_bad_ones(ctx, store):
    docs = [
        SourceDocument("line 1", declaration("B1")),
        SourceDocument("line 2", bend(declaration("B2"), "/items/0/hs_code", "999911")),
        SourceDocument("line 3", errors=[FieldError("invalid_json", "", "bad")]),
        SourceDocument("line 4", declaration("B3")),
        SourceDocument("line 5", declaration("B1")),
        SourceDocument("line 6", bend(declaration("B3"), "/incoterm", "FCA")),
    ]
    results = list(import_declarations(docs, ME, ctx, batch_size=4))
    assert [r.outcome for r in results] == [
        Outcome.CREATED,
        Outcome.REJECTED,
        Outcome.REJECTED,
        Outcome.CREATED,
        Outcome.EXISTING,
        Outcome.CONFLICT,
    ]
    assert results[1].errors[0].code == "unknown_hs_code"
    assert results[4].mrn == results[0].mrn
    assert sorted(r.declaration.lrn for r in store.declarations.values()) == ["B1", "B3"]


def test_bulk_never_half_stores_a_declaration(ctx, store):
    bad = declaration("H1")
    bad["items"][1]["net_mass"] = "999"
    list(import_declarations([SourceDocument("line 1", bad)], ME, ctx))
    assert store.declarations == {} and store.events == []


def test_event_times_come_from_the_clock(store):
    clock = Clock()
    ctx = fake_context(store, clock)
    mrn = handlers.lodge_declaration(declaration(), ME, ctx).record.mrn
    clock.advance(hours=2)
    handlers.cancel_declaration(mrn, "withdrawn", ME, ctx)
    times = [e.at for _, e in store.events]
    assert (times[-1] - times[0]).total_seconds() == 7200
