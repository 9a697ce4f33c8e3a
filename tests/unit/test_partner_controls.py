"""One inspection for both: when the partner's control of the same consignment may stand in for
ours, and the rule facts it gives (issue 15, item 4)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from karakoram.domain.clearance import Action, Status, next_status
from karakoram.domain.errors import InvalidTransition
from karakoram.domain.partner_controls import (
    PartnerControl,
    PartnerInspectionRefused,
    acceptable_inspection,
    partner_facts,
)
from karakoram.domain.risk.compiled import CompiledRuleSet
from karakoram.domain.risk.detectors import NoHistory
from karakoram.domain.risk.engine import RiskInput, assess_risk
from karakoram.domain.risk.facts import FIELDS, declaration_facts
from karakoram.domain.risk.rule_file import parse_rule_set
from tests.builders import import_declaration
from tests.unit.test_risk import QUIET, parsed, rule

NOW = datetime(2026, 11, 30, 12, tzinfo=UTC)
DAY = timedelta(hours=72)


def control(kind="inspection", result="compliant", hours_ago=2.0, n=1) -> PartnerControl:
    return PartnerControl(f"m-{n}", "CN-URC", kind, result, NOW - timedelta(hours=hours_ago))


def refusal(controls) -> str:
    with pytest.raises(PartnerInspectionRefused) as caught:
        acceptable_inspection("UCR-1", controls, NOW, DAY)
    return caught.value.code


def test_a_recent_clean_inspection_may_be_accepted_the_latest_one():
    older, newer = control(hours_ago=30, n=1), control(hours_ago=3, n=2)
    assert acceptable_inspection("UCR-1", [newer, older], NOW, DAY) == newer


def test_no_inspection_a_documents_check_only_is_refused():
    assert refusal([]) == "no_partner_inspection"
    assert refusal([control(kind="documents")]) == "no_partner_inspection"


def test_an_inspection_older_than_the_limit_is_refused():
    assert refusal([control(hours_ago=72.5)]) == "partner_inspection_too_old"
    assert acceptable_inspection("U", [control(hours_ago=72)], NOW, DAY).message_id == "m-1"


@pytest.mark.parametrize("result", ["discrepancy", "prohibited"])
def test_anything_found_by_any_partner_control_refuses(result):
    found = control(kind="documents", result=result, hours_ago=5, n=2)
    assert refusal([control(), found]) == "partner_found_something"
    # found first, a clean inspection after: still found something
    assert refusal([control(result=result, hours_ago=10, n=3), control()]) == (
        "partner_found_something"
    )


def test_the_facts_clean_and_recent_or_found():
    assert partner_facts([control()], NOW, DAY) == {
        "partner_inspected_clean": True,
        "partner_control_found": False,
    }
    assert partner_facts([control(hours_ago=100)], NOW, DAY) == {
        "partner_inspected_clean": False,
        "partner_control_found": False,
    }
    assert partner_facts([control(), control(result="prohibited", n=2)], NOW, DAY) == {
        "partner_inspected_clean": False,
        "partner_control_found": True,
    }


def test_the_facts_are_declared_flags_false_by_default():
    for name in ("partner_inspected_clean", "partner_control_found"):
        assert FIELDS[name].kind == "flag" and not FIELDS[name].item_level
    shared = declaration_facts(parsed(import_declaration()), Decimal(1))
    assert not shared["partner_inspected_clean"] and not shared["partner_control_found"]


def test_rules_lower_or_raise_risk_on_the_partners_facts():
    body = rule(
        "CLEAN", '{ field = "partner_inspected_clean", op = "is", value = true }', "score = -30"
    ) + rule(
        "FOUND", '{ field = "partner_control_found", op = "is", value = true }', 'channel = "red"'
    )
    always = rule("BASE", '{ field = "type", op = "eq", value = "IM" }', "score = 45")
    compiled = CompiledRuleSet(parse_rule_set(QUIET + always + body))
    d = parsed(import_declaration())

    def decide(facts):
        given = RiskInput("M", d, Decimal(1), Decimal(1), 0.99, known_facts=facts)
        return assess_risk(given, compiled, 1, NoHistory())

    plain = decide({})
    assert plain.score == 45 and plain.channel.value == "yellow"
    clean = decide(partner_facts([control()], NOW, DAY))
    assert clean.score == 15 and clean.channel.value == "green"
    found = decide(partner_facts([control(result="discrepancy")], NOW, DAY))
    assert found.channel.value == "red" and "FOUND" in [f.rule for f in found.fired]


@pytest.mark.parametrize(
    "state", [Status.ASSESSED, Status.DOCUMENTS_REQUESTED, Status.DOCUMENTS_CHECKED]
)
def test_accepting_the_partners_inspection_makes_it_inspected(state):
    assert next_status(state, Action.ACCEPT_PARTNER_INSPECTION) is Status.INSPECTED


@pytest.mark.parametrize("state", [Status.INSPECTED, Status.RELEASED, Status.HELD, Status.LODGED])
def test_it_is_not_accepted_twice_nor_after_release_nor_while_held(state):
    with pytest.raises(InvalidTransition):
        next_status(state, Action.ACCEPT_PARTNER_INSPECTION)
