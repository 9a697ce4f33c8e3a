"""Every validation error code, with its pointer, and that all problems come at once."""

from __future__ import annotations

from typing import Any

import pytest

from karakoram.domain.declaration.model import DeclarationType
from karakoram.domain.declaration.validation import parse_declaration
from karakoram.domain.errors import ValidationFailed
from tests.builders import bend, declaration, import_declaration
from tests.unit.fakes import fake_context


def errors_of(doc: Any, nomenclature: bool = True) -> set[tuple[str, str]]:
    ctx = fake_context(nomenclature=nomenclature)
    with pytest.raises(ValidationFailed) as failed:
        parse_declaration(doc, ctx.codes, ctx.rules)
    return {(e.code, e.pointer) for e in failed.value.errors}


def test_valid_export_parses_to_a_declaration():
    ctx = fake_context()
    parsed = parse_declaration(declaration(), ctx.codes, ctx.rules)
    assert parsed.type is DeclarationType.EXPORT
    assert len(parsed.items) == 2
    assert str(parsed.invoice.amount) == "10000"


def test_valid_import_parses():
    ctx = fake_context()
    assert parse_declaration(import_declaration(), ctx.codes, ctx.rules).type.value == "IM"


@pytest.mark.parametrize(
    ("pointer", "value", "code"),
    [
        ("/items/0/hs_code", "999911", "unknown_hs_code"),
        ("/items/0/hs_code", "84713", "invalid_format"),
        ("/items/1/origin", "XX", "unknown_country"),
        ("/exporter/country", "ZZ", "unknown_country"),
        ("/driver/nationality", "QQ", "unknown_country"),
        ("/invoice/currency", "XYZ", "unknown_currency"),
        ("/items/0/unit", "BOX", "unknown_unit"),
        ("/incoterm", "FOO", "unknown_incoterm"),
        ("/office_of_lodgement", "PKSST", "unknown_office"),
        ("/crossing", "TORKHAM", "unknown_crossing"),
        ("/items/0/quantity", "0", "not_positive"),
        ("/items/0/quantity", "-3", "not_positive"),
        ("/items/0/gross_mass", -1, "not_positive"),
        ("/items/0/quantity", "ten", "invalid_format"),
        ("/items/0/quantity", True, "invalid_type"),
        ("/lrn", "has spaces in it", "invalid_format"),
        ("/declarant", "someone", "invalid_type"),
        ("/items", "not a list", "invalid_type"),
        ("/type", "TR", "invalid_format"),
        ("/exporter/aeo", "maybe", "invalid_type"),
    ],
)
def test_each_bad_field_has_its_code_and_pointer(pointer, value, code):
    assert (code, pointer) in errors_of(bend(declaration(), pointer, value))


@pytest.mark.parametrize(
    "pointer",
    [
        "/lrn",
        "/ucr",
        "/incoterm",
        "/declarant",
        "/exporter/name",
        "/importer/identifier",
        "/transport",
        "/driver/passport_number",
        "/invoice/amount",
        "/items/0/description",
        "/items/1/value",
        "/office_of_exit_entry",
        "/crossing",
    ],
)
def test_missing_mandatory_field_is_required(pointer):
    assert ("required", pointer) in errors_of(bend(declaration(), pointer, ...))


def test_empty_items_list_is_no_items():
    assert ("no_items", "/items") in errors_of(declaration(items=0))


def test_unknown_field_is_named():
    assert ("unknown_field", "/items/0/colour") in errors_of(
        bend(declaration(), "/items/0/colour", "red")
    )


def test_net_mass_above_gross_mass():
    doc = bend(declaration(), "/items/1/net_mass", "31")
    assert errors_of(doc) == {("net_mass_exceeds_gross", "/items/1/net_mass")}


def test_item_values_must_add_up_to_invoice_within_tolerance():
    # two items of 5000; tolerance is max(1, 0.5% of invoice)
    assert errors_of(bend(declaration(), "/invoice/amount", "10060")) == {
        ("invoice_total_mismatch", "/invoice/amount")
    }
    ctx = fake_context()
    parse_declaration(bend(declaration(), "/invoice/amount", "10049"), ctx.codes, ctx.rules)


def test_export_needs_exporter_in_node_country():
    assert errors_of(bend(declaration(), "/exporter/country", "PK")) == {
        ("exporter_not_in_node_country", "/exporter/country")
    }


def test_import_needs_importer_in_node_country():
    assert errors_of(bend(import_declaration(), "/importer/country", "PK")) == {
        ("importer_not_in_node_country", "/importer/country")
    }


def test_every_problem_is_listed_at_once():
    doc = declaration()
    doc = bend(doc, "/items/0/hs_code", "999911")
    doc = bend(doc, "/items/1/net_mass", "99")
    doc = bend(doc, "/invoice/currency", "XYZ")
    doc = bend(doc, "/invoice/amount", "1")
    doc = bend(doc, "/lrn", ...)
    assert errors_of(doc) == {
        ("unknown_hs_code", "/items/0/hs_code"),
        ("net_mass_exceeds_gross", "/items/1/net_mass"),
        ("unknown_currency", "/invoice/currency"),
        ("invoice_total_mismatch", "/invoice/amount"),
        ("required", "/lrn"),
    }


def test_national_tariff_line_is_accepted_when_its_subheading_exists():
    ctx = fake_context()
    doc = bend(declaration(), "/items/0/hs_code", "8471300010")
    assert parse_declaration(doc, ctx.codes, ctx.rules).items[0].hs_code == "8471300010"


def test_without_nomenclature_only_the_shape_of_hs_codes_is_checked():
    ctx = fake_context(nomenclature=False)
    doc = bend(declaration(), "/items/0/hs_code", "999911")
    assert parse_declaration(doc, ctx.codes, ctx.rules).items[0].hs_code == "999911"


def test_not_an_object_is_refused():
    assert errors_of([1, 2]) == {("invalid_type", "")}


def test_messages_are_sentences_a_trader_understands():
    ctx = fake_context()
    with pytest.raises(ValidationFailed) as failed:
        parse_declaration(bend(declaration(), "/items/1/net_mass", "31"), ctx.codes, ctx.rules)
    message = failed.value.errors[0].message
    assert "31" in message and "30" in message and "gross" in message
