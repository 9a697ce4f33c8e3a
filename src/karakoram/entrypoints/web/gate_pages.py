"""The officer's page of one truck (docs/gate.md): its cargo report, the consignments on it,
and what the write-off found, each open discrepancy with the form that settles it (add,
amend, seize). Reads and settles through the same services as the API."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Form, Request
from fastapi.responses import RedirectResponse, Response

from karakoram.domain.access import Capability as Cap
from karakoram.domain.access import Principal
from karakoram.domain.errors import Conflict, ValidationFailed
from karakoram.domain.gate.discrepancies import RESOLUTIONS
from karakoram.entrypoints.http.deps import NodeDep
from karakoram.entrypoints.http.errors import status_of
from karakoram.entrypoints.web.deps import CsrfDep, PagesDep, SessionDep, ViewerDep
from karakoram.entrypoints.web.guard import needs
from karakoram.entrypoints.web.refusals import FORM_ERRORS, pages_router
from karakoram.entrypoints.web.render import page_path
from karakoram.entrypoints.web.session import WebSession
from karakoram.services.gate.cargo_reports import get_cargo_report
from karakoram.services.gate.presentation import discrepancies
from karakoram.services.gate.resolve import resolve_discrepancy

router = pages_router("/ui")


@router.get(
    "/cargo-reports/{report_id}",
    dependencies=[needs(Cap.ACT_ON_DECLARATION)],
    name="ui-cargo-report",
)
def cargo_report(
    report_id: int,
    request: Request,
    node: NodeDep,
    pages: PagesDep,
    session: SessionDep,
    viewer: ViewerDep,
) -> Response:
    return _page(report_id, request, node, pages, session, viewer)


@router.post(
    "/cargo-reports/{report_id}/discrepancies/{seq}",
    dependencies=[needs(Cap.ACT_ON_DECLARATION), CsrfDep],
    name="ui-settle-discrepancy",
)
def settle(
    report_id: int,
    seq: int,
    request: Request,
    node: NodeDep,
    pages: PagesDep,
    session: SessionDep,
    viewer: ViewerDep,
    resolution: Annotated[str, Form()] = "",
    reason: Annotated[str, Form()] = "",
    packages: Annotated[str, Form()] = "",
    gross_mass: Annotated[str, Form()] = "",
) -> Response:
    """Settle one discrepancy as the form says; a refusal shows the page with its problems."""
    data: dict[str, Any] = {"resolution": resolution, "reason": reason}
    if packages.strip():
        digits = packages.strip()
        data["packages"] = int(digits) if digits.isascii() and digits.isdigit() else packages
    if gross_mass.strip():
        data["gross_mass"] = gross_mass.strip()
    try:
        resolve_discrepancy(report_id, seq, data, viewer, node.ctx)
    except FORM_ERRORS as exc:
        return _page(report_id, request, node, pages, session, viewer, exc, seq)
    url = page_path(request, "ui-cargo-report", report_id=str(report_id))
    return RedirectResponse(url, status_code=303)


def _page(
    report_id: int,
    request: Request,
    node: NodeDep,
    pages: PagesDep,
    session: WebSession,
    viewer: Principal,
    failure: ValidationFailed | Conflict | None = None,
    failed_seq: int | None = None,
) -> Response:
    truck = get_cargo_report(report_id, viewer, node.ctx)
    found = discrepancies(report_id, viewer, node.ctx)
    return pages.render(
        request,
        session,
        "gate/cargo_report.html",
        viewer,
        status_code=status_of(failure) if failure else 200,
        truck=truck,
        r=truck.report,
        found=found,
        choices={d.seq: sorted(a.value for a in RESOLUTIONS[d.discrepancy.kind]) for d in found},
        failure=failure,
        failed_seq=failed_seq,
        problems=failure.errors if isinstance(failure, ValidationFailed) else [],
    )
