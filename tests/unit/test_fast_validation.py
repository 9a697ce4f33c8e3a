"""The fast reader of the common case (`fast_validation.read_common`) against the field reader
(`validation.read_fields`): whatever the fast reader takes, the field reader takes too, with
the very same declaration (decimals to their digits); whatever it leaves, `parse_declaration`
answers exactly as the field reader does (the same errors, in the same order)."""

from __future__ import annotations

import copy
from decimal import Decimal
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from karakoram.domain.declaration.fast_validation import read_common
from karakoram.domain.declaration.validation import parse_declaration, read_fields
from karakoram.domain.errors import ValidationFailed
from tests.builders import bend, declaration, import_declaration
from tests.unit.fakes import fake_context

CTX = fake_context()
BARE = fake_context(nomenclature=False)


def field_reader(doc: Any, ctx: Any = CTX) -> Any:
    """The field reader's answer: the declaration's repr, or the errors."""
    try:
        return repr(read_fields(doc, ctx.codes, ctx.rules))
    except ValidationFailed as failed:
        return failed.errors


def parsed(doc: Any, ctx: Any = CTX) -> Any:
    try:
        return repr(parse_declaration(doc, ctx.codes, ctx.rules))
    except ValidationFailed as failed:
        return failed.errors


def agree(doc: Any, ctx: Any = CTX) -> Any:
    """The fast reader's declaration (or None) once both readers were seen to agree."""
    fast = read_common(doc, ctx.codes, ctx.rules)
    slow = field_reader(doc, ctx)
    if fast is not None:
        assert repr(fast) == slow
    assert parsed(doc, ctx) == slow
    return fast


def test_the_common_case_is_read_fast_and_alike():
    for doc in (declaration(), import_declaration(), declaration(items=7)):
        assert agree(doc) is not None
        assert agree(doc, BARE) is not None


def test_numbers_as_json_numbers_and_decimals_are_read_fast_and_alike():
    doc = bend(declaration(items=1), "/items/0/quantity", 12)
    doc = bend(doc, "/items/0/gross_mass", Decimal("100.50"))
    doc = bend(doc, "/items/0/net_mass", Decimal("1E+1"))
    doc = bend(doc, "/invoice/amount", Decimal("5000.000"))
    fast = agree(doc)
    assert fast is not None
    assert str(fast.items[0].gross_mass) == "100.50"
    assert str(fast.invoice.amount) == "5000.000"


def test_what_only_the_field_reader_may_judge_is_left_to_it():
    cases = [
        ("/type", "ex"),  # upper-cased by the reader
        ("/items/0/hs_code", "8471.30"),  # dots dropped by the reader
        ("/items/0/hs_code", 847130),
        ("/items/0/quantity", 1.5),  # a float
        ("/items/0/quantity", "1e3"),
        ("/items/0/quantity", "01"),
        ("/exporter/aeo", "yes"),
        ("/driver", {}),  # the reader takes an empty object without a word
        ("/items/0/origin", "cn"),
        ("/items/0/quantity", "0"),
        ("/items/0/net_mass", "31"),  # above the gross mass
        ("/invoice/amount", "10100"),  # beyond the tolerance
        ("/exporter/country", "PK"),
        ("/items/0/hs_code", "٨٤٧١٣٠"),  # Arabic-Indic digits
    ]
    for pointer, value in cases:
        assert agree(bend(declaration(), pointer, value)) is None, pointer


SAMPLES = [
    None, "", "  ", True, False, 0, 1, 7, -1, 10**15, 10**15 - 1, 1.5, [], {}, "x",
    "EX", "IM", "ex", " EX", "CN", "cn", "PK", "USD", "usd", "KGM", "PR", "DAP",
    "CNKSG", "CNKJB", "KHUNJERAB", "842330", "847130", "84713000", "8471.30",
    "999911", "84713", "1", "0", "0.0", "00.5", "10.50", "1e3", "-3", "NaN",
    "123456789012345", "1234567890123456", "0.000001", "0.0000001", "1.1234567",
    "A" * 35, "A" * 36, "LRN-1", "LRN 1", " LRN-1", "\u0663", "E1234567",
    Decimal("1.5"), Decimal("-1"), Decimal("NaN"), Decimal("1E+20"), Decimal("1E-7"),
    Decimal("0"), Decimal("2.000"), "yes", "true",
]  # fmt: skip
#: values a field may be sent as: canonical, padded, cased, typed otherwise, out of bounds
VALUES = st.one_of(
    st.sampled_from(SAMPLES),
    st.text(max_size=12),
    st.integers(min_value=-5, max_value=10**16),
    st.decimals(allow_nan=True, places=None),
)

POINTERS = [
    "/type", "/lrn", "/ucr", "/declarant", "/declarant/name", "/declarant/identifier",
    "/declarant/country", "/declarant/aeo", "/exporter/country", "/exporter/aeo",
    "/importer/country", "/importer/identifier", "/office_of_lodgement",
    "/office_of_exit_entry", "/crossing", "/transport", "/transport/registration",
    "/transport/nationality", "/driver", "/driver/name", "/driver/passport_number",
    "/driver/nationality", "/invoice", "/invoice/amount", "/invoice/currency", "/incoterm",
    "/items", "/items/0", "/items/0/hs_code", "/items/0/description", "/items/0/origin",
    "/items/0/quantity", "/items/0/unit", "/items/0/gross_mass", "/items/0/net_mass",
    "/items/0/value", "/items/1/value", "/items/0/preference", "/items/0/origin_certificate",
    "/extra", "/items/0/extra", "/declarant/extra",
]  # fmt: skip


@settings(max_examples=500, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    base=st.sampled_from([declaration(), import_declaration(), declaration(items=1)]),
    changes=st.lists(st.tuples(st.sampled_from(POINTERS), VALUES | st.just(...)), max_size=3),
    bare=st.booleans(),
)
def test_both_readers_agree_on_any_document(base, changes, bare):
    doc = copy.deepcopy(base)
    for pointer, value in changes:
        try:
            doc = bend(doc, pointer, value)
        except (KeyError, IndexError, TypeError, ValueError):
            continue  # the path is gone (an earlier change replaced its parent)
    agree(doc, BARE if bare else CTX)
