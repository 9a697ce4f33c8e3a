"""`plain_decimal`'s short cut writes what `format(value.normalize(), "f")` writes."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from karakoram.domain.declaration.model import plain_decimal


def reference(value: Decimal) -> str:
    return format(value.normalize(), "f")


NUMERALS = st.from_regex(r"-?[0-9]{1,30}(\.[0-9]{0,12})?", fullmatch=True).map(Decimal)


@settings(max_examples=1000, deadline=None)
@given(st.decimals(allow_nan=True, allow_infinity=True) | NUMERALS)
def test_the_short_cut_writes_what_normalize_writes(value):
    try:
        expected = reference(value)
    except InvalidOperation:
        with pytest.raises(InvalidOperation):
            plain_decimal(value)
        return
    assert plain_decimal(value) == expected


@pytest.mark.parametrize(
    ("text", "plain"),
    [("10.50", "10.5"), ("100", "100"), ("1E+2", "100"), ("0.00", "0"), ("-0.00", "-0"),
     ("0.0000010", "0.000001"), ("1E-7", "0.0000001"), ("NaN", "NaN"), ("-Infinity", "-Infinity"),
     ("1234567890123456789012345678.5", "1234567890123456789012345678")],
)  # fmt: skip
def test_examples(text, plain):
    assert plain_decimal(Decimal(text)) == plain == reference(Decimal(text))
