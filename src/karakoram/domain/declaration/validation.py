"""Turn a submitted document into a `Declaration`, listing every problem at once.

The same function serves the HTTP API, JSON Lines and CSV uploads, so a trader gets the same
codes and pointers whichever way the declaration arrives. Error codes are stable: clients may
branch on them.

| code | meaning |
|---|---|
| `required` | a mandatory field is missing or empty |
| `invalid_type` | the field has the wrong JSON type |
| `invalid_format` | the value has the wrong shape (length, characters, number syntax) |
| `unknown_field` | the field is not part of a declaration (often a typo) |
| `unknown_hs_code` | not a subheading of the loaded HS nomenclature |
| `unknown_country` | not an ISO 3166-1 alpha-2 code |
| `unknown_currency` | not an ISO 4217 code |
| `unknown_unit` | not a UN/ECE Recommendation 20 unit the node accepts |
| `unknown_incoterm` | not an Incoterms 2020 rule |
| `unknown_office` | not an office of this node |
| `unknown_crossing` | not a crossing of this node |
| `not_positive` | a quantity, mass or value that must be above zero is not |
| `net_mass_exceeds_gross` | an item's net mass is above its gross mass |
| `invoice_total_mismatch` | item values do not add up to the invoice total within tolerance |
| `exporter_not_in_node_country` | export whose exporter is not established in the node's country |
| `importer_not_in_node_country` | import whose importer is not established in the node's country |
| `no_items` | a declaration without goods items |
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from karakoram.domain.declaration.codes import INCOTERMS, UNITS, CodeLists
from karakoram.domain.declaration.model import (
    Declaration,
    DeclarationType,
    Driver,
    GoodsItem,
    Money,
    Party,
    TransportMeans,
)
from karakoram.domain.errors import FieldError, ValidationFailed

_HS = re.compile(r"^(\d{6}|\d{8}|\d{10})$")
_REFERENCE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._/\-]{0,34}$")
_MAX_TEXT = 512
_MAX_ITEMS = 999
_UNIT_CODES = frozenset(UNITS)

_PARTY_FIELDS = frozenset({"name", "identifier", "country", "aeo"})
_ITEM_FIELDS = frozenset(
    {
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
    }
)
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
_NESTED_FIELDS = {
    "transport": frozenset({"registration", "nationality"}),
    "driver": frozenset({"name", "passport_number", "nationality"}),
    "invoice": frozenset({"amount", "currency"}),
}


@dataclass(frozen=True, slots=True)
class NodeRules:
    """What the node itself contributes to validation."""

    country: str
    offices: frozenset[str]
    crossings: frozenset[str]
    #: item values may differ from the invoice total by this share of the total ...
    invoice_tolerance_ratio: Decimal = Decimal("0.005")
    #: ... or by this absolute amount, whichever is larger.
    invoice_tolerance_absolute: Decimal = Decimal("1")


class _Reader:
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
        if value and not _REFERENCE.match(value):
            self.fail(
                "invalid_format",
                f"{ptr}/{key}",
                f"{key} must be 1-35 letters, digits or . _ / - (got {value!r}).",
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
            self.fail(error, f"{ptr}/{key}", f"{value!r} is not {what}.")
        return value

    def decimal(self, data: Mapping[str, Any], key: str, ptr: str) -> Decimal:
        value = data.get(key)
        pointer = f"{ptr}/{key}"
        if value is None or value == "":
            self.fail("required", pointer, f"{key} is required.")
            return Decimal(0)
        if isinstance(value, bool) or not isinstance(value, str | int | float | Decimal):
            self.fail("invalid_type", pointer, f"{key} must be a number.")
            return Decimal(0)
        try:
            number = Decimal(str(value))
        except InvalidOperation:
            self.fail("invalid_format", pointer, f"{key} must be a number (got {value!r}).")
            return Decimal(0)
        if not number.is_finite():
            self.fail("invalid_format", pointer, f"{key} must be a finite number.")
            return Decimal(0)
        return number

    def positive(self, data: Mapping[str, Any], key: str, ptr: str) -> Decimal:
        number = self.decimal(data, key, ptr)
        if key in data and data[key] not in (None, "") and number <= 0:
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


def parse_declaration(data: Any, codes: CodeLists, node: NodeRules) -> Declaration:
    """Validate `data` (decoded JSON) and return the declaration, or raise `ValidationFailed`."""
    r = _Reader()
    if not isinstance(data, Mapping):
        raise ValidationFailed([FieldError("invalid_type", "", "A declaration must be an object.")])
    r.unknown_fields(data, DECLARATION_FIELDS, "")
    type_text = r.code(
        data,
        "type",
        "",
        frozenset(t.value for t in DeclarationType),
        "invalid_format",
        "a declaration type (EX or IM)",
    )
    parties = {role: _party(r, data, role, codes) for role in ("declarant", "exporter", "importer")}
    items = _items(r, data, codes)
    declaration = Declaration(
        type=DeclarationType(type_text) if type_text in ("EX", "IM") else DeclarationType.EXPORT,
        lrn=r.reference(data, "lrn", ""),
        ucr=r.reference(data, "ucr", ""),
        declarant=parties["declarant"],
        exporter=parties["exporter"],
        importer=parties["importer"],
        office_of_lodgement=r.code(
            data,
            "office_of_lodgement",
            "",
            node.offices,
            "unknown_office",
            "an office of this node",
        ),
        office_of_exit_entry=r.code(
            data,
            "office_of_exit_entry",
            "",
            node.offices,
            "unknown_office",
            "an office of this node",
        ),
        crossing=r.code(
            data, "crossing", "", node.crossings, "unknown_crossing", "a crossing of this node"
        ),
        transport=_transport(r, data, codes),
        driver=_driver(r, data, codes),
        invoice=_invoice(r, data, codes),
        incoterm=r.code(
            data, "incoterm", "", INCOTERMS, "unknown_incoterm", "an Incoterms 2020 rule"
        ),
        items=items,
    )
    if not any(e.pointer == "/invoice/amount" or e.pointer.endswith("/value") for e in r.errors):
        _check_totals(r, declaration, node)
    if type_text in ("EX", "IM"):
        _check_establishment(r, declaration, node)
    if r.errors:
        raise ValidationFailed(r.errors)
    return declaration


def _party(r: _Reader, data: Mapping[str, Any], role: str, codes: CodeLists) -> Party:
    ptr = f"/{role}"
    raw = r.mapping(data, role, "")
    if not raw:
        return Party("", "", "")
    r.unknown_fields(raw, _PARTY_FIELDS, ptr)
    return Party(
        name=r.text(raw, "name", ptr),
        identifier=r.reference(raw, "identifier", ptr),
        country=r.code(
            raw,
            "country",
            ptr,
            codes.countries,
            "unknown_country",
            "an ISO 3166-1 alpha-2 country code",
        ),
        aeo=r.flag(raw, "aeo", ptr),
    )


def _transport(r: _Reader, data: Mapping[str, Any], codes: CodeLists) -> TransportMeans:
    raw = r.mapping(data, "transport", "")
    r.unknown_fields(raw, _NESTED_FIELDS["transport"], "/transport")
    return TransportMeans(
        registration=r.text(raw, "registration", "/transport", max_len=35) if raw else "",
        nationality=r.code(
            raw,
            "nationality",
            "/transport",
            codes.countries,
            "unknown_country",
            "an ISO 3166-1 alpha-2 country code",
        )
        if raw
        else "",
    )


def _driver(r: _Reader, data: Mapping[str, Any], codes: CodeLists) -> Driver:
    raw = r.mapping(data, "driver", "")
    if not raw:
        return Driver("", "", "")
    r.unknown_fields(raw, _NESTED_FIELDS["driver"], "/driver")
    return Driver(
        name=r.text(raw, "name", "/driver"),
        passport_number=r.text(raw, "passport_number", "/driver", max_len=35),
        nationality=r.code(
            raw,
            "nationality",
            "/driver",
            codes.countries,
            "unknown_country",
            "an ISO 3166-1 alpha-2 country code",
        ),
    )


def _invoice(r: _Reader, data: Mapping[str, Any], codes: CodeLists) -> Money:
    raw = r.mapping(data, "invoice", "")
    if not raw:
        return Money(Decimal(0), "")
    r.unknown_fields(raw, _NESTED_FIELDS["invoice"], "/invoice")
    return Money(
        amount=r.positive(raw, "amount", "/invoice"),
        currency=r.code(
            raw,
            "currency",
            "/invoice",
            codes.currencies,
            "unknown_currency",
            "an ISO 4217 currency code",
        ),
    )


def _items(r: _Reader, data: Mapping[str, Any], codes: CodeLists) -> tuple[GoodsItem, ...]:
    raw = data.get("items")
    if raw is None or raw == []:
        r.fail("no_items", "/items", "A declaration needs at least one goods item.")
        return ()
    if not isinstance(raw, list):
        r.fail("invalid_type", "/items", "items must be a list.")
        return ()
    if len(raw) > _MAX_ITEMS:
        r.fail("invalid_format", "/items", f"A declaration has at most {_MAX_ITEMS} items.")
        return ()
    return tuple(_item(r, entry, f"/items/{n}", codes) for n, entry in enumerate(raw))


def _item(r: _Reader, raw: Any, ptr: str, codes: CodeLists) -> GoodsItem:
    if not isinstance(raw, Mapping):
        r.fail("invalid_type", ptr, "A goods item must be an object.")
        raw = {}
    r.unknown_fields(raw, _ITEM_FIELDS, ptr)
    item = GoodsItem(
        hs_code=_hs_code(r, raw, ptr, codes),
        description=r.text(raw, "description", ptr),
        origin=r.code(
            raw,
            "origin",
            ptr,
            codes.countries,
            "unknown_country",
            "an ISO 3166-1 alpha-2 country code",
        ),
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


def _hs_code(r: _Reader, raw: Mapping[str, Any], ptr: str, codes: CodeLists) -> str:
    value = raw.get("hs_code")
    code = str(value).replace(".", "").replace(" ", "") if isinstance(value, str | int) else value
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
            f"{code[:6]} is not a subheading of the HS nomenclature this node uses.",
        )
    return code


def _check_totals(r: _Reader, d: Declaration, node: NodeRules) -> None:
    total = d.items_total()
    tolerance = max(
        node.invoice_tolerance_absolute, d.invoice.amount * node.invoice_tolerance_ratio
    )
    if abs(total - d.invoice.amount) > tolerance:
        r.fail(
            "invoice_total_mismatch",
            "/invoice/amount",
            f"Item values add up to {total} {d.invoice.currency} but the invoice total is "
            f"{d.invoice.amount}; they may differ by at most {tolerance}.",
        )


def _check_establishment(r: _Reader, d: Declaration, node: NodeRules) -> None:
    if d.type is DeclarationType.EXPORT and d.exporter.country not in ("", node.country):
        r.fail(
            "exporter_not_in_node_country",
            "/exporter/country",
            f"An export lodged here needs an exporter established in {node.country}, "
            f"not {d.exporter.country}.",
        )
    if d.type is DeclarationType.IMPORT and d.importer.country not in ("", node.country):
        r.fail(
            "importer_not_in_node_country",
            "/importer/country",
            f"An import lodged here needs an importer established in {node.country}, "
            f"not {d.importer.country}.",
        )
