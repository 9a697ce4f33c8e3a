"""What the duties file readers found wrong: every problem of a file, collected so that a reader
reports all of them at once (`ValidationFailed`), and the checks both readers share."""

from __future__ import annotations

import re
from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

from karakoram.domain.errors import FieldError, ValidationFailed

_CURRENCY = re.compile(r"^[A-Z]{3}$")


class Problems:
    """Collects field errors so a reader can report all of them at once."""

    def __init__(self) -> None:
        self.errors: list[FieldError] = []

    def fail(self, code: str, pointer: str, message: str) -> None:
        self.errors.append(FieldError(code, pointer, message))

    def raise_if_any(self) -> None:
        if self.errors:
            raise ValidationFailed(self.errors)

    def unknown_keys(self, data: Mapping[str, Any], allowed: frozenset[str], ptr: str) -> None:
        for key in data:
            if key not in allowed:
                known = ", ".join(sorted(allowed))
                self.fail("unknown_field", f"{ptr}/{key}", f"{key} is not expected here ({known}).")

    def text(self, data: Mapping[str, Any], key: str, ptr: str, required: bool = True) -> str:
        value = data.get(key)
        if value is None or value == "":
            if required:
                self.fail("required", f"{ptr}/{key}", f"{key} is required.")
            return ""
        if not isinstance(value, str):
            self.fail("invalid_type", f"{ptr}/{key}", f"{key} must be text (in quotes).")
            return ""
        return value.strip()

    def table(self, data: Mapping[str, Any], key: str, ptr: str) -> Mapping[str, Any]:
        value = data.get(key)
        if value is None:
            self.fail("required", f"{ptr}/{key}", f"{key} is required.")
            return {}
        if not isinstance(value, Mapping):
            self.fail("invalid_type", f"{ptr}/{key}", f"{key} must be a table.")
            return {}
        return value

    def tables(self, data: Mapping[str, Any], key: str) -> list[tuple[int, Mapping[str, Any]]]:
        """The entries of an array of tables (`[[key]]`), with their index."""
        value = data.get(key)
        if not value:
            self.fail("required", f"/{key}", f"At least one [[{key}]] entry is required.")
            return []
        if not isinstance(value, list):
            self.fail("invalid_type", f"/{key}", f"{key} must be an array of tables [[{key}]].")
            return []
        entries = []
        for n, entry in enumerate(value):
            if isinstance(entry, Mapping):
                entries.append((n, entry))
            else:
                self.fail("invalid_type", f"/{key}/{n}", f"Each {key} entry must be a table.")
        return entries


def currency_code(p: Problems, code: str, ptr: str, currencies: frozenset[str] | None) -> str:
    """`code` in capitals, recording `unknown_currency` when it is not an ISO 4217 code known."""
    code = code.upper()
    if code and (not _CURRENCY.match(code) or (currencies is not None and code not in currencies)):
        p.fail("unknown_currency", ptr, f"{code!r} is not an ISO 4217 currency code.")
    return code


def positive_rate(p: Problems, text: str, ptr: str, line: int, label: str) -> Decimal | None:
    """A rate read from a file's cell (`label`: the column, as the message names it): a finite
    number above zero, or None with the problem recorded (an empty cell is no rate, silently)."""
    if not text:
        return None
    try:
        value = Decimal(text)
    except InvalidOperation:
        value = Decimal("NaN")
    if not value.is_finite():
        p.fail("malformed_rate", ptr, f"Line {line}: {label} {text!r} is not a number.")
        return None
    if value <= 0:
        p.fail("not_positive", ptr, f"Line {line}: {label} {text} must be greater than zero.")
        return None
    return value
