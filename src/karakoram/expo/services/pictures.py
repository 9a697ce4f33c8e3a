"""Pictures of a listing (issue 18): its owner adds (the same picture again answers the one
stored) and removes them; anyone browsing the catalogue sees them."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

from karakoram.domain.errors import NotFound, PermissionDenied
from karakoram.expo.domain.pictures import check_picture, picture_hash
from karakoram.expo.services.context import ExpoContext
from karakoram.expo.services.ports import ExpoUnitOfWork
from karakoram.expo.services.records import DuplicatePicture, Participant


@dataclass(frozen=True, slots=True)
class PictureAdded:
    listing_id: int
    sha256: str
    media_type: str
    size: int
    created: bool


def _own(uow: ExpoUnitOfWork, listing_id: int, who: Participant) -> None:
    listing = uow.listings_by_id([listing_id]).get(listing_id)
    if listing is None:
        raise NotFound(f"No listing {listing_id}.")
    if listing.participant_id != who.id:
        raise PermissionDenied("Only the participant who listed it changes its pictures.")


def add_picture(
    listing_id: int, content: bytes, who: Participant, ctx: ExpoContext
) -> PictureAdded:
    """Add a picture to the owner's listing; the same bytes again answer the one stored."""
    sha = picture_hash(content)
    with ctx.uow() as uow:
        _own(uow, listing_id, who)
        held = uow.picture(listing_id, sha)
        if held is not None:
            return PictureAdded(listing_id, sha, held[0], len(content), created=False)
        media = check_picture(content, len(uow.pictures_of([listing_id])[listing_id]))
        try:
            uow.add_picture(listing_id, sha, media, content, ctx.clock())
            uow.commit()
        except DuplicatePicture:  # a concurrent request stored it first
            return PictureAdded(listing_id, sha, media, len(content), created=False)
        return PictureAdded(listing_id, sha, media, len(content), created=True)


def picture(listing_id: int, sha256: str, ctx: ExpoContext) -> tuple[str, bytes]:
    """A listing's picture as (media type, bytes): open to anyone, as the catalogue is."""
    with ctx.uow() as uow:
        found = uow.picture(listing_id, sha256.lower())
    if found is None:
        raise NotFound(f"Listing {listing_id} has no picture {sha256[:64]!r}.")
    return found


def remove_picture(listing_id: int, sha256: str, who: Participant, ctx: ExpoContext) -> None:
    with ctx.uow() as uow:
        _own(uow, listing_id, who)
        if not uow.drop_picture(listing_id, sha256.lower()):
            raise NotFound(f"Listing {listing_id} has no picture {sha256[:64]!r}.")
        uow.commit()


def pictures_of(listing_ids: Collection[int], ctx: ExpoContext) -> dict[int, list[str]]:
    with ctx.uow() as uow:
        return uow.pictures_of(listing_ids)
