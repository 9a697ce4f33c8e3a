"""The facts a rule can test, taken from a declaration once per assessment.

Declaration-level facts are the same for every item; item-level facts differ per item. A rule
that tests any item-level fact fires when one item satisfies its whole condition.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from karakoram.domain.declaration import Declaration, DeclarationType

Facts = dict[str, Any]


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


def declaration_facts(d: Declaration, to_rule_currency: Decimal) -> Facts:
    """Facts shared by every item; `to_rule_currency` converts invoice amounts."""
    responsible, partner = (
        (d.exporter, d.importer) if d.type is DeclarationType.EXPORT else (d.importer, d.exporter)
    )
    return {
        "type": d.type.value,
        "trader": (d.declarant.identifier, d.exporter.identifier, d.importer.identifier),
        "declarant": d.declarant.identifier,
        "exporter": d.exporter.identifier,
        "importer": d.importer.identifier,
        "aeo": responsible.aeo,
        "partner_aeo": partner.aeo,
        "incoterm": d.incoterm,
        "office": d.office_of_lodgement,
        "office_of_exit_entry": d.office_of_exit_entry,
        "crossing": d.crossing,
        "gross_mass": sum((i.gross_mass for i in d.items), Decimal(0)),
        "invoice_value": d.invoice.amount * to_rule_currency,
    }


def item_facts(d: Declaration, shared: Facts, to_rule_currency: Decimal) -> list[Facts]:
    facts = []
    for item in d.items:
        value = item.value * to_rule_currency
        facts.append(
            shared
            | {
                "hs_code": item.hs_code,
                "origin": item.origin,
                "value_per_kg": value / item.net_mass if item.net_mass else Decimal(0),
                "item_gross_mass": item.gross_mass,
                "preference": item.preference or "",
                "preference_claimed": bool(item.preference),
            }
        )
    return facts


Predicate = Callable[[Facts], bool]
