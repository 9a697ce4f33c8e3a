"""The supervisor's page of the AEO register and the representation mandates."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Annotated

from fastapi import Form, Request
from fastapi.responses import RedirectResponse, Response

from karakoram.domain.access import Capability as Cap
from karakoram.domain.access import Principal, Role, require_role
from karakoram.domain.errors import FieldError, KarakoramError, ValidationFailed
from karakoram.entrypoints.http.deps import NodeDep
from karakoram.entrypoints.http.errors import status_of
from karakoram.entrypoints.web.deps import CsrfDep, PagesDep, SessionDep, ViewerDep
from karakoram.entrypoints.web.guard import needs
from karakoram.entrypoints.web.refusals import FORM_ERRORS, pages_router
from karakoram.entrypoints.web.render import page_path
from karakoram.services import aeo, mandates

router = pages_router("/ui")
Text = Annotated[str, Form()]


def _day(value: str, pointer: str) -> datetime | None:
    """A date field as the start of that day, UTC; blank: None."""
    if not value.strip():
        return None
    try:
        return datetime.combine(date.fromisoformat(value.strip()), datetime.min.time(), UTC)
    except ValueError:
        raise ValidationFailed(
            [FieldError("invalid_date", pointer, "A date, YYYY-MM-DD.")]
        ) from None


def _show(
    request: Request,
    node: NodeDep,
    pages: PagesDep,
    session: SessionDep,
    viewer: Principal,
    failure: KarakoramError | None = None,
    sent: str | None = None,
) -> Response:
    require_role(viewer, Role.SUPERVISOR, Role.ADMINISTRATOR)
    return pages.render(
        request,
        session,
        "supervisor/register.html",
        viewer,
        status_code=status_of(failure) if failure else 200,
        failure=failure,
        entries=aeo.list_register(viewer, node.ctx),
        mandates=mandates.list_mandates(viewer, node.ctx),
        keeps_register=viewer.role is Role.SUPERVISOR,
        now=node.ctx.clock(),
        sent=sent,
    )


@router.get("/register", dependencies=[needs(Cap.KEEP_MANDATES)], name="ui-register")
def register_page(
    request: Request,
    node: NodeDep,
    pages: PagesDep,
    session: SessionDep,
    viewer: ViewerDep,
    sent: str | None = None,
) -> Response:
    return _show(request, node, pages, session, viewer, sent=sent)


@router.post(
    "/register/aeo",
    dependencies=[CsrfDep, needs(Cap.KEEP_AEO_REGISTER)],
    name="ui-register-aeo",
)
def add_aeo(
    request: Request,
    node: NodeDep,
    pages: PagesDep,
    session: SessionDep,
    viewer: ViewerDep,
    identifier: Text = "",
    level: Text = "",
    valid_from: Text = "",
    valid_to: Text = "",
) -> Response:
    try:
        start, end = _day(valid_from, "/valid_from"), _day(valid_to, "/valid_to")
        aeo.register_aeo(identifier, level, start, end, viewer, node.ctx)
    except FORM_ERRORS as exc:
        return _show(request, node, pages, session, viewer, exc)
    return RedirectResponse(page_path(request, "ui-register"), status_code=303)


@router.post(
    "/register/mandates",
    dependencies=[CsrfDep, needs(Cap.KEEP_MANDATES)],
    name="ui-register-mandate",
)
def add_mandate(
    request: Request,
    node: NodeDep,
    pages: PagesDep,
    session: SessionDep,
    viewer: ViewerDep,
    principal: Text = "",
    representative: Text = "",
    valid_from: Text = "",
    valid_to: Text = "",
) -> Response:
    try:
        start, end = _day(valid_from, "/valid_from"), _day(valid_to, "/valid_to")
        mandates.record_mandate(principal, representative, start, end, viewer, node.ctx)
    except FORM_ERRORS as exc:
        return _show(request, node, pages, session, viewer, exc)
    return RedirectResponse(page_path(request, "ui-register"), status_code=303)


@router.post(
    "/register/aeo/send",
    dependencies=[CsrfDep, needs(Cap.KEEP_AEO_REGISTER)],
    name="ui-register-send-aeo",
)
def send_aeo_list(
    request: Request, node: NodeDep, pages: PagesDep, session: SessionDep, viewer: ViewerDep
) -> Response:
    """Queue the register to the partners that take AEO lists (mutual recognition)."""
    try:
        done = aeo.send_aeo_list(viewer, node.ctx)
    except FORM_ERRORS as exc:
        return _show(request, node, pages, session, viewer, exc)
    to = ",".join(m.recipient for m in done.messages)
    return RedirectResponse(f"{page_path(request, 'ui-register')}?sent={to}", status_code=303)
