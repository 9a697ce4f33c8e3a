"""Figures as statistics publish them: growth, scales, HS sections and currency codes.

The conventions are stated in the package's docstring (`karakoram.domain.statistics`).
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum

PERCENT_PLACES = Decimal("0.1")


def growth(current: Decimal, base: Decimal | None) -> Decimal | None:
    """Growth over the base in percent, half-up to one decimal; `None` without a base."""
    if base is None or base == 0:
        return None
    return ((current - base) / base * 100).quantize(PERCENT_PLACES, rounding=ROUND_HALF_UP)


class Scale(StrEnum):
    ONE = "one"
    THOUSAND = "thousand"
    MILLION = "million"
    BILLION = "billion"

    @property
    def divisor(self) -> Decimal:
        return Decimal(10) ** {"one": 0, "thousand": 3, "million": 6, "billion": 9}[self.value]


def scaled(amount: Decimal, scale: Scale, places: int = 1) -> Decimal:
    """An amount in `scale` units, half-up to `places` decimals, as published."""
    return (amount / scale.divisor).quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)


def format_amount(amount: Decimal, scale: Scale, places: int = 1) -> str:
    return f"{scaled(amount, scale, places):,.{places}f}"


def format_growth(value: Decimal | None) -> str:
    return "n/a" if value is None else f"{value:+.1f}%"


#: HS 2022 sections by their first chapter (a section runs until the next one starts)
_SECTIONS: tuple[tuple[int, str], ...] = (
    (1, "I"), (6, "II"), (15, "III"), (16, "IV"), (25, "V"), (28, "VI"), (39, "VII"),
    (41, "VIII"), (44, "IX"), (47, "X"), (50, "XI"), (64, "XII"), (68, "XIII"), (71, "XIV"),
    (72, "XV"), (84, "XVI"), (86, "XVII"), (90, "XVIII"), (93, "XIX"), (94, "XX"), (97, "XXI"),
)  # fmt: skip


#: short titles of the HS 2022 sections, for tables and charts
SECTION_TITLES = {
    "I": "Live animals, animal products",
    "II": "Vegetable products",
    "III": "Fats and oils",
    "IV": "Prepared foodstuffs, beverages, tobacco",
    "V": "Mineral products",
    "VI": "Chemical products",
    "VII": "Plastics and rubber",
    "VIII": "Hides, skins, leather",
    "IX": "Wood, cork, basketware",
    "X": "Pulp, paper, paperboard",
    "XI": "Textiles",
    "XII": "Footwear, headgear",
    "XIII": "Stone, ceramic, glass",
    "XIV": "Pearls, precious stones and metals",
    "XV": "Base metals and articles",
    "XVI": "Machinery, electrical equipment",
    "XVII": "Vehicles, aircraft, vessels",
    "XVIII": "Optical, medical instruments, clocks",
    "XIX": "Arms and ammunition",
    "XX": "Miscellaneous manufactured articles",
    "XXI": "Works of art, antiques",
}


def _section(chapter: int) -> str:
    return [name for first, name in _SECTIONS if chapter >= first][-1]


_SECTION_OF = {f"{c:02d}": _section(c) for c in range(1, 100)}


def section_of(chapter: str) -> str:
    """The HS section (roman numeral) of a two-digit chapter; '' for a non-chapter."""
    return _SECTION_OF.get(chapter, "")


#: what people call currencies that ISO 4217 names otherwise
CURRENCY_ALIASES = {"RMB": "CNY"}


def currency_code(text: str) -> str:
    """An ISO 4217 code from what a user typed: 'rmb' -> 'CNY'."""
    code = text.strip().upper()
    return CURRENCY_ALIASES.get(code, code)


class DateBasis(StrEnum):
    RELEASE = "release"
    LODGEMENT = "lodgement"


class Conversion(StrEnum):
    RELEASE_DATE = "release_date"
    MONTHLY_AVERAGE = "monthly_average"

    def describe(self, basis: DateBasis) -> str:
        if self is Conversion.RELEASE_DATE:
            return "converted at the rate of each declaration's release date"
        return f"converted at the monthly average rate of the {basis.value} month"
