"""What a customs node and the expo tell each other, and who may be told what.

The expo is a partner of a kind of its own (`PartnerKind.EXPO`): it is sent only what its
matchmaking needs and never an administration's messages (pre-arrival data, control results,
cargo reports, slots...), and it may send a node only `contract_registered`; a node tells it
back only of the declarations of those contracts (`clearance_result`).

- `trade_summary` (node → expo): one month of cleared trade by HS chapter and route, every
  cell fed by fewer than `MIN_TRADERS` distinct traders suppressed (no value, no count);
- `tariff_published` (node → expo): the node's tariff version, per HS prefix the MFN and
  preferential customs duty (ad valorem, per cent), and the origins each agreement covers;
- `contract_registered` (expo → node) and `clearance_result` (node → expo): a signed contract's
  shipments, and how their declarations fared (contract_bodies.py).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from typing import Any, ClassVar

from karakoram.domain.exchange.body_base import MalformedBody, MessageType, _Body
from karakoram.domain.exchange.contract_bodies import READERS as CONTRACT_READERS
from karakoram.domain.exchange.contract_bodies import ClearanceResult as ClearanceResult
from karakoram.domain.exchange.contract_bodies import ContractRegistered as ContractRegistered
from karakoram.domain.exchange.contract_bodies import check_contract, check_result

#: a cell of a trade summary fed by fewer distinct traders is suppressed
MIN_TRADERS = 3


class PartnerKind(StrEnum):
    ADMINISTRATION = "administration"
    EXPO = "expo"


NODE_TO_EXPO = frozenset(
    {MessageType.TRADE_SUMMARY, MessageType.TARIFF_PUBLISHED, MessageType.CLEARANCE_RESULT}
)
EXPO_TO_NODE = frozenset({MessageType.CONTRACT_REGISTERED})
EXPO_TYPES = NODE_TO_EXPO | EXPO_TO_NODE
#: what a node sends an expo whatever it shares: the end of one of its keys
ALWAYS_TO_EXPO = frozenset({MessageType.KEY_REVOKED})
#: administrations' own types that every administration partner gets (bodies.ALWAYS_SHARED)
_ALWAYS_TO_ADMINISTRATIONS = frozenset({MessageType.KEY_REVOKED, MessageType.RECONCILE_REQUEST})


def default_types(kind: PartnerKind) -> tuple[MessageType, ...]:
    """What a partner of `kind` shares when the operator names no types."""
    if kind is PartnerKind.EXPO:
        return tuple(t for t in MessageType if t in EXPO_TYPES)
    return tuple(t for t in MessageType if t not in EXPO_TYPES)


def types_not_for(kind: PartnerKind, types: tuple[MessageType, ...]) -> list[str]:
    """The types of `types` a partner of `kind` may never share."""
    if kind is PartnerKind.EXPO:
        return sorted(t.value for t in types if t not in EXPO_TYPES)
    return sorted(t.value for t in types if t in EXPO_TYPES)


def may_send(kind: str, shared: tuple[str, ...], kind_of_message: MessageType) -> bool:
    """Whether this node may send a partner of `kind` sharing `shared` a message of this type.
    An expo gets only its own types (and key revocations); an administration never those."""
    if kind == PartnerKind.EXPO:
        if kind_of_message in ALWAYS_TO_EXPO:
            return True
        return kind_of_message in NODE_TO_EXPO and kind_of_message.value in shared
    return kind_of_message not in EXPO_TYPES


def may_receive(kind: str, shared: tuple[str, ...], kind_of_message: MessageType) -> bool:
    """Whether this node accepts a message of this type from a partner of `kind`."""
    if kind == PartnerKind.EXPO:
        return kind_of_message in EXPO_TO_NODE and kind_of_message.value in shared
    if kind_of_message in EXPO_TYPES:
        return False
    return kind_of_message in _ALWAYS_TO_ADMINISTRATIONS or kind_of_message.value in shared


@dataclass(frozen=True, slots=True)
class TradeSummary(_Body):
    """One month of the node's cleared trade. Each cell: `chapter`, `origin`, `destination`
    and either `declarations` and `value` (in `currency`), or `suppressed: true` alone."""

    type: ClassVar[MessageType] = MessageType.TRADE_SUMMARY
    month: str
    currency: str
    cells: tuple[dict[str, Any], ...]
    min_traders: int
    compiled_at: str

    @property
    def happened_at(self) -> str:
        return self.compiled_at


@dataclass(frozen=True, slots=True)
class TariffPublished(_Body):
    """A tariff version. Each line: `hs_prefix`, `mfn` (per cent, text) and `preferential`
    (agreement -> per cent); `agreements`: agreement -> the origin countries it covers."""

    type: ClassVar[MessageType] = MessageType.TARIFF_PUBLISHED
    version: str
    name: str
    lines: tuple[dict[str, Any], ...]
    agreements: dict[str, Any]
    published_at: str

    @property
    def happened_at(self) -> str:
        return self.published_at


_MONTH = re.compile(r"\d{4}-(0[1-9]|1[0-2])")
_COUNTRY = re.compile(r"[A-Z]{2}")
_CHAPTER = re.compile(r"\d{2}")


def _objs(value: Any) -> tuple[dict[str, Any], ...] | None:
    if isinstance(value, list) and all(isinstance(v, dict) for v in value):
        return tuple(value)
    return None


def _month(value: Any) -> str | None:
    return value if isinstance(value, str) and _MONTH.fullmatch(value) else None


def _amount(value: Any) -> Decimal | None:
    """A non-negative decimal written as text ('12.5'), or None."""
    if not isinstance(value, str):
        return None
    try:
        found = Decimal(value)
    except InvalidOperation:
        return None
    return found if found.is_finite() and found >= 0 else None


def _obj(value: Any) -> dict[str, Any] | None:
    return value if isinstance(value, dict) else None


def _int(value: Any) -> int | None:
    return value if type(value) is int and value >= 0 else None


#: how the expo bodies' own fields are read (bodies._READERS takes them in)
READERS = {
    "cells": _objs,
    "lines": _objs,
    "month": _month,
    "agreements": _obj,
    "min_traders": _int,
    **CONTRACT_READERS,
}


def check_expo_body(body: _Body) -> None:
    """`MalformedBody` naming the first cell or line that is not as its type says."""
    if isinstance(body, ContractRegistered):
        check_contract(body)
    elif isinstance(body, ClearanceResult):
        check_result(body)
    elif isinstance(body, TradeSummary):
        for n, cell in enumerate(body.cells):
            _check_cell(n, cell)
    elif isinstance(body, TariffPublished):
        for n, line in enumerate(body.lines):
            _check_line(n, line)
        for name, origins in body.agreements.items():
            if not isinstance(origins, list) or not all(
                isinstance(o, str) and _COUNTRY.fullmatch(o) for o in origins
            ):
                raise MalformedBody(f"agreements/{name} is a list of countries.", ("agreements",))


def _check_cell(n: int, cell: Mapping[str, Any]) -> None:
    route_ok = all(
        isinstance(cell.get(k), str) and _COUNTRY.fullmatch(cell[k])
        for k in ("origin", "destination")
    )
    chapter = cell.get("chapter")
    if not route_ok or not (isinstance(chapter, str) and _CHAPTER.fullmatch(chapter)):
        raise MalformedBody(f"cells/{n} needs chapter, origin and destination.", ("cells",))
    if cell.get("suppressed") is True:
        if "value" in cell or "declarations" in cell:
            raise MalformedBody(f"cells/{n} is suppressed: it carries no figures.", ("cells",))
        return
    count = cell.get("declarations")
    if type(count) is not int or count < 0 or _amount(cell.get("value")) is None:
        raise MalformedBody(f"cells/{n} needs declarations and value.", ("cells",))


def _check_line(n: int, line: Mapping[str, Any]) -> None:
    prefix, pref = line.get("hs_prefix"), line.get("preferential", {})
    if not isinstance(prefix, str) or not (prefix == "" or prefix.isdigit()) or len(prefix) > 10:
        raise MalformedBody(f"lines/{n} needs an HS prefix of digits.", ("lines",))
    if _amount(line.get("mfn")) is None or not isinstance(pref, dict):
        raise MalformedBody(f"lines/{n} needs mfn (per cent, as text).", ("lines",))
    if any(_amount(v) is None for v in pref.values()):
        raise MalformedBody(f"lines/{n}: each preferential rate is per cent, as text.", ("lines",))


def cell_value(cell: Mapping[str, Any]) -> Decimal | None:
    """A checked cell's value, None when suppressed."""
    return None if cell.get("suppressed") is True else _amount(cell.get("value"))


def percent(text: Any) -> Decimal:
    """A checked line's rate."""
    found = _amount(text)
    assert found is not None, "lines are checked when parsed"
    return found
