"""The catalogue: what exhibitors offer and buyers seek, each line with a real HS 2022
subheading, an origin, a quantity in a UN/ECE Rec 20 unit, a price in an ISO 4217 currency and
the certificates held (or asked for).

`parse_listing` checks a submitted listing against the code lists the expo loaded and lists
every problem at once, with a JSON pointer, before anything is stored.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from typing import Any

from karakoram.domain.errors import FieldError, ValidationFailed
from karakoram.expo.domain.units import CERTIFICATES, REC20_UNITS

#: the languages a listing's titles may be given in (those of the web UI)
LANGUAGES = ("en", "zh", "ur")
MAX_TITLE = 200
MAX_DESCRIPTION = 2000
MAX_REF = 64


class Side(StrEnum):
    OFFER = "offer"  # an exhibitor's product
    SEEK = "seek"  # what a buyer looks for


@dataclass(frozen=True, slots=True)
class CatalogueCodes:
    """What a listing is checked against: HS subheadings (6 digits), countries, currencies."""

    subheadings: frozenset[str]
    countries: frozenset[str]
    currencies: frozenset[str]


@dataclass(frozen=True, slots=True)
class Listing:
    side: Side
    #: the participant's own reference: the same reference again is the same listing
    ref: str
    hs_code: str
    titles: dict[str, str]
    description: str
    #: offer: the goods' origin; seek: the origin wanted, or None for any
    origin: str | None
    quantity: Decimal
    unit: str
    price: Decimal | None
    currency: str | None
    certificates: tuple[str, ...]
    participant_id: int = 0
    id: int | None = None
    created_at: datetime | None = None

    def search_text(self, hs_description: str = "") -> str:
        """What trigram search looks in: every title, the description, the HS text."""
        parts = [*self.titles.values(), self.description, self.hs_code, hs_description]
        return " ".join(p for p in parts if p).casefold()

    def same_content(self, other: Listing) -> bool:
        fields = ("side", "hs_code", "titles", "description", "origin", "quantity", "unit")
        more = ("price", "currency", "certificates")
        return all(getattr(self, f) == getattr(other, f) for f in (*fields, *more))


def hs_digits(code: object) -> str:
    """An HS code as digits only ('8517.13' -> '851713')."""
    return "".join(ch for ch in str(code) if ch.isdigit())


class _Reader:
    """Collects every field error of one submitted listing."""

    def __init__(self, raw: dict[str, Any], codes: CatalogueCodes) -> None:
        self.raw, self.codes, self.errors = raw, codes, list[FieldError]()

    def fail(self, code: str, field: str, message: str) -> None:
        self.errors.append(FieldError(code, f"/{field}", message))

    def text(self, field: str, limit: int, required: bool = True) -> str:
        value = self.raw.get(field)
        if value is None or (isinstance(value, str) and not value.strip()):
            if required:
                self.fail("required", field, f"Give {field}.")
            return ""
        if not isinstance(value, str) or len(value) > limit:
            self.fail("invalid_format", field, f"{field} is text of at most {limit} characters.")
            return ""
        return value.strip()

    def number(self, field: str, required: bool) -> Decimal | None:
        value = self.raw.get(field)
        if value is None:
            if required:
                self.fail("required", field, f"Give {field}.")
            return None
        try:
            found = Decimal(str(value))
        except InvalidOperation:
            found = Decimal("NaN")
        if isinstance(value, bool) or not found.is_finite() or found <= 0 or found > 10**12:
            self.fail("invalid_number", field, f"{field} is a positive number.")
            return None
        return found

    def code(self, field: str, allowed: frozenset[str] | dict[str, str], name: str) -> str | None:
        value = self.raw.get(field)
        if value is None or value == "":
            return None
        text = str(value).strip().upper()
        if text not in allowed:
            self.fail(f"unknown_{name}", field, f"{str(value)[:20]!r} is not a known {name}.")
            return None
        return text


def parse_listing(raw: dict[str, Any], codes: CatalogueCodes) -> Listing:
    """The listing `raw` describes, or `ValidationFailed` with every problem found."""
    r = _Reader(raw, codes)
    side_text = raw.get("side")
    side = Side(side_text) if side_text in {s.value for s in Side} else None
    if side is None:
        r.fail("invalid_side", "side", "side is 'offer' (an exhibitor) or 'seek' (a buyer).")
    ref = r.text("ref", MAX_REF)
    hs = hs_digits(raw.get("hs_code", ""))
    if not raw.get("hs_code"):
        r.fail("required", "hs_code", "Give the HS 2022 subheading (6 digits).")
    elif len(hs) < 6 or hs[:6] not in codes.subheadings:
        r.fail("unknown_hs_code", "hs_code", f"{str(raw['hs_code'])[:20]!r} is no HS subheading.")
    titles = _titles(r)
    description = r.text("description", MAX_DESCRIPTION, required=False)
    origin = r.code("origin", codes.countries, "country")
    if side is Side.OFFER and raw.get("origin") in (None, ""):
        r.fail("required", "origin", "An offer names the goods' origin (ISO 3166 alpha-2).")
    quantity = r.number("quantity", required=True)
    unit = r.code("unit", REC20_UNITS, "unit")
    if not raw.get("unit"):
        r.fail("required", "unit", "Give the unit (UN/ECE Rec 20 code, like KGM).")
    price = r.number("price", required=False)
    currency = r.code("currency", codes.currencies, "currency")
    if price is not None and currency is None and not raw.get("currency"):
        r.fail("required", "currency", "A price needs its currency (ISO 4217).")
    certificates = _certificates(r)
    if r.errors:
        raise ValidationFailed(r.errors)
    assert side is not None and quantity is not None and unit is not None
    return Listing(
        side, ref, hs[:6], titles, description, origin, quantity, unit, price,
        currency if price is not None else None, certificates,
    )  # fmt: skip


def _titles(r: _Reader) -> dict[str, str]:
    raw = r.raw.get("titles")
    if not isinstance(raw, dict) or not raw:
        r.fail("required", "titles", "Give a title in at least one of en, zh, ur.")
        return {}
    titles: dict[str, str] = {}
    for lang, title in raw.items():
        if lang not in LANGUAGES:
            r.fail("unknown_language", f"titles/{str(lang)[:5]}", "Titles are in en, zh or ur.")
        elif not isinstance(title, str) or not title.strip() or len(title) > MAX_TITLE:
            r.fail("invalid_format", f"titles/{lang}", f"A title of 1 to {MAX_TITLE} characters.")
        else:
            titles[lang] = title.strip()
    return titles


def _certificates(r: _Reader) -> tuple[str, ...]:
    raw = r.raw.get("certificates") or []
    if not isinstance(raw, list):
        r.fail("invalid_format", "certificates", "certificates is a list.")
        return ()
    for i, c in enumerate(raw):
        if c not in CERTIFICATES:
            r.fail("unknown_certificate", f"certificates/{i}", f"One of {', '.join(CERTIFICATES)}.")
    return tuple(sorted({c for c in raw if c in CERTIFICATES}))
