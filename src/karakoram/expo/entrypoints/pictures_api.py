"""A listing's pictures (issue 18): its owner sends one picture as the request body (PNG,
JPEG or WebP, told by its first bytes), anyone fetches it, the owner removes it. Thin: read
the body, call `expo/services/pictures.py`."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request, Response
from pydantic import BaseModel, ConfigDict

from karakoram.expo.domain.pictures import MAX_PICTURE_BYTES
from karakoram.expo.entrypoints.deps import CtxDep, ParticipantDep
from karakoram.expo.services import pictures

router = APIRouter(tags=["catalogue"])
#: a picture's URL names its content: it never changes, browsers keep it a year
CACHE = "public, max-age=31536000, immutable"
_BINARY = {"schema": {"type": "string", "format": "binary"}}
_BODY = {
    "requestBody": {
        "required": True,
        "content": {m: _BINARY for m in ("image/png", "image/jpeg", "image/webp")},
    }
}
_IMAGE: dict[int | str, dict[str, Any]] = {
    200: {"content": {"image/png": {}, "image/jpeg": {}, "image/webp": {}}, "description": "It."}
}


class PictureOut(BaseModel):
    listing_id: int
    sha256: str
    media_type: str
    size: int
    url: str
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {"listing_id": 7, "sha256": "9f86d081884c7d65…", "media_type": "image/png",
                 "size": 48213, "url": "/listings/7/pictures/9f86d081884c7d65…"}
            ]
        }
    )  # fmt: skip


async def read_limited(request: Request, limit: int) -> bytes:
    """The body, read no further than one byte past `limit` (the service refuses it then)."""
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > limit:
            break
    return bytes(body)


@router.post(
    "/listings/{listing_id}/pictures", response_model=PictureOut, status_code=201,
    openapi_extra=_BODY,
)  # fmt: skip
async def add_picture(
    listing_id: int, request: Request, response: Response, ctx: CtxDep, who: ParticipantDep
) -> PictureOut:
    """Add a picture of your listed product (201), at most 4 of 2 MiB each; its type is read
    from its first bytes (`not_an_image` otherwise). The same picture again answers 200."""
    content = await read_limited(request, MAX_PICTURE_BYTES)
    done = pictures.add_picture(listing_id, content, who, ctx)
    response.status_code = 201 if done.created else 200
    return PictureOut(
        listing_id=listing_id, sha256=done.sha256, media_type=done.media_type, size=done.size,
        url=f"/listings/{listing_id}/pictures/{done.sha256}",
    )  # fmt: skip


@router.get(
    "/listings/{listing_id}/pictures/{sha256}", response_class=Response, responses=_IMAGE,
    name="expo-picture",
)  # fmt: skip
def get_picture(listing_id: int, sha256: str, ctx: CtxDep) -> Response:
    """A listing's picture (open to visitors, as the catalogue is)."""
    media, content = pictures.picture(listing_id, sha256, ctx)
    headers = {"X-Content-Type-Options": "nosniff", "Cache-Control": CACHE}
    return Response(content, media_type=media, headers=headers)


@router.delete("/listings/{listing_id}/pictures/{sha256}", status_code=204)
def delete_picture(listing_id: int, sha256: str, ctx: CtxDep, who: ParticipantDep) -> Response:
    """Remove a picture of your listing."""
    pictures.remove_picture(listing_id, sha256, who, ctx)
    return Response(status_code=204)
