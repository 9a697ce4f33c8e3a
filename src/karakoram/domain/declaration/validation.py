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

The field reader is in `field_reader`, the goods items are read in `goods_items`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from karakoram.domain.declaration.codes import INCOTERMS, CodeLists
from karakoram.domain.declaration.fast_validation import DECLARATION_FIELDS, read_common
from karakoram.domain.declaration.field_reader import FieldReader
from karakoram.domain.declaration.goods_items import read_items
from karakoram.domain.declaration.model import (
    Declaration,
    DeclarationType,
    Driver,
    Money,
    Party,
    TransportMeans,
)
from karakoram.domain.errors import FieldError, ValidationFailed

_TYPES = frozenset(t.value for t in DeclarationType)
_PARTY_FIELDS = frozenset({"name", "identifier", "country", "aeo"})
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


def parse_declaration(data: Any, codes: CodeLists, node: NodeRules) -> Declaration:
    """Validate `data` (decoded JSON) and return the declaration, or raise `ValidationFailed`.

    The common case (every field in its canonical form, every check passed) is read by
    `fast_validation.read_common`; anything else by the field reader, which lists every
    problem (and gives the same declaration for the common case, only slower)."""
    common = read_common(data, codes, node)
    if common is not None:
        return common
    return read_fields(data, codes, node)


def read_fields(data: Any, codes: CodeLists, node: NodeRules) -> Declaration:
    """`parse_declaration` by the field reader alone: every field read, every error listed."""
    r = FieldReader()
    if not isinstance(data, Mapping):
        raise ValidationFailed([FieldError("invalid_type", "", "A declaration must be an object.")])
    r.unknown_fields(data, DECLARATION_FIELDS, "")
    type_text = r.code(data, "type", "", _TYPES, "invalid_format", "a declaration type (EX or IM)")
    parties = {role: _party(r, data, role, codes) for role in ("declarant", "exporter", "importer")}
    items = read_items(r, data, codes)
    declaration = Declaration(
        type=DeclarationType(type_text) if type_text in ("EX", "IM") else DeclarationType.EXPORT,
        lrn=r.reference(data, "lrn", ""),
        ucr=r.reference(data, "ucr", ""),
        declarant=parties["declarant"],
        exporter=parties["exporter"],
        importer=parties["importer"],
        office_of_lodgement=_office(r, data, "office_of_lodgement", node),
        office_of_exit_entry=_office(r, data, "office_of_exit_entry", node),
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


def _office(r: FieldReader, data: Mapping[str, Any], key: str, node: NodeRules) -> str:
    return r.code(data, key, "", node.offices, "unknown_office", "an office of this node")


def _party(r: FieldReader, data: Mapping[str, Any], role: str, codes: CodeLists) -> Party:
    ptr = f"/{role}"
    raw = r.mapping(data, role, "")
    if not raw:
        return Party("", "", "")
    r.unknown_fields(raw, _PARTY_FIELDS, ptr)
    return Party(
        name=r.text(raw, "name", ptr),
        identifier=r.reference(raw, "identifier", ptr),
        country=r.country(raw, "country", ptr, codes.countries),
        aeo=r.flag(raw, "aeo", ptr),
    )


def _transport(r: FieldReader, data: Mapping[str, Any], codes: CodeLists) -> TransportMeans:
    raw = r.mapping(data, "transport", "")
    r.unknown_fields(raw, _NESTED_FIELDS["transport"], "/transport")
    return TransportMeans(
        registration=r.text(raw, "registration", "/transport", max_len=35) if raw else "",
        nationality=r.country(raw, "nationality", "/transport", codes.countries) if raw else "",
    )


def _driver(r: FieldReader, data: Mapping[str, Any], codes: CodeLists) -> Driver:
    raw = r.mapping(data, "driver", "")
    if not raw:
        return Driver("", "", "")
    r.unknown_fields(raw, _NESTED_FIELDS["driver"], "/driver")
    return Driver(
        name=r.text(raw, "name", "/driver"),
        passport_number=r.text(raw, "passport_number", "/driver", max_len=35),
        nationality=r.country(raw, "nationality", "/driver", codes.countries),
    )


def _invoice(r: FieldReader, data: Mapping[str, Any], codes: CodeLists) -> Money:
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


def _check_totals(r: FieldReader, d: Declaration, node: NodeRules) -> None:
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


def _check_establishment(r: FieldReader, d: Declaration, node: NodeRules) -> None:
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
