"""Contract pages (issue 19): a contract's versions side by side (members only, as the API),
and the public verification page under /ui/contracts/verify, where anyone uploads a signed
contract file (or its PDF) and reads its parties, lines, signers, the expo's receipt times
and the verdict, in their language. The same services as the API."""

from __future__ import annotations

import json
from typing import Annotated

from fastapi import APIRouter, File, Request, UploadFile
from fastapi.responses import Response

from karakoram.expo.domain.contract_signing import CTY, TYP
from karakoram.expo.entrypoints.deps import CtxDep
from karakoram.expo.entrypoints.web.pages import (
    Csrf,
    MaybeViewerDep,
    PagesDep,
    SessionDep,
    ViewerDep,
    checked,
)
from karakoram.expo.services import contract_pdf_flow, contracts
from karakoram.expo.services.contract_pdf_check import expo_check_pdf
from karakoram.expo.services.contract_verify import expo_trust, verify
from karakoram.expo.services.contract_view import contract_view

router = APIRouter(prefix="/ui", include_in_schema=False)
#: the largest contract file the page reads
MAX_FILE = 8 * 1024 * 1024


@router.get("/contracts/verify", name="expo-contract-verify")
def verify_form(
    request: Request, pages: PagesDep, session: SessionDep, who: MaybeViewerDep
) -> Response:
    return pages.render(request, session, "contract_verify.html", who, verdict=None)


@router.post("/contracts/verify", name="expo-contract-verify-post")
async def verify_upload(
    request: Request, pages: PagesDep, session: SessionDep, ctx: CtxDep, who: MaybeViewerDep,
    csrf: Csrf, file: Annotated[UploadFile, File()],
) -> Response:  # fmt: skip
    checked(session, csrf)
    content = await file.read(MAX_FILE + 1)
    if content.startswith(b"%PDF") and len(content) <= MAX_FILE:
        report = await expo_check_pdf(content, ctx)
        return pages.render(request, session, "contract_verify.html", who, verdict=None, pdf=report)
    try:
        found = json.loads(content) if len(content) <= MAX_FILE else None
    except ValueError:
        found = None
    crypto, trust = expo_trust(ctx)
    verdict = verify(found, crypto, trust)
    return pages.render(request, session, "contract_verify.html", who, verdict=verdict)


@router.get("/contracts/{contract_id}", name="expo-contract")
def contract_page(
    request: Request, contract_id: int, pages: PagesDep, session: SessionDep, ctx: CtxDep,
    who: ViewerDep, before: int | None = None, after: int | None = None,
    version: int | None = None,
) -> Response:  # fmt: skip
    """A version to read (default: the latest): parties, lines, schedule, signatures and
    their verdict, its registration with the customs nodes; and the changes between two
    versions side by side (default: the last two)."""
    found = contracts.summary(contract_id, who, ctx)
    view = contract_view(contract_id, who, ctx, version)
    last = found.versions[-1].version
    after = after or last
    before = before or max(1, after - 1)
    changes = contracts.compare(contract_id, before, after, who, ctx) if before != after else []
    signed_by_me = any(s.participant_id == who.id for s in found.signatures)
    return pages.render(
        request, session, "contract.html", who, found=found, latest=found.versions[-1],
        before=before, after=after, changes=changes, signed_by_me=signed_by_me,
        jws_typ=TYP, jws_cty=CTY, view=view,
    )  # fmt: skip


@router.get("/contracts/{contract_id}/contract.pdf", name="expo-contract-pdf")
def contract_pdf(contract_id: int, ctx: CtxDep, who: ViewerDep) -> Response:
    """The signed contract's PDF (as `GET /contracts/{id}/pdf`), for the page's session."""
    found = contract_pdf_flow.latest_pdf(contract_id, who, ctx)
    name = f"contract-{contract_id}-v{found.version}.pdf"
    return Response(
        found.pdf, media_type="application/pdf",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )  # fmt: skip
