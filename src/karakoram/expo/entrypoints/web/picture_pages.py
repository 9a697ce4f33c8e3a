"""The owner's forms for a listing's pictures on the catalogue page (issue 18): add one
(multipart, with the cookie's CSRF token) or remove one; back to the page it came from."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, File, Form, UploadFile
from fastapi.responses import RedirectResponse, Response

from karakoram.expo.domain.pictures import MAX_PICTURE_BYTES
from karakoram.expo.entrypoints.deps import CtxDep
from karakoram.expo.entrypoints.web.pages import Csrf, SessionDep, ViewerDep, checked
from karakoram.expo.services import pictures

router = APIRouter(prefix="/ui", include_in_schema=False)


def _back(to: str) -> RedirectResponse:
    target = to if to.startswith("/ui") and not to.startswith("//") else "/ui/catalogue"
    return RedirectResponse(target, status_code=303)


@router.post("/listings/{listing_id}/pictures", name="expo-picture-add")
async def add_picture(
    listing_id: int, session: SessionDep, ctx: CtxDep, who: ViewerDep, csrf: Csrf,
    picture: Annotated[UploadFile, File()], to: Annotated[str, Form()] = "/ui/catalogue",
) -> Response:  # fmt: skip
    checked(session, csrf)
    content = await picture.read(MAX_PICTURE_BYTES + 1)
    pictures.add_picture(listing_id, content, who, ctx)
    return _back(to)


@router.post("/listings/{listing_id}/pictures/{sha256}/delete", name="expo-picture-delete")
def delete_picture(
    listing_id: int, sha256: str, session: SessionDep, ctx: CtxDep, who: ViewerDep, csrf: Csrf,
    to: Annotated[str, Form()] = "/ui/catalogue",
) -> Response:  # fmt: skip
    checked(session, csrf)
    pictures.remove_picture(listing_id, sha256, who, ctx)
    return _back(to)
