"""The common case of validation, read fast: a declaration whose every field already has its
canonical form (trimmed text, upper-case codes, plain numbers, every field present) and passes
every check gives the same `Declaration` that `validation.parse_declaration`'s field-by-field
reader would, at a fraction of the cost (no error bookkeeping, no pointers built, no
conversions that cannot change anything).

`read_common` never reports a problem: anything it does not accept outright (a missing,
blank, mistyped, padded or lower-case field, a float, an unknown code, a failed check) makes it
give None, and the caller reads the document again with the field reader, which lists every
error with its code and pointer. So errors are always the field reader's, and a document it
takes is one the field reader takes, with the same result (tests/unit/test_fast_validation.py
compares the two on generated documents).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from karakoram.domain.declaration.codes import INCOTERMS, UNITS, CodeLists
from karakoram.domain.declaration.field_reader import MAX_INTEGER_DIGITS, REFERENCE_PATTERN
from karakoram.domain.declaration.goods_items import ITEM_FIELD_SET, MAX_ITEMS
from karakoram.domain.declaration.model import (
    Declaration,
    DeclarationType,
    Driver,
    GoodsItem,
    Money,
    Party,
    TransportMeans,
)

#: a number as the field reader takes it unchanged: no sign, no exponent, no leading zero, at
#: most 15 integer digits and 6 decimals (ASCII digits only: `\d` would take other scripts')
_PLAIN_NUMBER = re.compile(rf"(?:0|[1-9][0-9]{{0,{MAX_INTEGER_DIGITS - 1}}})(?:\.[0-9]{{1,6}})?")
_HS_CODE = re.compile(r"[0-9]{6}(?:[0-9]{2}){0,2}")
#: an item's HS code and its four numbers joined by "|" (which neither may hold)
_ITEM_LINE = re.compile("\\|".join([_HS_CODE.pattern] + [_PLAIN_NUMBER.pattern] * 4))
_MAX_INT = 10**MAX_INTEGER_DIGITS
_QUANTUM = Decimal("0.000001")
_MAX_TEXT = 512
_ZERO = Decimal(0)
_EXPORT, _IMPORT = DeclarationType.EXPORT, DeclarationType.IMPORT
_TYPES = {"EX": _EXPORT, "IM": _IMPORT}
#: the fields of a declaration, every one required (the field reader's `unknown_field` and
#: `required` checks; items are checked on their own)
DECLARATION_FIELDS = frozenset(
    {
        "type",
        "lrn",
        "ucr",
        "declarant",
        "exporter",
        "importer",
        "office_of_lodgement",
        "office_of_exit_entry",
        "crossing",
        "transport",
        "driver",
        "invoice",
        "incoterm",
        "items",
    }
)
_INVOICE = frozenset({"amount", "currency"})


class _NotCommon(Exception):  # a signal, not an error
    """The document is not of the common case: the field reader decides."""


def _canonical(codes: frozenset[str]) -> frozenset[str]:
    """The codes a value may be as sent: those the reader's strip-and-upper leaves unchanged
    and that fit its 16 characters (a code list with `cnksg` would never match `cnksg`)."""
    return frozenset(c for c in codes if c.strip() and c == c.strip().upper() and len(c) <= 16)


@dataclass(frozen=True, slots=True)
class _Lists:
    countries: frozenset[str]
    currencies: frozenset[str]
    units: frozenset[str]
    incoterms: frozenset[str]
    offices: frozenset[str]
    crossings: frozenset[str]


#: the canonical code lists of the last (codes, node) seen: a node has one pair for its life
_last: tuple[object, object, _Lists] | None = None


def _lists(codes: CodeLists, node: Any) -> _Lists:
    global _last  # a one-entry cache of a pure function
    last = _last
    if last is not None and last[0] is codes and last[1] is node:
        return last[2]
    lists = _Lists(
        _canonical(codes.countries),
        _canonical(codes.currencies),
        _canonical(frozenset(UNITS)),
        _canonical(INCOTERMS),
        _canonical(node.offices),
        _canonical(node.crossings),
    )
    _last = (codes, node, lists)
    return lists


def read_common(data: Any, codes: CodeLists, node: Any) -> Declaration | None:
    """The declaration, when `data` is of the common case and valid; None otherwise (then
    only the field reader may say what is wrong). `node` is a `validation.NodeRules`."""
    if type(data) is not dict:
        return None
    try:
        return _read(data, codes, node, _lists(codes, node))
    except _NotCommon:
        return None


def _read(data: dict[str, Any], codes: CodeLists, node: Any, lists: _Lists) -> Declaration:
    if data.keys() != DECLARATION_FIELDS:
        raise _NotCommon
    type_text = data["type"]
    kind = _TYPES.get(type_text) if type(type_text) is str else None
    if kind is None:
        raise _NotCommon
    items = _items(data["items"], codes, lists)
    invoice = _mapping(data["invoice"], _INVOICE)
    declaration = Declaration(
        type=kind,
        lrn=_reference(data["lrn"]),
        ucr=_reference(data["ucr"]),
        declarant=_party(data["declarant"], lists),
        exporter=_party(data["exporter"], lists),
        importer=_party(data["importer"], lists),
        office_of_lodgement=_code(data["office_of_lodgement"], lists.offices),
        office_of_exit_entry=_code(data["office_of_exit_entry"], lists.offices),
        crossing=_code(data["crossing"], lists.crossings),
        transport=_transport(data["transport"], lists),
        driver=_driver(data["driver"], lists),
        invoice=Money(_positive(invoice["amount"]), _code(invoice["currency"], lists.currencies)),
        incoterm=_code(data["incoterm"], lists.incoterms),
        items=items,
    )
    amount = declaration.invoice.amount
    tolerance = max(node.invoice_tolerance_absolute, amount * node.invoice_tolerance_ratio)
    if abs(declaration.items_total() - amount) > tolerance:
        raise _NotCommon
    if kind is _EXPORT and declaration.exporter.country not in ("", node.country):
        raise _NotCommon
    if kind is _IMPORT and declaration.importer.country not in ("", node.country):
        raise _NotCommon
    return declaration


def _mapping(value: Any, fields: frozenset[str]) -> dict[str, Any]:
    """A non-empty object with only known fields, every one of them present."""
    if type(value) is not dict or value.keys() != fields:
        raise _NotCommon
    return value


def _text(value: Any, max_len: int = _MAX_TEXT) -> str:
    if type(value) is not str or len(value) > max_len:
        raise _NotCommon
    text = value.strip()
    if not text:
        raise _NotCommon
    return text


def _reference(value: Any) -> str:
    text = _text(value)
    if not REFERENCE_PATTERN.match(text):
        raise _NotCommon
    return text


def _code(value: Any, allowed: frozenset[str]) -> str:
    if type(value) is not str or value not in allowed:
        raise _NotCommon
    return value


def _optional(value: Any) -> str | None:
    """An optional text of at most 35 characters: None when absent or blank."""
    if value is None:
        return None
    if type(value) is not str or len(value) > 35:
        raise _NotCommon
    return value.strip() or None


def _positive(value: Any) -> Decimal:
    """A number above zero within the schema's digits, as the reader's `Decimal(str(value))`
    gives it (a Decimal's str gives the same Decimal back, digits and exponent)."""
    kind = type(value)
    if kind is str:
        if len(value) > 22 or not _PLAIN_NUMBER.fullmatch(value):
            raise _NotCommon
        number = Decimal(value)
    elif kind is int:
        if not 0 < value < _MAX_INT:
            raise _NotCommon
        return Decimal(value)
    elif kind is Decimal:
        number = value
        if not number.is_finite() or number.adjusted() >= MAX_INTEGER_DIGITS:
            raise _NotCommon
        if number != number.quantize(_QUANTUM):
            raise _NotCommon
    else:
        raise _NotCommon
    if number <= _ZERO:
        raise _NotCommon
    return number


_PARTY = frozenset({"name", "identifier", "country", "aeo"})
_PARTY_NO_AEO = frozenset({"name", "identifier", "country"})


def _party(value: Any, lists: _Lists) -> Party:
    if type(value) is not dict:
        raise _NotCommon
    keys = value.keys()
    if keys == _PARTY:
        aeo = value["aeo"]
        if type(aeo) is not bool:
            raise _NotCommon
    elif keys == _PARTY_NO_AEO:
        aeo = False
    else:
        raise _NotCommon
    return Party(
        _text(value["name"]),
        _reference(value["identifier"]),
        _code(value["country"], lists.countries),
        aeo,
    )


_TRANSPORT = frozenset({"registration", "nationality"})
_DRIVER = frozenset({"name", "passport_number", "nationality"})


def _transport(value: Any, lists: _Lists) -> TransportMeans:
    raw = _mapping(value, _TRANSPORT)
    return TransportMeans(
        _text(raw["registration"], 35), _code(raw["nationality"], lists.countries)
    )


def _driver(value: Any, lists: _Lists) -> Driver:
    raw = _mapping(value, _DRIVER)
    return Driver(
        _text(raw["name"]),
        _text(raw["passport_number"], 35),
        _code(raw["nationality"], lists.countries),
    )


def _items(value: Any, codes: CodeLists, lists: _Lists) -> tuple[GoodsItem, ...]:
    if type(value) is not list or not 0 < len(value) <= MAX_ITEMS:
        raise _NotCommon
    nomenclature = codes.nomenclature
    countries, units, line, number = lists.countries, lists.units, _ITEM_LINE.fullmatch, Decimal
    items = []
    for raw in value:
        if type(raw) is not dict or not raw.keys() <= ITEM_FIELD_SET:
            raise _NotCommon
        get = raw.get
        hs, quantity, gross = get("hs_code"), get("quantity"), get("gross_mass")
        net, worth = get("net_mass"), get("value")
        if (
            type(hs) is str and type(quantity) is str and type(gross) is str
            and type(net) is str and type(worth) is str
            and line(f"{hs}|{quantity}|{gross}|{net}|{worth}")
        ):  # fmt: skip
            # all five as text, each of its form (no part holds a "|"): one match for all
            quantity, gross, net = number(quantity), number(gross), number(net)
            worth = number(worth)
            if quantity <= _ZERO or gross <= _ZERO or net <= _ZERO or worth <= _ZERO:
                raise _NotCommon
        else:
            if type(hs) is not str or not _HS_CODE.fullmatch(hs):
                raise _NotCommon
            quantity, gross, net = _positive(quantity), _positive(gross), _positive(net)
            worth = _positive(worth)
        if net > gross:
            raise _NotCommon
        if nomenclature is not None and not nomenclature.is_subheading(hs):
            raise _NotCommon
        origin, unit, description = get("origin"), get("unit"), get("description")
        if type(origin) is not str or origin not in countries:
            raise _NotCommon
        if type(unit) is not str or unit not in units:
            raise _NotCommon
        if type(description) is not str or len(description) > _MAX_TEXT:
            raise _NotCommon
        description = description.strip()
        if not description:
            raise _NotCommon
        preference, certificate = get("preference"), get("origin_certificate")
        if preference is not None or certificate is not None:
            preference, certificate = _optional(preference), _optional(certificate)
        items.append(
            GoodsItem(
                hs, description, origin, quantity, unit, gross, net, worth, preference, certificate
            )
        )
    return tuple(items)
