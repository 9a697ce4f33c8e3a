"""Small, stable code lists the domain owns.

Countries and currencies are ISO lists maintained elsewhere (pycountry); they are injected
through `CodeLists`. The lists here are short standards that change rarely.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

#: UN/ECE Recommendation 20 units of measure accepted on goods items.
UNITS: dict[str, str] = {
    "KGM": "kilogram",
    "GRM": "gram",
    "TNE": "tonne (metric ton)",
    "LTR": "litre",
    "MTQ": "cubic metre",
    "MTR": "metre",
    "MTK": "square metre",
    "NAR": "number of articles",
    "H87": "piece",
    "PR": "pair",
    "SET": "set",
    "DZN": "dozen",
    "CT": "carton",
    "KWH": "kilowatt hour",
    "CTM": "carat",
}

#: Incoterms 2020.
INCOTERMS: frozenset[str] = frozenset(
    {"EXW", "FCA", "CPT", "CIP", "DAP", "DPU", "DDP", "FAS", "FOB", "CFR", "CIF"}
)


class Nomenclature(Protocol):
    """What validation needs to know of a Harmonized System nomenclature."""

    @property
    def edition(self) -> str:
        """Its name in refusals, e.g. `HS 2022`."""
        ...

    def is_subheading(self, code: str) -> bool: ...


@dataclass(frozen=True, slots=True)
class HsNomenclature:
    """The six-digit subheadings of one HS edition (national lines extend them)."""

    edition: str
    subheadings: frozenset[str]
    descriptions: dict[str, str] = field(default_factory=dict, compare=False)

    def is_subheading(self, code: str) -> bool:
        return code[:6] in self.subheadings


@dataclass(frozen=True, slots=True)
class CodeLists:
    """The code lists a node validates against, injected by the composition root."""

    countries: frozenset[str]
    currencies: frozenset[str]
    nomenclature: Nomenclature | None = None
