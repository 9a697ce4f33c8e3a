"""The trader's notifications page: webhooks and e-mail told of every status change, the
secret of a new webhook shown once, and the log of deliveries with their attempts."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Form, Request
from fastapi.responses import RedirectResponse, Response

from karakoram.domain.access import Capability as Cap
from karakoram.domain.access import Principal, Role, require_role
from karakoram.domain.errors import ValidationFailed
from karakoram.domain.notify import SIGNATURE_HEADER, Endpoint
from karakoram.entrypoints.http.deps import NodeDep
from karakoram.entrypoints.web.deps import CsrfDep, PagesDep, SessionDep, ViewerDep
from karakoram.entrypoints.web.guard import needs
from karakoram.entrypoints.web.refusals import pages_router
from karakoram.entrypoints.web.render import page_path
from karakoram.entrypoints.web.session import WebSession
from karakoram.services.notify.endpoints import (
    delivery_log,
    list_endpoints,
    register_endpoint,
    remove_endpoint,
)

router = pages_router("/ui")


@router.get("/notifications", dependencies=[needs(Cap.LODGE_DECLARATIONS)], name="ui-notify")
def notifications(
    request: Request, node: NodeDep, pages: PagesDep, session: SessionDep, viewer: ViewerDep
) -> Response:
    return _page(request, node, pages, session, viewer)


@router.post(
    "/notifications",
    dependencies=[needs(Cap.LODGE_DECLARATIONS), CsrfDep],
    name="ui-notify-add",
)
def add(
    request: Request,
    node: NodeDep,
    pages: PagesDep,
    session: SessionDep,
    viewer: ViewerDep,
    channel: Annotated[str, Form()] = "webhook",
    target: Annotated[str, Form()] = "",
) -> Response:
    """Register an endpoint; a new webhook's secret is on the answer itself, shown once."""
    require_role(viewer, Role.TRADER)
    try:
        endpoint, new = register_endpoint(channel, target, viewer, node.ctx)
    except ValidationFailed as exc:
        typed = {"channel": channel, "target": target}
        return _page(request, node, pages, session, viewer, failure=exc, typed=typed)
    return _page(request, node, pages, session, viewer, added=endpoint, new=new)


@router.post(
    "/notifications/{endpoint_id}/remove",
    dependencies=[needs(Cap.LODGE_DECLARATIONS), CsrfDep],
    name="ui-notify-remove",
)
def remove(request: Request, endpoint_id: int, node: NodeDep, viewer: ViewerDep) -> Response:
    remove_endpoint(endpoint_id, viewer, node.ctx)
    return RedirectResponse(page_path(request, "ui-notify") + "?removed=1", status_code=303)


def _page(
    request: Request,
    node: NodeDep,
    pages: PagesDep,
    session: WebSession,
    viewer: Principal,
    failure: ValidationFailed | None = None,
    typed: dict[str, str] | None = None,
    added: Endpoint | None = None,
    new: bool = False,
) -> Response:
    require_role(viewer, Role.TRADER)
    context: dict[str, Any] = {
        "endpoints": list_endpoints(viewer, node.ctx),
        "log": delivery_log(viewer, node.ctx, 50),
        "errors": {e.pointer.lstrip("/"): e.message for e in failure.errors} if failure else {},
        "typed": typed or {"channel": "webhook", "target": ""},
        "added": added,
        "new": new,
        "removed": request.query_params.get("removed") == "1",
        "signature_header": SIGNATURE_HEADER,
    }
    status = 422 if failure else (201 if new else 200)
    return pages.render(
        request, session, "trader/notifications.html", viewer, status_code=status, **context
    )
