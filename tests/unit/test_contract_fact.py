"""The risk fact "differs from contract" (issue 19): a declaration from a contract's UCR is
compared with the contract's shipment (HS code at 6 digits, quantity, value, parties) within
the rule file's tolerances; the example rule set fires on one that differs, with its reasons
in three languages, and not on one that matches."""

from __future__ import annotations

from decimal import Decimal

import pytest

from karakoram.domain.errors import ValidationFailed
from karakoram.domain.exchange.bodies import parse_body
from karakoram.domain.exchange.body_base import MalformedBody, MessageType
from karakoram.domain.risk.compiled import CompiledRuleSet
from karakoram.domain.risk.contract_fact import ContractTolerance, contract_facts
from karakoram.domain.risk.detectors import NoHistory
from karakoram.domain.risk.engine import RiskInput, assess_risk
from karakoram.domain.risk.rule_file import parse_rule_set
from tests.builders import IMPORTER, TRADER, declaration, item
from tests.unit.test_risk import EXAMPLE, parsed

UCR = "6CNEXPO9F2C0A1B22-1"
CONTRACT = {
    "contract_id": "C-1",
    "contract_hash": "a" * 64,
    "traders": [
        {"role": "exporter", "trader": TRADER, "name": "Kashgar", "country": "CN",
         "node": "CN-URC"},
        {"role": "importer", "trader": IMPORTER, "name": "Hunza", "country": "PK",
         "node": "PK-GB"},
    ],
    "lines": [
        {"line": 1, "hs_code": "847130", "description": "Portable computers", "origin": "CN",
         "quantity": "20", "unit": "NAR", "unit_price": "500", "currency": "USD"},
    ],
    "incoterms": {"rule": "DAP", "place": "Sost"},
    "shipments": [
        {"ucr": UCR, "date": "2026-12-10", "crossing": "KHUNJERAB",
         "lines": [{"line": 1, "quantity": "20"}]},
    ],
    "registered_at": "2026-11-30T12:00:00+00:00",
}  # fmt: skip


def doc(goods: list | None = None, **changes) -> dict:
    """The builders' export (2 x 10 NAR of 847130 at 5000 each) under the contract's UCR."""
    found = declaration(ucr=UCR, **changes)
    if goods:
        found["items"] = goods
        total = sum(Decimal(g["value"]) for g in goods)
        found["invoice"] = {"amount": str(total), "currency": "USD"}
    return found


def facts(**changes) -> dict:
    return contract_facts(parsed(doc(**changes)), CONTRACT, ContractTolerance())


def test_a_declaration_as_its_contract_says_does_not_differ():
    assert facts() == {
        "from_contract": True, "differs_from_contract": False, "contract_differences": "",
    }  # fmt: skip
    # within 5 %: 20.5 of 20, value 10,250 of 10,000
    near = [item(quantity="10.5", value="5250"), item()]
    assert facts(goods=near)["differs_from_contract"] is False


@pytest.mark.parametrize(
    ("changes", "found"),
    [
        ({"goods": [item(hs_code="854442"), item()]}, "hs_code"),
        ({"goods": [item(quantity="12"), item()]}, "quantity"),
        ({"goods": [item(value="7000"), item()]}, "value"),
        ({"importer": {"name": "Other", "identifier": "PK-NTN-1", "country": "PK"}}, "parties"),
    ],
)
def test_a_declaration_that_differs_beyond_the_tolerance_says_how(changes, found):
    got = facts(**changes)
    assert got["differs_from_contract"] is True and found in got["contract_differences"]


def test_a_declaration_from_no_contract_never_differs():
    d = parsed(declaration())
    assert contract_facts(d, None, ContractTolerance())["from_contract"] is False
    assert contract_facts(d, CONTRACT, ContractTolerance())["from_contract"] is False  # other UCR


def test_the_example_rule_set_fires_on_a_differing_declaration_and_explains_it():
    rule_set = parse_rule_set(EXAMPLE.read_text())
    assert rule_set.contract_tolerance == ContractTolerance(Decimal(5), Decimal(5))
    compiled = CompiledRuleSet(rule_set)

    def decided(lodged: dict):
        given = RiskInput("M-1", parsed(lodged), Decimal(1), Decimal(1), 0.99, contract=CONTRACT)
        return assess_risk(given, compiled, 1, NoHistory())

    matching = decided(doc())
    assert "DIFFERS-FROM-CONTRACT" not in [f.rule for f in matching.fired]
    differing = decided(doc([item(quantity="15"), item()]))
    (fired,) = [f for f in differing.fired if f.rule == "DIFFERS-FROM-CONTRACT"]
    explained = differing.as_dict()["fired"]
    (mine,) = [f for f in explained if f["rule"] == "DIFFERS-FROM-CONTRACT"]
    assert set(mine["explanations"]) == {"zh_Hans", "ur"}
    assert fired.score == 30


def test_tolerances_are_checked_in_the_rule_file():
    with pytest.raises(ValidationFailed) as refused:
        parse_rule_set(EXAMPLE.read_text() + "\n[contract_tolerance]\nquantity_pct = 300\n")
    assert refused.value.errors  # a second table, or out of range: refused either way
    bad = EXAMPLE.read_text().replace("quantity_pct = 5", "quantity_pct = 300")
    with pytest.raises(ValidationFailed) as out_of_range:
        parse_rule_set(bad)
    assert [e.pointer for e in out_of_range.value.errors] == ["/contract_tolerance/quantity_pct"]


def test_a_contract_registered_is_checked_on_receipt_with_a_clear_reason():
    assert parse_body(MessageType.CONTRACT_REGISTERED, CONTRACT).contract_id == "C-1"
    cases = {
        "hs_code": ("lines", 0, {"hs_code": "8471"}),
        "unit": ("lines", 0, {"unit": "BOXES"}),
        "ucr": ("shipments", 0, {"ucr": "not a ucr"}),
        "line": ("shipments", 0, {"lines": [{"line": 9, "quantity": "1"}]}),
    }
    for name, (part, n, change) in cases.items():
        bad = {**CONTRACT, part: [{**CONTRACT[part][n], **change}]}
        with pytest.raises(MalformedBody) as refused:
            parse_body(MessageType.CONTRACT_REGISTERED, bad)
        assert refused.value.fields == (part,), name
    with pytest.raises(MalformedBody):
        parse_body(MessageType.CONTRACT_REGISTERED, {**CONTRACT, "incoterms": {"rule": "XYZ"}})


def test_an_import_draft_claims_the_tariffs_preference_when_the_origin_qualifies():
    from datetime import UTC, datetime

    from karakoram.data import example
    from karakoram.domain.duties.tariff_file import parse_tariff
    from karakoram.services.contracts.drafts import with_preference
    from karakoram.services.contracts.records import ContractDraft

    tariff = parse_tariff(example("tariff-pk-import.toml").read_text())
    items = [
        {"hs_code": "851713", "origin": "CN", "quantity": "5", "unit": "NAR", "value": "900"},
        {"hs_code": "851713", "origin": "VN", "quantity": "5", "unit": "NAR", "value": "900"},
        {"hs_code": "847130", "origin": "CN", "quantity": "5", "unit": "NAR", "value": "900"},
    ]
    draft = ContractDraft(
        UCR, "C-1", "a" * 64, IMPORTER, "IM",
        {"values": {"exporter.country": "CN"}, "items": items}, CONTRACT, "m-1",
        datetime.now(UTC),
    )  # fmt: skip
    claimed = [i.get("preference") for i in with_preference(draft, tariff).draft["items"]]
    # CPFTA for Chinese phones; none for goods from elsewhere, none where the line has none
    assert claimed == ["CPFTA", None, None]
