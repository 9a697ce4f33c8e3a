"""A declaration's fields named flat, `head.tail` (a CSV column, a form field, a contract draft's
value), as the declaration document nests them."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any


def nest(pairs: Iterable[tuple[str, Any]], into: dict[str, Any] | None = None) -> dict[str, Any]:
    """`[("consignor.name", "A"), ("lrn", "X")]` → `{"consignor": {"name": "A"}, "lrn": "X"}`,
    added to `into` when given (one level: the document nests no deeper)."""
    doc: dict[str, Any] = {} if into is None else into
    for name, value in pairs:
        head, _, tail = name.partition(".")
        if tail:
            doc.setdefault(head, {})[tail] = value
        else:
            doc[name] = value
    return doc
