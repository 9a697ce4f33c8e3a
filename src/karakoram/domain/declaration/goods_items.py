"""Validating the goods items of a submitted declaration: HS code, origin, quantity and unit,
masses and value, and a claimed preference. The error codes are listed in
`karakoram.domain.declaration.validation`."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from karakoram.domain.declaration.codes import UNITS, CodeLists
from karakoram.domain.declaration.field_reader import FieldReader
from karakoram.domain.declaration.model import GoodsItem

_HS = re.compile(r"^(\d{6}|\d{8}|\d{10})$")
#: the most goods items one declaration holds
MAX_ITEMS = 999
_UNIT_CODES = frozenset(UNITS)
#: the fields of a goods item, in the order files list them (the CSV reader's columns)
ITEM_FIELDS = (
    "hs_code",
    "description",
    "origin",
    "quantity",
    "unit",
    "gross_mass",
    "net_mass",
    "value",
    "preference",
    "origin_certificate",
)
#: the same fields as a set, to find the unknown ones
ITEM_FIELD_SET = frozenset(ITEM_FIELDS)


def read_items(r: FieldReader, data: Mapping[str, Any], codes: CodeLists) -> tuple[GoodsItem, ...]:
    """The goods items of declaration `data`; at least one, at most 999."""
    raw = data.get("items")
    if raw is None or raw == []:
        r.fail("no_items", "/items", "A declaration needs at least one goods item.")
        return ()
    if not isinstance(raw, list):
        r.fail("invalid_type", "/items", "items must be a list.")
        return ()
    if len(raw) > MAX_ITEMS:
        r.fail("invalid_format", "/items", f"A declaration has at most {MAX_ITEMS} items.")
        return ()
    return tuple(_item(r, entry, f"/items/{n}", codes) for n, entry in enumerate(raw))


def _item(r: FieldReader, raw: Any, ptr: str, codes: CodeLists) -> GoodsItem:
    if not isinstance(raw, Mapping):
        r.fail("invalid_type", ptr, "A goods item must be an object.")
        raw = {}
    r.unknown_fields(raw, ITEM_FIELD_SET, ptr)
    item = GoodsItem(
        hs_code=hs_code(r, raw, ptr, codes),
        description=r.text(raw, "description", ptr),
        origin=r.country(raw, "origin", ptr, codes.countries),
        quantity=r.positive(raw, "quantity", ptr),
        unit=r.code(
            raw,
            "unit",
            ptr,
            _UNIT_CODES,
            "unknown_unit",
            "a UN/ECE Recommendation 20 unit (for example KGM, NAR, LTR)",
        ),
        gross_mass=r.positive(raw, "gross_mass", ptr),
        net_mass=r.positive(raw, "net_mass", ptr),
        value=r.positive(raw, "value", ptr),
        preference=r.text(raw, "preference", ptr, required=False, max_len=35) or None,
        origin_certificate=r.text(raw, "origin_certificate", ptr, required=False, max_len=35)
        or None,
    )
    if item.net_mass > item.gross_mass > 0:
        r.fail(
            "net_mass_exceeds_gross",
            f"{ptr}/net_mass",
            f"Net mass {item.net_mass} kg is above gross mass {item.gross_mass} kg.",
        )
    return item


def hs_code(r: FieldReader, raw: Mapping[str, Any], ptr: str, codes: CodeLists) -> str:
    value = raw.get("hs_code")
    code = str(value).replace(".", "").replace(" ", "") if isinstance(value, (str, int)) else value
    code = r.text({"hs_code": code}, "hs_code", ptr, max_len=10)
    if not code:
        return ""
    if not _HS.match(code):
        r.fail(
            "invalid_format",
            f"{ptr}/hs_code",
            f"HS code must have 6, 8 or 10 digits (got {value!r}).",
        )
    elif codes.nomenclature is not None and not codes.nomenclature.is_subheading(code):
        r.fail(
            "unknown_hs_code",
            f"{ptr}/hs_code",
            f"{code[:6]} is not an {codes.nomenclature.edition} subheading.",
        )
    return code
