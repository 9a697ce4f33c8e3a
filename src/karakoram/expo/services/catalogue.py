"""The catalogue: participants list what they offer or seek; anyone may search it.

Search is by text in any of the three languages (trigram indexes: Chinese and Urdu are not
split into words by the databases' full-text search) and by HS code prefix.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

from karakoram.domain.declaration.nomenclature_file import HsRow
from karakoram.domain.errors import Conflict, FieldError, ValidationFailed
from karakoram.expo.domain.catalogue import CatalogueCodes, Listing, Side, hs_digits, parse_listing
from karakoram.expo.services.context import ExpoContext
from karakoram.expo.services.records import DuplicateRef, Participant

MAX_RESULTS = 200


class RefReused(Conflict):
    """A participant's listing reference already names a listing with other content."""

    code = "listing_ref_reused"


@dataclass(frozen=True, slots=True)
class Added:
    listing: Listing
    created: bool


def load_nomenclature(rows: Sequence[HsRow], ctx: ExpoContext) -> int:
    """Replace the HS nomenclature listings are checked against; how many subheadings."""
    with ctx.uow() as uow:
        uow.replace_nomenclature((r.code, r.description, r.level) for r in rows)
        uow.commit()
    subheadings = frozenset(r.code for r in rows if r.level == 6)
    ctx.codes = CatalogueCodes(subheadings, ctx.codes.countries, ctx.codes.currencies)
    return len(subheadings)


def add_listing(raw: dict[str, Any], participant: Participant, ctx: ExpoContext) -> Added:
    """List a product offered or sought; the same reference with the same content answers the
    listing stored, with other content `RefReused`."""
    listing = replace(parse_listing(raw, ctx.codes), participant_id=participant.id)
    with ctx.uow() as uow:
        held = uow.listing_by_ref(participant.id, listing.ref)
        if held is None:
            hs_text = uow.subheadings().get(listing.hs_code, "")
            try:
                added = uow.add_listing(
                    replace(listing, created_at=ctx.clock()), listing.search_text(hs_text)
                )
                uow.commit()
                return Added(added, created=True)
            except DuplicateRef:  # a concurrent request with the same ref won
                held = uow.listing_by_ref(participant.id, listing.ref)
        assert held is not None
        if not held.same_content(listing):
            raise RefReused(
                f"Your listing {listing.ref!r} exists with other content; use a new ref."
            )
        return Added(held, created=False)


def search(
    text: str | None, hs_prefix: str | None, side: Side | None, ctx: ExpoContext, limit: int = 50
) -> list[Listing]:
    """Listings whose titles, description or HS text contain `text` (any language, case
    folded) and whose HS code starts with `hs_prefix`; newest first."""
    query = (text or "").strip().casefold() or None
    prefix = hs_digits(hs_prefix) if hs_prefix else None
    errors = []
    if query is not None and len(query) > 100:
        errors.append(FieldError("too_long", "/q", "At most 100 characters."))
    if hs_prefix and (not prefix or len(prefix) > 6):
        errors.append(FieldError("invalid_format", "/hs", "1 to 6 digits of an HS code."))
    if not 1 <= limit <= MAX_RESULTS:
        errors.append(FieldError("out_of_range", "/limit", f"Between 1 and {MAX_RESULTS}."))
    if errors:
        raise ValidationFailed(errors)
    with ctx.uow() as uow:
        return uow.search(query, prefix, side, limit)
