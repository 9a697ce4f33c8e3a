"""The value a rule file's condition compares with, read for the field's kind and the operator
(`rule_file.py`): None when the file gives something else."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any


def expected_value(kind: str, op: str) -> str:
    if kind == "flag":
        return "true or false"
    if kind == "number":
        return "[low, high] numbers" if op == "between" else "a number"
    return "a list of strings" if op in ("in", "not_in") else "a string or a list of strings"


def leaf_value(kind: str, op: str, value: Any) -> Any:
    """`value` as the condition compares it, or None when it is not of the expected shape."""
    if kind == "flag":
        return value if isinstance(value, bool) else None
    if kind == "number":
        if op == "between":
            if not isinstance(value, list) or len(value) != 2:
                return None
            pair = [number_of(v) for v in value]
            return None if None in pair or pair[0] > pair[1] else tuple(pair)  # type: ignore[operator]
        return number_of(value)
    if isinstance(value, str) and op in ("eq", "ne", "prefix"):
        return value if op != "prefix" else (value,)
    if op in ("eq", "ne") or not isinstance(value, list) or not value:
        return None
    if not all(isinstance(v, str) for v in value):
        return None
    return frozenset(value) if op in ("in", "not_in") else tuple(value)


def number_of(value: Any) -> Decimal | None:
    """A finite number from an int, float or numeric string; None otherwise (booleans too)."""
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        return None
    try:
        number = Decimal(str(value))
    except InvalidOperation:
        return None
    return number if number.is_finite() else None
