"""The goods declaration, aligned with the WCO Data Model's declaration class."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any


class DeclarationType(StrEnum):
    EXPORT = "EX"
    IMPORT = "IM"


@dataclass(frozen=True, slots=True)
class Party:
    """A trader named on a declaration (declarant, exporter, importer)."""

    name: str
    identifier: str
    country: str
    aeo: bool = False


@dataclass(frozen=True, slots=True)
class TransportMeans:
    registration: str
    nationality: str


@dataclass(frozen=True, slots=True)
class Driver:
    name: str
    passport_number: str
    nationality: str


@dataclass(frozen=True, slots=True)
class Money:
    amount: Decimal
    currency: str


@dataclass(frozen=True, slots=True)
class GoodsItem:
    hs_code: str
    description: str
    origin: str
    quantity: Decimal
    unit: str
    gross_mass: Decimal
    net_mass: Decimal
    value: Decimal
    preference: str | None = None
    origin_certificate: str | None = None


@dataclass(frozen=True, slots=True)
class Declaration:
    """A validated goods declaration as the trader lodged (or last amended) it."""

    type: DeclarationType
    lrn: str
    ucr: str
    declarant: Party
    exporter: Party
    importer: Party
    office_of_lodgement: str
    office_of_exit_entry: str
    crossing: str
    transport: TransportMeans
    driver: Driver
    invoice: Money
    incoterm: str
    items: tuple[GoodsItem, ...]

    def party_identifiers(self) -> frozenset[str]:
        """Identifiers of every trader named on the declaration (they may see it)."""
        return frozenset(
            {self.declarant.identifier, self.exporter.identifier, self.importer.identifier}
        )

    def items_total(self) -> Decimal:
        return sum((item.value for item in self.items), Decimal(0))


@dataclass(slots=True)
class DeclarationRecord:
    """A declaration as the node keeps it: its content plus identity and state."""

    mrn: str
    owner: str
    declaration: Declaration
    digest: str
    status: str
    lodged_at: datetime
    updated_at: datetime
    version: int = 1
    id: int | None = None
    #: set by assessment: the channel and what is owed, in the node's currency
    channel: str | None = None
    amount_due: Decimal | None = None
    due_currency: str | None = None
    #: customs value per net kg in the node's currency, per item, from the latest assessment
    unit_values: tuple[float, ...] = ()


def plate_key(registration: str) -> str:
    """A vehicle registration as plates are compared and searched: letters and digits only,
    upper case (`新Q-A1234`, `新q a1234` and `新QA1234` are one truck)."""
    return "".join(ch for ch in registration.upper() if ch.isalnum())


def plain_decimal(value: Decimal) -> str:
    """A decimal as a plain string without exponent or trailing zeros: 10.50 -> '10.5'.

    `format(value.normalize(), "f")`; a finite decimal that `str` writes without exponent, in
    fewer digits than the context's precision (normalize would round), is only stripped of its
    trailing zeros, at a fifth of the cost (tests/unit/test_plain_decimal.py compares)."""
    text = str(value)
    if len(text) < 28 and text[-1].isdigit() and "E" not in text:
        return text.rstrip("0").rstrip(".") if "." in text else text
    return format(value.normalize(), "f")


def _party(p: Party) -> dict[str, Any]:
    return {"name": p.name, "identifier": p.identifier, "country": p.country, "aeo": p.aeo}


def item_to_dict(item: GoodsItem) -> dict[str, Any]:
    return {
        "hs_code": item.hs_code,
        "description": item.description,
        "origin": item.origin,
        "quantity": plain_decimal(item.quantity),
        "unit": item.unit,
        "gross_mass": plain_decimal(item.gross_mass),
        "net_mass": plain_decimal(item.net_mass),
        "value": plain_decimal(item.value),
        "preference": item.preference,
        "origin_certificate": item.origin_certificate,
    }


def header_to_dict(d: Declaration) -> dict[str, Any]:
    """The canonical form of everything but the goods items."""
    return {
        "type": d.type.value,
        "lrn": d.lrn,
        "ucr": d.ucr,
        "declarant": _party(d.declarant),
        "exporter": _party(d.exporter),
        "importer": _party(d.importer),
        "office_of_lodgement": d.office_of_lodgement,
        "office_of_exit_entry": d.office_of_exit_entry,
        "crossing": d.crossing,
        "transport": {
            "registration": d.transport.registration,
            "nationality": d.transport.nationality,
        },
        "driver": {
            "name": d.driver.name,
            "passport_number": d.driver.passport_number,
            "nationality": d.driver.nationality,
        },
        "invoice": {"amount": plain_decimal(d.invoice.amount), "currency": d.invoice.currency},
        "incoterm": d.incoterm,
    }


def declaration_to_dict(d: Declaration) -> dict[str, Any]:
    """The canonical JSON-ready form (decimals as plain strings)."""
    return header_to_dict(d) | {"items": [item_to_dict(i) for i in d.items]}
