"""The administrator's pages: the node's users, setting (or resetting) a user's password, and
the verification of the tamper-evident history."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import urlencode

from fastapi import Form, Request
from fastapi.responses import RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from karakoram.domain.access import Capability as Cap
from karakoram.domain.access import Principal, Role, require_role
from karakoram.domain.errors import FieldError, ValidationFailed
from karakoram.entrypoints.http.deps import NodeDep
from karakoram.entrypoints.web.deps import CsrfDep, PagesDep, SessionDep, ViewerDep
from karakoram.entrypoints.web.guard import needs
from karakoram.entrypoints.web.refusals import pages_router
from karakoram.entrypoints.web.render import Pages, page_path
from karakoram.entrypoints.web.session import WebSession
from karakoram.services import users
from karakoram.services.audit.register import verify_with_records
from karakoram.services.sessions import renew_session

router = pages_router("/ui/admin")


@router.get("/users", dependencies=[needs(Cap.ADMINISTER_USERS)], name="ui-admin-users")
def user_list(
    request: Request,
    node: NodeDep,
    pages: PagesDep,
    session: SessionDep,
    viewer: ViewerDep,
    done: str = "",
    revoked: str = "",
) -> Response:
    require_role(viewer, Role.ADMINISTRATOR)
    return pages.render(
        request,
        session,
        "admin/users.html",
        viewer,
        people=users.list_users(node.ctx),
        done=done,
        revoked=revoked,
        min_length=users.PASSWORD_MIN_LENGTH,
    )


@router.get("/audit", dependencies=[needs(Cap.ADMINISTER_NODE)], name="ui-admin-audit")
async def audit(
    request: Request, node: NodeDep, pages: PagesDep, session: SessionDep, viewer: ViewerDep
) -> Response:
    """The audit chain recomputed now: how many entries verify, or the first broken link, and
    what the partners' copies of our checkpoints say."""
    report = await run_in_threadpool(verify_with_records, node.ctx, None, node.peer)
    return pages.render(request, session, "admin/audit.html", viewer, report=report)


@router.get(
    "/users/{user}/password",
    dependencies=[needs(Cap.ADMINISTER_USERS)],
    name="ui-admin-password-form",
)
def password_form(
    user: str, request: Request, pages: PagesDep, session: SessionDep, viewer: ViewerDep
) -> Response:
    require_role(viewer, Role.ADMINISTRATOR)
    return _password_page(request, pages, session, viewer, user)


@router.post(
    "/users/{user}/password",
    dependencies=[needs(Cap.ADMINISTER_USERS), CsrfDep],
    name="ui-admin-password",
)
async def set_password(
    user: str,
    request: Request,
    node: NodeDep,
    pages: PagesDep,
    session: SessionDep,
    viewer: ViewerDep,
    password: Annotated[str, Form()] = "",
    confirm: Annotated[str, Form()] = "",
) -> Response:
    require_role(viewer, Role.ADMINISTRATOR)
    try:
        if password != confirm:
            raise ValidationFailed(
                [FieldError("mismatch", "/confirm", "The two passwords differ.")]
            )
        # argon2 is slow on purpose: off the event loop
        changed = await run_in_threadpool(users.set_password, user, password, node.ctx, node.hasher)
    except ValidationFailed as exc:
        return _password_page(request, pages, session, viewer, user, exc)
    target = page_path(request, "ui-admin-users") + "?" + _query(done=user)
    response = RedirectResponse(target, status_code=303)
    if viewer.user_id == changed.id:
        # administrators changing their own password stay signed in here, nowhere else
        session.session_id = await run_in_threadpool(
            renew_session, node.ctx, session.session_id, changed
        )
        pages.codec.save(response, request, session)
    return response


def _query(**params: str) -> str:
    return urlencode(params)


def _password_page(
    request: Request,
    pages: Pages,
    session: WebSession,
    viewer: Principal,
    name: str,
    failure: ValidationFailed | None = None,
) -> Response:
    errors: dict[str, list[FieldError]] = {}
    for e in failure.errors if failure else []:
        errors.setdefault(e.pointer.strip("/"), []).append(e)
    return pages.render(
        request,
        session,
        "admin/password.html",
        viewer,
        status_code=422 if failure else 200,
        name=name,
        errors=errors,
        min_length=users.PASSWORD_MIN_LENGTH,
    )
