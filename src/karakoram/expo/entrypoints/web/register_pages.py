"""Registering at the expo in the browser: a trader pastes (or uploads) the attestation its
customs node issued (the node's "Get an attestation for the expo", `karakoram attest` or
`POST /attestations`); the expo verifies it as `POST /participants` does, signs the browser
in and shows the participant's API key once."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, File, Form, Request, UploadFile
from fastapi.responses import Response

from karakoram.domain.attestation import AttestationRefused
from karakoram.expo.entrypoints.deps import CtxDep
from karakoram.expo.entrypoints.web.pages import Csrf, MaybeViewerDep, PagesDep, SessionDep, checked
from karakoram.expo.services import participants

router = APIRouter(prefix="/ui", include_in_schema=False)
#: a compact JWS of an attestation is well under this; a larger upload is not one
MAX_TOKEN = 16_384


@router.get("/register", name="expo-register")
def register_page(
    request: Request, pages: PagesDep, session: SessionDep, who: MaybeViewerDep
) -> Response:
    return pages.render(request, session, "register.html", who, refused=None, registered=None)


@router.post("/register")
async def register(
    request: Request, pages: PagesDep, session: SessionDep, ctx: CtxDep, csrf: Csrf,
    attestation: Annotated[str, Form()] = "",
    file: Annotated[UploadFile | None, File()] = None,
) -> Response:  # fmt: skip
    checked(session, csrf)
    token = attestation.strip()
    if not token and file is not None and file.filename:
        token = (await file.read(MAX_TOKEN + 1)).decode("utf-8", "replace").strip()
    try:
        if not token or len(token) > MAX_TOKEN:
            raise AttestationRefused(
                "Paste the attestation (a signed token) or upload its file.",
                code="attestation_malformed",
            )
        done = participants.register_participant(token, ctx)
    except AttestationRefused as refused:
        return pages.render(
            request, session, "register.html", None, status_code=422, refused=refused,
            registered=None,
        )  # fmt: skip
    session.key_hash = participants.key_hash(done.api_key, ctx)
    return pages.render(
        request, session, "register.html", done.participant, status_code=201, refused=None,
        registered=done,
    )  # fmt: skip
