"""A trader's answer to a request for documents (domain), and HS code search (service)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

import pytest

from karakoram.domain.clearance import DeclarationEvent
from karakoram.domain.declaration.answers import (
    ANSWER_DOCUMENTS,
    answer_event,
    answers_to,
    open_request,
)
from karakoram.domain.declaration.codes import HsNomenclature
from karakoram.domain.errors import InvalidTransition, ValidationFailed
from karakoram.services.trader import search_hs, trader_timeline
from tests.unit.fakes import fake_context

AT = datetime(2026, 5, 4, 8, 0, tzinfo=UTC)


def _event(action: str, before: str | None, after: str, reason: str | None = None):
    return DeclarationEvent(action, before, after, "someone", AT, reason)


ASKED = _event("request_documents", "assessed", "documents_requested", "invoice please")
TIMELINE = [
    _event("lodge", None, "lodged"),
    _event("assess", "accepted", "assessed", "rule YELLOW-CABLE fired"),
    ASKED,
]


def test_an_answer_is_an_event_that_keeps_the_state():
    event = answer_event("documents_requested", "  INV-1 by e-mail ", "kashgar", AT)
    assert (event.action, event.from_state, event.to_state) == (
        ANSWER_DOCUMENTS,
        "documents_requested",
        "documents_requested",
    )
    assert event.reason == "INV-1 by e-mail" and event.actor == "kashgar"


@pytest.mark.parametrize("status", ["assessed", "documents_checked", "released", "held"])
def test_an_answer_is_refused_unless_documents_are_requested(status):
    with pytest.raises(InvalidTransition, match="answer a request for documents"):
        answer_event(status, "INV-1", "kashgar", AT)


@pytest.mark.parametrize("text", ["", "   ", "x" * 2001])
def test_an_empty_or_overlong_answer_is_refused_at_its_field(text):
    with pytest.raises(ValidationFailed) as refused:
        answer_event("documents_requested", text, "kashgar", AT)
    assert [e.pointer for e in refused.value.errors] == ["/answer"]


def test_the_open_request_and_the_answers_given_since():
    first = answer_event("documents_requested", "INV-1", "kashgar", AT)
    second = answer_event("documents_requested", "PL-1", "kashgar", AT)
    timeline = [*TIMELINE, first, second]
    assert open_request(timeline) is ASKED
    assert answers_to(ASKED, timeline) == ["INV-1", "PL-1"]
    checked = _event("check_documents", "documents_requested", "documents_checked")
    assert open_request([*timeline, checked]) is None
    assert open_request(TIMELINE[:2]) is None


def test_the_traders_timeline_hides_which_risk_rules_fired():
    shown = trader_timeline(TIMELINE)
    assert [e.action for e in shown] == ["lodge", "assess", "request_documents"]
    assert shown[1].reason is None and shown[2].reason == "invoice please"


def test_hs_search_by_code_prefix_or_description_words():
    descriptions = {
        "740311": "Copper; refined, cathodes and sections of cathodes",
        "847130": "Portable automatic data processing machines",
        "847141": "Other automatic data processing machines",
    }
    ctx = fake_context()
    ctx.codes = replace(
        ctx.codes, nomenclature=HsNomenclature("t", frozenset(descriptions), descriptions)
    )
    assert [s.code for s in search_hs("8471", ctx)] == ["847130", "847141"]
    assert [s.code for s in search_hs("84.71.3", ctx)] == ["847130"]
    assert [s.code for s in search_hs("CATHODES copper", ctx)] == ["740311"]
    assert [s.code for s in search_hs("machines", ctx, limit=1)] == ["847130"]
    assert search_hs("  ", ctx) == [] and search_hs("tea", ctx) == []
