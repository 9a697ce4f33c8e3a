"""Reading the fields of a submitted declaration: each read records what is wrong (a code, a
pointer, a message) and returns a harmless value, so validation lists every problem at once."""

from __future__ import annotations

import re
from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

from karakoram.domain.errors import FieldError

#: a reference (LRN, UCR, party identifier): 1 to 35 letters, digits or . _ / -, no spaces
REFERENCE_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._/\-]{0,34}$")
_MAX_TEXT = 512
_COUNTRY = "an ISO 3166-1 alpha-2 country code"
#: the schema's numbers: at most this many digits before the decimal point and after it
MAX_INTEGER_DIGITS = 15
MAX_FRACTION_DIGITS = 6
#: how much of an offending value a message quotes
_ECHO = 40
#: what a number may be sent as (a tuple: `str | int | ...` would build a union at each call)
_NUMBERS = (str, int, float, Decimal)
#: the finest step a number may have
_QUANTUM = Decimal(1).scaleb(-MAX_FRACTION_DIGITS)


def quoted(value: object) -> str:
    """A value as an error message quotes it: its repr, cut to a short prefix."""
    text = repr(value)
    return text if len(text) <= _ECHO else f"{text[:_ECHO]}…"


class FieldReader:
    """Reads fields from nested mappings, collecting errors instead of stopping at the first."""

    def __init__(self) -> None:
        self.errors: list[FieldError] = []

    def fail(self, code: str, pointer: str, message: str) -> None:
        self.errors.append(FieldError(code, pointer, message))

    def mapping(self, data: Mapping[str, Any], key: str, ptr: str) -> Mapping[str, Any]:
        value = data.get(key)
        if value is None:
            self.fail("required", f"{ptr}/{key}", f"{key} is required.")
            return {}
        if not isinstance(value, Mapping):
            self.fail("invalid_type", f"{ptr}/{key}", f"{key} must be an object.")
            return {}
        return value

    def text(
        self,
        data: Mapping[str, Any],
        key: str,
        ptr: str,
        *,
        required: bool = True,
        max_len: int = _MAX_TEXT,
    ) -> str:
        value = data.get(key)
        pointer = f"{ptr}/{key}"
        if value is None or (isinstance(value, str) and not value.strip()):
            if required:
                self.fail("required", pointer, f"{key} is required.")
            return ""
        if not isinstance(value, str):
            self.fail("invalid_type", pointer, f"{key} must be text.")
            return ""
        if len(value) > max_len:
            self.fail("invalid_format", pointer, f"{key} is longer than {max_len} characters.")
        return value.strip()

    def reference(self, data: Mapping[str, Any], key: str, ptr: str) -> str:
        value = self.text(data, key, ptr)
        if value and not REFERENCE_PATTERN.match(value):
            self.fail(
                "invalid_format",
                f"{ptr}/{key}",
                f"{key} must be 1-35 letters, digits or . _ / - (got {quoted(value)}).",
            )
        return value

    def code(
        self,
        data: Mapping[str, Any],
        key: str,
        ptr: str,
        allowed: frozenset[str],
        error: str,
        what: str,
        *,
        required: bool = True,
    ) -> str:
        value = self.text(data, key, ptr, required=required, max_len=16).upper()
        if value and value not in allowed:
            self.fail(error, f"{ptr}/{key}", f"{quoted(value)} is not {what}.")
        return value

    def decimal(self, data: Mapping[str, Any], key: str, ptr: str) -> Decimal:
        value = data.get(key)
        pointer = f"{ptr}/{key}"
        if value is None or value == "":
            self.fail("required", pointer, f"{key} is required.")
            return Decimal(0)
        if isinstance(value, bool) or not isinstance(value, _NUMBERS):
            self.fail("invalid_type", pointer, f"{key} must be a number.")
            return Decimal(0)
        if isinstance(value, str) and len(value) > 64:
            self.fail("invalid_format", pointer, f"{key} must be a number (got {quoted(value)}).")
            return Decimal(0)
        try:
            number = Decimal(str(value))
        except InvalidOperation:
            self.fail("invalid_format", pointer, f"{key} must be a number (got {quoted(value)}).")
            return Decimal(0)
        return number if self._in_bounds(number, key, pointer) else Decimal(0)

    def _in_bounds(self, number: Decimal, key: str, pointer: str) -> bool:
        """Finite, and within the schema's digits (no float overflow reaches the duties)."""
        if not number.is_finite():
            self.fail("not_finite", pointer, f"{key} must be a finite number.")
            return False
        if number.adjusted() >= MAX_INTEGER_DIGITS:
            self.fail(
                "out_of_range", pointer, f"{key} has more than {MAX_INTEGER_DIGITS} integer digits."
            )
            return False
        # a number with at most MAX_FRACTION_DIGITS decimals is unchanged by the quantum;
        # with at most MAX_INTEGER_DIGITS integer digits, the quantized number fits the
        # context's 28 digits (no InvalidOperation); cheaper than reading the exponent
        if number != number.quantize(_QUANTUM):
            self.fail(
                "too_precise", pointer, f"{key} has more than {MAX_FRACTION_DIGITS} decimals."
            )
            return False
        return True

    def positive(self, data: Mapping[str, Any], key: str, ptr: str) -> Decimal:
        """A number above zero; one error per field (a value that is no number is not also
        said to be zero or less)."""
        before = len(self.errors)
        number = self.decimal(data, key, ptr)
        if len(self.errors) == before and number <= 0:
            self.fail("not_positive", f"{ptr}/{key}", f"{key} must be greater than zero.")
        return number

    def flag(self, data: Mapping[str, Any], key: str, ptr: str) -> bool:
        value = data.get(key, False)
        if isinstance(value, str) and value.lower() in {"true", "false", "1", "0", "yes", "no"}:
            return value.lower() in {"true", "1", "yes"}
        if not isinstance(value, bool):
            self.fail("invalid_type", f"{ptr}/{key}", f"{key} must be true or false.")
            return False
        return value

    def unknown_fields(self, data: Mapping[str, Any], allowed: frozenset[str], ptr: str) -> None:
        for key in data:
            if key not in allowed:
                self.fail("unknown_field", f"{ptr}/{key}", f"{key} is not a declaration field.")

    def country(
        self, data: Mapping[str, Any], key: str, ptr: str, countries: frozenset[str]
    ) -> str:
        """An ISO 3166-1 alpha-2 code among `countries` (`unknown_country` otherwise)."""
        return self.code(data, key, ptr, countries, "unknown_country", _COUNTRY)
