"""Two versions of a contract side by side: every leaf that differs, by JSON pointer, with
its value in each (absent on one side: None). Pure."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

#: fields that change with every version and say nothing about the terms
_BOOKKEEPING = frozenset({"/version", "/drafted_at", "/drafted_by"})


@dataclass(frozen=True, slots=True)
class Change:
    pointer: str
    before: Any
    after: Any


def _escape(key: str) -> str:
    return key.replace("~", "~0").replace("/", "~1")


def _leaves(value: Any, ptr: str, out: dict[str, Any]) -> None:
    if isinstance(value, dict) and value:
        for k, v in value.items():
            _leaves(v, f"{ptr}/{_escape(str(k))}", out)
    elif isinstance(value, list) and value:
        for i, v in enumerate(value):
            _leaves(v, f"{ptr}/{i}", out)
    else:
        out[ptr] = value


def changes(before: dict[str, Any], after: dict[str, Any]) -> list[Change]:
    """What changed from `before` to `after` (two contract documents), in document order."""
    old: dict[str, Any] = {}
    new: dict[str, Any] = {}
    _leaves(before, "", old)
    _leaves(after, "", new)
    order = list(old) + [p for p in new if p not in old]
    return [
        Change(p, old.get(p), new.get(p))
        for p in order
        if p not in _BOOKKEEPING and (p not in old or p not in new or old[p] != new[p])
    ]
