"""Dependencies of the web pages: the session, the signed-in user, the CSRF check."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Form, Request

from karakoram.domain.access import Principal
from karakoram.entrypoints.http.deps import NodeDep
from karakoram.entrypoints.web.refusals import CsrfRefused, SignInRequired
from karakoram.entrypoints.web.render import Pages
from karakoram.entrypoints.web.session import WebSession
from karakoram.services.sessions import session_principal


async def get_pages(request: Request) -> Pages:
    pages = request.app.state.web_pages
    assert isinstance(pages, Pages)
    return pages


PagesDep = Annotated[Pages, Depends(get_pages)]


async def get_session(request: Request, pages: PagesDep) -> WebSession:
    return pages.codec.load(request)


SessionDep = Annotated[WebSession, Depends(get_session)]


def client_address(request: Request) -> str | None:
    """The client's address, as the server saw it (behind a proxy: see uvicorn's
    --forwarded-allow-ips)."""
    return request.client.host if request.client else None


def get_viewer(request: Request, node: NodeDep, session: SessionDep) -> Principal:
    principal = session_principal(node.ctx, session.session_id)
    if principal is None:
        raise SignInRequired
    request.state.viewer = principal  # for the error page, should the page be refused
    return principal


ViewerDep = Annotated[Principal, Depends(get_viewer)]


async def check_csrf(session: SessionDep, csrf: Annotated[str, Form()] = "") -> None:
    """Every POST form carries the session's token; anything else is refused."""
    if not session.csrf_ok(csrf):
        raise CsrfRefused


CsrfDep = Depends(check_csrf)
