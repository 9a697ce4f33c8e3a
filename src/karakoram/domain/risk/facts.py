"""The facts a rule can test, taken from a declaration once per assessment.

Declaration-level facts are the same for every item; item-level facts differ per item. A rule
that tests any item-level fact fires when one item satisfies its whole condition.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, NamedTuple, Protocol

from karakoram.domain.declaration.model import DeclarationType, Money, Party

Facts = dict[str, Any]


class ItemLike(Protocol):
    """What risk reads of a goods item (`GoodsItem` and `RiskItem` both are)."""

    @property
    def hs_code(self) -> str: ...
    @property
    def origin(self) -> str: ...
    @property
    def gross_mass(self) -> Decimal: ...
    @property
    def net_mass(self) -> Decimal: ...
    @property
    def value(self) -> Decimal: ...
    @property
    def preference(self) -> str | None: ...


class Assessable(Protocol):
    """What risk reads of a declaration (`Declaration` and `RiskSubject` both are)."""

    @property
    def type(self) -> DeclarationType: ...
    @property
    def declarant(self) -> Party: ...
    @property
    def exporter(self) -> Party: ...
    @property
    def importer(self) -> Party: ...
    @property
    def office_of_lodgement(self) -> str: ...
    @property
    def office_of_exit_entry(self) -> str: ...
    @property
    def crossing(self) -> str: ...
    @property
    def invoice(self) -> Money: ...
    @property
    def incoterm(self) -> str: ...
    @property
    def items(self) -> Sequence[ItemLike]: ...


class RiskItem(NamedTuple):
    """A goods item reduced to what risk reads (a tuple: back-tests build millions)."""

    hs_code: str
    origin: str
    gross_mass: Decimal
    net_mass: Decimal
    value: Decimal
    preference: str | None


class RiskSubject(NamedTuple):
    """A stored declaration reduced to what risk reads, so that back-tests need not rebuild
    whole declarations (transport, driver, descriptions ...) to assess them again."""

    type: DeclarationType
    declarant: Party
    exporter: Party
    importer: Party
    office_of_lodgement: str
    office_of_exit_entry: str
    crossing: str
    invoice: Money
    incoterm: str
    items: tuple[RiskItem, ...]


@dataclass(frozen=True, slots=True)
class FieldSpec:
    kind: str  # "text", "number" or "flag"
    item_level: bool
    description: str


FIELDS: dict[str, FieldSpec] = {
    "type": FieldSpec("text", False, "declaration type, EX or IM"),
    "trader": FieldSpec("text", False, "identifier of the declarant, exporter or importer"),
    "declarant": FieldSpec("text", False, "declarant identifier"),
    "exporter": FieldSpec("text", False, "exporter identifier"),
    "importer": FieldSpec("text", False, "importer identifier"),
    "aeo": FieldSpec(
        "flag", False, "the trader responsible (exporter on EX, importer on IM) is an AEO"
    ),
    "partner_aeo": FieldSpec("flag", False, "the trader on the other side is an AEO"),
    "cancelled_after_selection": FieldSpec(
        "flag",
        False,
        "the same consignment was lodged before, selected for a non-green channel and cancelled",
    ),
    "partner_inspected_clean": FieldSpec(
        "flag",
        False,
        "the partner physically inspected this consignment (same UCR), recently, and found nothing",
    ),
    "partner_control_found": FieldSpec(
        "flag",
        False,
        "a partner control of this consignment (same UCR) found a discrepancy or prohibited goods",
    ),
    "pre_arrival_pending_partner_down": FieldSpec(
        "flag",
        False,
        "an import without pre-arrival data while the partner is down (checked when it comes)",
    ),
    "on_cargo_report": FieldSpec("flag", False, "a cargo report lists the consignment"),
    "vehicle_on_watch_list": FieldSpec(
        "flag", False, "the vehicle or trailer carrying it is on the rule set's watch list"
    ),
    "person_on_watch_list": FieldSpec(
        "flag", False, "the driver or a crew member is on the rule set's watch list"
    ),
    "seals_present": FieldSpec("flag", False, "the cargo report lists seals"),
    "from_contract": FieldSpec("flag", False, "its UCR came from a contract signed at the expo"),
    "differs_from_contract": FieldSpec(
        "flag", False, "it differs from its contract beyond the rule set's contract_tolerance"
    ),
    "contract_differences": FieldSpec(
        "text", False, "how it differs: hs_code, quantity, value, parties ('' if not)"
    ),
    "vehicle_nationality": FieldSpec("text", False, "the vehicle's nationality ('' if none)"),
    "driver_nationality": FieldSpec("text", False, "the driver's nationality ('' if none)"),
    "crew_size": FieldSpec("number", False, "people on the truck, driver included (0 if none)"),
    "incoterm": FieldSpec("text", False, "Incoterms 2020 rule"),
    "office": FieldSpec("text", False, "office of lodgement"),
    "office_of_exit_entry": FieldSpec("text", False, "office of exit or entry"),
    "crossing": FieldSpec("text", False, "border crossing"),
    "gross_mass": FieldSpec("number", False, "total gross mass of the declaration, kg"),
    "invoice_value": FieldSpec("number", False, "invoice total in the rule set's currency"),
    "hs_code": FieldSpec("text", True, "item HS code (use op = prefix for chapters, headings)"),
    "origin": FieldSpec("text", True, "item country of origin"),
    "value_per_kg": FieldSpec("number", True, "item value per net kg in the rule set's currency"),
    "item_gross_mass": FieldSpec("number", True, "item gross mass, kg"),
    "preference": FieldSpec("text", True, "trade agreement claimed on the item, '' if none"),
    "preference_claimed": FieldSpec("flag", True, "a preference is claimed on the item"),
}


#: the truck's facts of a declaration no cargo report carries (domain/risk/truck.py)
NO_TRUCK: Facts = {
    "on_cargo_report": False,
    "vehicle_on_watch_list": False,
    "person_on_watch_list": False,
    "seals_present": False,
    "vehicle_nationality": "",
    "driver_nationality": "",
    "crew_size": Decimal(0),
}


def parties(d: Assessable) -> tuple[Party, Party]:
    """The trader responsible (exporter on EX, importer on IM) and the one on the other side."""
    return (
        (d.exporter, d.importer) if d.type is DeclarationType.EXPORT else (d.importer, d.exporter)
    )


def declaration_facts(d: Assessable, to_rule_currency: Decimal) -> Facts:
    """Facts shared by every item; `to_rule_currency` converts invoice amounts."""
    responsible, partner = parties(d)
    return {
        "type": d.type.value,
        "trader": (d.declarant.identifier, d.exporter.identifier, d.importer.identifier),
        "declarant": d.declarant.identifier,
        "exporter": d.exporter.identifier,
        "importer": d.importer.identifier,
        "aeo": responsible.aeo,
        "partner_aeo": partner.aeo,
        "cancelled_after_selection": False,
        "partner_inspected_clean": False,
        "partner_control_found": False,
        "pre_arrival_pending_partner_down": False,
        "incoterm": d.incoterm,
        "office": d.office_of_lodgement,
        "office_of_exit_entry": d.office_of_exit_entry,
        "crossing": d.crossing,
        "gross_mass": sum((i.gross_mass for i in d.items), Decimal(0)),
        "invoice_value": d.invoice.amount * to_rule_currency,
        **NO_TRUCK,
        "from_contract": False,
        "differs_from_contract": False,
        "contract_differences": "",
    }


def item_facts(d: Assessable, shared: Facts, to_rule_currency: Decimal) -> list[Facts]:
    """The shared facts with each item's own (a copy filled in place: back-tests make
    millions of these)."""
    facts = []
    for item in d.items:
        one = shared.copy()
        one["hs_code"] = item.hs_code
        one["origin"] = item.origin
        net = item.net_mass
        one["value_per_kg"] = item.value * to_rule_currency / net if net else Decimal(0)
        one["item_gross_mass"] = item.gross_mass
        one["preference"] = item.preference or ""
        one["preference_claimed"] = bool(item.preference)
        facts.append(one)
    return facts


Predicate = Callable[[Facts], bool]
