"""The administrator manages accounts in the browser: add a user (its key shown once), issue
a new key, revoke. The same services as `karakoram users` and `POST /users`."""

from __future__ import annotations

from typing import Annotated

from fastapi import Form, Request
from fastapi.responses import RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from karakoram.domain.access import Capability as Cap
from karakoram.domain.access import Principal, Role
from karakoram.domain.errors import Conflict, FieldError, ValidationFailed
from karakoram.entrypoints.http.deps import NodeDep
from karakoram.entrypoints.web.deps import CsrfDep, PagesDep, SessionDep, ViewerDep
from karakoram.entrypoints.web.guard import needs
from karakoram.entrypoints.web.refusals import pages_router
from karakoram.entrypoints.web.render import Pages, page_path
from karakoram.entrypoints.web.session import WebSession
from karakoram.services import users

router = pages_router("/ui/admin")

#: the roles an administrator gives in the browser (a partner node is set up with its keys)
ROLES = tuple(r.value for r in Role if r is not Role.PARTNER)
#: a key is shown once: never kept by a browser's cache or history
NO_STORE = {"Cache-Control": "no-store"}


def _form(
    request: Request,
    pages: Pages,
    session: WebSession,
    viewer: Principal,
    typed: dict[str, str] | None = None,
    failure: Exception | None = None,
) -> Response:
    errors: list[FieldError] = []
    if isinstance(failure, ValidationFailed):
        errors = failure.errors
    elif failure is not None:
        errors = [FieldError("name_taken", "/name", str(failure))]
    return pages.render(
        request,
        session,
        "admin/new_user.html",
        viewer,
        status_code=422 if failure else 200,
        roles=ROLES,
        typed=typed or {"name": "", "role": "", "party": ""},
        errors=errors,
    )


@router.get("/users/new", dependencies=[needs(Cap.ADMINISTER_USERS)], name="ui-admin-new-user")
def new_user_form(
    request: Request, pages: PagesDep, session: SessionDep, viewer: ViewerDep
) -> Response:
    return _form(request, pages, session, viewer)


@router.post(
    "/users/new", dependencies=[needs(Cap.ADMINISTER_USERS), CsrfDep], name="ui-admin-add-user"
)
async def add_user(
    request: Request,
    node: NodeDep,
    pages: PagesDep,
    session: SessionDep,
    viewer: ViewerDep,
    name: Annotated[str, Form(max_length=100)] = "",
    role: Annotated[str, Form(max_length=20)] = "",
    party: Annotated[str, Form(max_length=35)] = "",
) -> Response:
    typed = {"name": name.strip(), "role": role, "party": party.strip()}
    if role == Role.PARTNER.value:
        role = "not-a-role-here"  # partner nodes come with their keys: `karakoram partners`
    try:
        made = await run_in_threadpool(
            users.add_user, typed["name"], role, typed["party"] or None, node.ctx
        )
    except (ValidationFailed, Conflict) as exc:
        return _form(request, pages, session, viewer, typed, exc)
    return _key_page(request, pages, session, viewer, made)


@router.post(
    "/users/{user}/key", dependencies=[needs(Cap.ADMINISTER_USERS), CsrfDep], name="ui-admin-key"
)
async def new_key(
    user: str, request: Request, node: NodeDep, pages: PagesDep, session: SessionDep,
    viewer: ViewerDep,
) -> Response:  # fmt: skip
    """A new key for the user; the old key and its sessions stop working at once."""
    made = await run_in_threadpool(users.issue_key, user, node.ctx)
    return _key_page(request, pages, session, viewer, made)


@router.post(
    "/users/{user}/revoke",
    dependencies=[needs(Cap.ADMINISTER_USERS), CsrfDep],
    name="ui-admin-revoke",
)
async def revoke(user: str, request: Request, node: NodeDep, viewer: ViewerDep) -> Response:
    """Revoke a user (never oneself: an administrator locked out of the node is a support
    call); its key, password and sessions stop working."""
    if user == viewer.name:
        raise ValidationFailed(
            [FieldError("self_revoke", "/name", "You cannot revoke your own account.")]
        )
    await run_in_threadpool(users.revoke_user, user, node.ctx)
    target = page_path(request, "ui-admin-users") + f"?revoked={user}"
    return RedirectResponse(target, status_code=303)


def _key_page(
    request: Request, pages: Pages, session: WebSession, viewer: Principal, made: users.NewKey
) -> Response:
    response = pages.render(
        request, session, "admin/key.html", viewer, user=made.user, api_key=made.api_key
    )
    response.headers.update(NO_STORE)
    return response
