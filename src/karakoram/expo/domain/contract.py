"""A sales contract drafted in a business discussion: its terms, checked with the customs
nodes' own rules, and the document both parties sign.

`parse_terms` reads what a party submits (lines, Incoterms, shipments, payment and governing
terms) with the declaration's `FieldReader` and goods-item checks, so a line customs would
refuse (an HS code outside the nomenclature, a unit, country or currency it does not know)
cannot be drafted, let alone signed. `document` is what is signed: the terms, the parties as
their nodes attested them, and the version, as a JSON object whose RFC 8785 canonical form
(`canonical`) is the JWS payload. Decimals are strings there: canonical JSON numbers are
doubles. Pure: no framework, no database, no keys."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

import rfc8785

from karakoram.domain.declaration.codes import INCOTERMS, UNITS, CodeLists
from karakoram.domain.declaration.field_reader import FieldReader
from karakoram.domain.declaration.goods_items import hs_code
from karakoram.domain.errors import FieldError, ValidationFailed

FORMAT = "karakoram-contract/1"
#: the languages a line's description may be given in (those of the UIs)
LANGUAGES = ("en", "zh", "ur")
MAX_LINES = 200
MAX_SHIPMENTS = 50
MAX_TERMS_TEXT = 8000
_TERMS = frozenset(
    {"seller", "lines", "incoterms", "shipments", "payment_terms", "governing_terms"}
)
_LINE = frozenset(
    {"hs_code", "description", "origin", "quantity", "unit", "unit_price", "currency"}
)
_SHIPMENT = frozenset({"ref", "earliest", "latest", "crossing", "lines"})
_UNITS = frozenset(UNITS)


def urn(issuer: str, trader_id: str) -> str:
    """The name a trader's certificate is bound to (its SAN URI): node and trader id."""
    return f"urn:karakoram:trader:{issuer}:{trader_id}"


def amount(d: Decimal) -> str:
    """A decimal as the document writes it: plain digits, no exponent, no trailing zeros."""
    text = format(d.normalize(), "f")
    return text if text != "-0" else "0"


@dataclass(frozen=True, slots=True)
class PartyFacts:
    """A party as its customs node attested it (never as typed)."""

    participant_id: int
    issuer: str
    trader_id: str
    name: str
    country: str
    aeo: bool

    def as_json(self) -> dict[str, Any]:
        return {
            "issuer": self.issuer, "trader_id": self.trader_id,
            "urn": urn(self.issuer, self.trader_id), "name": self.name,
            "country": self.country, "aeo": self.aeo,
        }  # fmt: skip


def parse_terms(raw: Any, codes: CodeLists, members: tuple[int, int]) -> dict[str, Any]:
    """The submitted terms, normalised (codes upper case, decimals as strings); every problem
    at once as `ValidationFailed` with JSON pointers. `seller` names one of the thread's two
    `members` (participant ids); the other is the buyer."""
    r = FieldReader()
    if not isinstance(raw, Mapping):
        raise ValidationFailed([FieldError("invalid_type", "", "The terms must be a JSON object.")])
    for key in raw:
        if key not in _TERMS:
            r.fail("unknown_field", f"/{key}", f"{key} is not a contract field.")
    seller = raw.get("seller")
    if isinstance(seller, bool) or seller not in members:
        r.fail("not_a_member", "/seller", "The seller is one of the two members of the thread.")
    lines = _list(r, raw, "lines", MAX_LINES)
    terms: dict[str, Any] = {
        "seller": seller,
        "lines": [_line(r, x, f"/lines/{i}", codes) for i, x in enumerate(lines)],
        "incoterms": _incoterms(r, raw),
        "shipments": [
            _shipment(r, x, f"/shipments/{i}", len(lines))
            for i, x in enumerate(_list(r, raw, "shipments", MAX_SHIPMENTS))
        ],
        "payment_terms": r.text(raw, "payment_terms", "", max_len=MAX_TERMS_TEXT),
        "governing_terms": r.text(raw, "governing_terms", "", max_len=MAX_TERMS_TEXT),
    }
    refs = [s["ref"] for s in terms["shipments"] if s["ref"]]
    if len(refs) != len(set(refs)):
        r.fail("duplicate_ref", "/shipments", "Each shipment has its own ref.")
    if r.errors:
        raise ValidationFailed(r.errors)
    return terms


def _list(r: FieldReader, raw: Mapping[str, Any], key: str, limit: int) -> list[Any]:
    value = raw.get(key)
    if not isinstance(value, list) or not value:
        r.fail("required", f"/{key}", f"{key} must be a list of at least one.")
        return []
    if len(value) > limit:
        r.fail("too_many", f"/{key}", f"At most {limit} {key}.")
        return []
    return value


def _line(r: FieldReader, raw: Any, ptr: str, codes: CodeLists) -> dict[str, Any]:
    if not isinstance(raw, Mapping):
        r.fail("invalid_type", ptr, "A line must be an object.")
        raw = {}
    for key in raw:
        if key not in _LINE:
            r.fail("unknown_field", f"{ptr}/{key}", f"{key} is not a field of a contract line.")
    quantity = r.positive(raw, "quantity", ptr)
    price = r.positive(raw, "unit_price", ptr)
    return {
        "hs_code": hs_code(r, raw, ptr, codes),
        "description": _descriptions(r, raw.get("description"), f"{ptr}/description"),
        "origin": r.country(raw, "origin", ptr, codes.countries),
        "quantity": amount(quantity),
        "unit": r.code(raw, "unit", ptr, _UNITS, "unknown_unit",
                       "a UN/ECE Recommendation 20 unit customs accepts (KGM, NAR, LTR, ...)"),
        "unit_price": amount(price),
        "currency": r.code(raw, "currency", ptr, codes.currencies, "unknown_currency",
                           "an ISO 4217 currency code"),
        "amount": amount(quantity * price),
    }  # fmt: skip


def _descriptions(r: FieldReader, raw: Any, ptr: str) -> dict[str, str]:
    if isinstance(raw, str):
        raw = {"en": raw}
    if not isinstance(raw, Mapping) or not raw:
        r.fail("required", ptr, "A description in at least one of en, zh, ur.")
        return {}
    out: dict[str, str] = {}
    for lang in raw:
        if lang not in LANGUAGES:
            r.fail("unknown_language", f"{ptr}/{lang}", "Descriptions are in en, zh or ur.")
            continue
        out[lang] = r.text(raw, lang, ptr, max_len=512)
    return out


def _incoterms(r: FieldReader, raw: Mapping[str, Any]) -> dict[str, str]:
    inco = r.mapping(raw, "incoterms", "")
    return {
        "rule": r.code(inco, "rule", "/incoterms", INCOTERMS, "unknown_incoterm",
                       "an Incoterms 2020 rule (EXW, FCA, CPT, CIP, DAP, DPU, DDP, FAS, ...)"),
        "place": r.text(inco, "place", "/incoterms", max_len=200),
    }  # fmt: skip


def _date(r: FieldReader, raw: Mapping[str, Any], key: str, ptr: str) -> date | None:
    text = r.text(raw, key, ptr, max_len=10)
    try:
        return date.fromisoformat(text) if text else None
    except ValueError:
        r.fail("invalid_date", f"{ptr}/{key}", f"{key} is a date, YYYY-MM-DD.")
        return None


def _shipment(r: FieldReader, raw: Any, ptr: str, line_count: int) -> dict[str, Any]:
    if not isinstance(raw, Mapping):
        r.fail("invalid_type", ptr, "A shipment must be an object.")
        raw = {}
    for key in raw:
        if key not in _SHIPMENT:
            r.fail("unknown_field", f"{ptr}/{key}", f"{key} is not a field of a shipment.")
    earliest, latest = _date(r, raw, "earliest", ptr), _date(r, raw, "latest", ptr)
    if earliest and latest and latest < earliest:
        r.fail("dates_reversed", f"{ptr}/latest", "latest is on or after earliest.")
    lines = raw.get("lines", list(range(1, line_count + 1)))
    if not isinstance(lines, list) or not all(
        isinstance(n, int) and not isinstance(n, bool) and 1 <= n <= line_count for n in lines
    ):
        r.fail("unknown_line", f"{ptr}/lines", f"Line numbers from 1 to {line_count}.")
        lines = []
    return {
        "ref": r.reference(raw, "ref", ptr),
        "earliest": earliest.isoformat() if earliest else "",
        "latest": latest.isoformat() if latest else "",
        "crossing": r.text(raw, "crossing", ptr, max_len=35),
        "lines": sorted(set(lines)),
    }


def terms_hash(terms: Mapping[str, Any]) -> str:
    """What makes two submissions the same: SHA-256 of the normalised terms' canonical form."""
    return hashlib.sha256(rfc8785.dumps(dict(terms))).hexdigest()


def document(
    *,
    expo: str,
    contract_id: int,
    version: int,
    thread: int,
    terms: Mapping[str, Any],
    seller: PartyFacts,
    buyer: PartyFacts,
    drafted_by: PartyFacts,
    drafted_at: str,
) -> dict[str, Any]:
    """The contract document of one version: what both parties sign."""
    body = {k: v for k, v in terms.items() if k != "seller"}
    return {
        "format": FORMAT, "expo": expo, "contract": contract_id, "version": version,
        "thread": thread, "seller": seller.as_json(), "buyer": buyer.as_json(),
        **body, "drafted_by": urn(drafted_by.issuer, drafted_by.trader_id),
        "drafted_at": drafted_at,
    }  # fmt: skip


def canonical(doc: Mapping[str, Any]) -> bytes:
    """The RFC 8785 canonical form of a contract document: the bytes both parties sign."""
    return rfc8785.dumps(dict(doc))


def digest(doc: Mapping[str, Any]) -> str:
    return hashlib.sha256(canonical(doc)).hexdigest()
