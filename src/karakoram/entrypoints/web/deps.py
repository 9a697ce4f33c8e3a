"""Dependencies of the web pages: the session, the signed-in user, the CSRF check."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Form, Request

from karakoram.domain.access import Principal
from karakoram.entrypoints.http.deps import NodeDep
from karakoram.entrypoints.web.refusals import CsrfRefused, SignInRequired
from karakoram.entrypoints.web.render import Pages
from karakoram.entrypoints.web.session import WebSession
from karakoram.services.users import password_session_principal, session_principal


async def get_pages(request: Request) -> Pages:
    pages = request.app.state.web_pages
    assert isinstance(pages, Pages)
    return pages


PagesDep = Annotated[Pages, Depends(get_pages)]


async def get_session(request: Request, pages: PagesDep) -> WebSession:
    return pages.codec.load(request)


SessionDep = Annotated[WebSession, Depends(get_session)]


def get_viewer(request: Request, node: NodeDep, session: SessionDep) -> Principal:
    principal = None
    if session.key_id:
        principal = session_principal(session.key_id, node.ctx)
    elif session.user_id is not None and session.stamp is not None:
        principal = password_session_principal(session.user_id, session.stamp, node.ctx)
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
