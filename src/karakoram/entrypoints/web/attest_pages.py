"""The trader's attestation for the expo in the browser: one action issues it through the
same service as `POST /attestations` and `karakoram attest`, and the page shows the signed
token to copy, with a download of it as a file to upload at the expo."""

from __future__ import annotations

from typing import Annotated

from fastapi import Form, Request
from fastapi.responses import Response

from karakoram.domain.access import Capability as Cap
from karakoram.domain.access import Principal
from karakoram.domain.errors import PermissionDenied
from karakoram.entrypoints.http.deps import NodeDep
from karakoram.entrypoints.web.deps import CsrfDep, PagesDep, SessionDep, ViewerDep
from karakoram.entrypoints.web.guard import needs
from karakoram.entrypoints.web.refusals import pages_router
from karakoram.services.attestation import DEFAULT_DAYS, IssuedAttestation, issue_attestation

router = pages_router("/ui")


@router.get("/attestation", dependencies=[needs(Cap.REQUEST_ATTESTATION)], name="ui-attest")
def attestation_page(
    request: Request, pages: PagesDep, session: SessionDep, viewer: ViewerDep
) -> Response:
    return pages.render(
        request, session, "trader/attestation.html", viewer, issued=None, days=DEFAULT_DAYS
    )


@router.post(
    "/attestation",
    dependencies=[needs(Cap.REQUEST_ATTESTATION), CsrfDep],
    name="ui-attest-issue",
)
def issue(
    request: Request,
    node: NodeDep,
    pages: PagesDep,
    session: SessionDep,
    viewer: ViewerDep,
    days: Annotated[int, Form()] = DEFAULT_DAYS,
    download: Annotated[str, Form()] = "",
) -> Response:
    """Issue an attestation of the signed-in trader; shown on the page, or as a file."""
    issued = _issue(viewer, node, days)
    if download:
        name = f"attestation-{issued.attestation.trader_id}.jws"
        return Response(
            issued.token,
            media_type="application/jose",
            headers={"Content-Disposition": f'attachment; filename="{name}"'},
        )
    return pages.render(
        request, session, "trader/attestation.html", viewer, status_code=201,
        issued=issued, days=days,
    )  # fmt: skip


def _issue(viewer: Principal, node: NodeDep, days: int) -> IssuedAttestation:
    if not viewer.party:
        raise PermissionDenied("This trader account names no trader.", code="not_a_trader")
    return issue_attestation(viewer.party, viewer, node.ctx, days)
