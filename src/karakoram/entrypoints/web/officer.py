"""The pages. Each route reads a form or a path, calls a service and renders; nothing more."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Depends, Form, Request
from fastapi.responses import RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from karakoram.domain.access import Capability as Cap
from karakoram.domain.access import Principal, Role, require_role
from karakoram.domain.errors import AuthenticationFailed, Conflict, ValidationFailed
from karakoram.entrypoints.http.deps import NodeDep
from karakoram.entrypoints.http.errors import status_of
from karakoram.entrypoints.web.deps import (
    CsrfDep,
    PagesDep,
    SessionDep,
    ViewerDep,
    client_address,
)
from karakoram.entrypoints.web.guard import needs
from karakoram.entrypoints.web.i18n import LANGUAGES
from karakoram.entrypoints.web.officer_forms import ActionForm, action_form
from karakoram.entrypoints.web.refusals import FORM_ERRORS, pages_router
from karakoram.entrypoints.web.render import page_path, ui_target
from karakoram.entrypoints.web.session import WebSession
from karakoram.services import clearance as officer
from karakoram.services import partner_inspection, queries, sessions
from karakoram.services.attachments import shown_attachments
from karakoram.services.context import NodeContext
from karakoram.services.contracts.drafts import drafts_of
from karakoram.services.exchange.pre_arrival import check_of
from karakoram.services.partner_documents import partner_documents, shared_ones
from karakoram.services.policy import rule_sets as supervision
from karakoram.services.throttle import TooManyAttempts
from karakoram.services.trader_home import needs_you

router = pages_router("/ui")


def _see_other(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=303)


@router.get("", name="ui-home")
def home(
    request: Request, node: NodeDep, pages: PagesDep, session: SessionDep, viewer: ViewerDep
) -> Response:
    # a trader's home lists what needs it (templates/trader/_home.html)
    trader = viewer.role is Role.TRADER
    needs = needs_you(viewer, node.ctx) if trader else None
    # and the drafts from contracts it signed at the expo (services/contracts/drafts.py)
    drafts = drafts_of(viewer, node.ctx) if trader else []
    done = request.query_params.get("done")
    return pages.render(
        request, session, "home.html", viewer, needs=needs, done=done, contract_drafts=drafts
    )


@router.get("/sign-in", name="ui-sign-in-form")
def sign_in_form(request: Request, pages: PagesDep, session: SessionDep) -> Response:
    return pages.render(request, session, "sign_in.html")


@router.post("/sign-in", dependencies=[CsrfDep], name="ui-sign-in")
async def sign_in(
    request: Request,
    node: NodeDep,
    pages: PagesDep,
    session: SessionDep,
    api_key: Annotated[str, Form()] = "",
    name: Annotated[str, Form()] = "",
    password: Annotated[str, Form()] = "",
) -> Response:
    """An API key, or a user name and the password an administrator set. A failure never
    says which part was wrong; argon2 and the query run off the event loop either way. A
    success starts a server-side session (services/sessions.py)."""
    key, address = api_key.strip(), client_address(request)
    try:
        if key:
            found = await run_in_threadpool(node.authenticator.check_key, key, address)
        else:
            found = await run_in_threadpool(
                node.authenticator.sign_in_with_password, name, password, address
            )
    except TooManyAttempts:
        raise  # slowed or locked: the error page, 429 with Retry-After (web/refusals.py)
    except AuthenticationFailed:
        return pages.render(
            request, session, "sign_in.html", status_code=401, failed=True, name=name.strip()
        )
    method = sessions.KEY if key else sessions.PASSWORD
    # a new cookie (and CSRF token) at sign-in, so a token planted before it is worthless
    signed = WebSession(language=session.language)
    signed.session_id = await run_in_threadpool(
        sessions.start_session, node.ctx, found.user, method
    )
    await run_in_threadpool(sessions.end_session, node.ctx, session.session_id)
    response = _see_other(page_path(request, "ui-home"))
    pages.codec.save(response, request, signed)
    return response


@router.post("/sign-out", dependencies=[CsrfDep], name="ui-sign-out")
def sign_out(request: Request, node: NodeDep, pages: PagesDep, session: SessionDep) -> Response:
    """End the session on the server too: a copy of the cookie no longer works."""
    sessions.end_session(node.ctx, session.session_id)
    response = _see_other(page_path(request, "ui-sign-in-form"))
    pages.codec.clear(response)
    return response


@router.post("/language", dependencies=[CsrfDep], name="ui-choose-language")
def choose_language(
    request: Request,
    pages: PagesDep,
    session: SessionDep,
    language: Annotated[str, Form()] = "",
    back: Annotated[str, Form()] = "/ui",
) -> Response:
    if language in LANGUAGES:
        session.language = language
    response = _see_other(ui_target(back, "/ui"))
    pages.codec.save(response, request, session)
    return response


@router.get("/queue", dependencies=[needs(Cap.ACT_ON_DECLARATION)], name="ui-queue")
def queue(
    request: Request,
    node: NodeDep,
    pages: PagesDep,
    session: SessionDep,
    viewer: ViewerDep,
    channel: str | None = None,
    office: str | None = None,
    min_age_minutes: int = 0,
) -> Response:
    min_age = max(min_age_minutes, 0)
    filters = {"channel": channel or "", "office": office or "", "min_age": min_age}
    entries = officer.queue(viewer, node.ctx, channel or None, office or None, min_age)
    return pages.render(
        request,
        session,
        "queue.html",
        viewer,
        entries=entries,
        now=node.ctx.clock(),
        filters=filters,
        offices=node.settings.offices,
    )


@router.get(
    "/declarations/{mrn}", dependencies=[needs(Cap.ACT_ON_DECLARATION)], name="ui-declaration"
)
def declaration(
    mrn: str,
    request: Request,
    node: NodeDep,
    pages: PagesDep,
    session: SessionDep,
    viewer: ViewerDep,
) -> Response:
    return _declaration_page(mrn, request, node, pages, session, viewer)


@router.post(
    "/declarations/{mrn}/actions",
    dependencies=[needs(Cap.ACT_ON_DECLARATION), CsrfDep],
    name="ui-act",
)
def act(
    mrn: str,
    request: Request,
    node: NodeDep,
    pages: PagesDep,
    session: SessionDep,
    viewer: ViewerDep,
    form: Annotated[ActionForm, Depends(action_form)],
) -> Response:
    try:
        officer.act(
            mrn,
            form.chosen(),
            viewer,
            node.ctx,
            form.reason,
            form.findings(),
            form.version,
        )
    except FORM_ERRORS as exc:
        return _declaration_page(mrn, request, node, pages, session, viewer, exc, form)
    return _see_other(page_path(request, "ui-declaration", mrn=mrn))


def declaration_context(mrn: str, viewer: Principal, ctx: NodeContext) -> dict[str, Any]:
    """What declaration.html shows: the officer's view of one declaration (officers and
    supervisors only; a trader follows their own under /ui/my-declarations) and what the
    viewer may do with it. Raises the service's refusal."""
    require_role(viewer, *officer.OFFICERS)
    checked = queries.get_checked_declaration(mrn, viewer, ctx)
    record, events = checked.record, checked.events
    return {
        "record": record,
        "d": record.declaration,
        "view": queries.clearance_view(mrn, viewer, ctx),
        "actions": partner_inspection.offered(
            officer.available_actions(viewer, record), record, ctx
        ),
        "needs_reason": officer.NEEDS_REASON,
        "controls": officer.CONTROLS,
        "overrides": supervision.override_channels(viewer, record),
        # the partner's side and one timeline of both administrations
        "partner": queries.partner_view(record, events, viewer, ctx),
        # assessed while the partner was down: checked again when its data came
        "pre_arrival": check_of(mrn, viewer, ctx),
        # the timeline against the audit chain: a forged or deleted row is shown as such
        "audit": checked.check,
        "attachments": shown_attachments(mrn, viewer, ctx),
        # issue 17: which were sent to the partner, and what the partner sent us
        "shared": shared_ones(events),
        "partner_documents": partner_documents(record.declaration.ucr, viewer, ctx),
    }


def _declaration_page(
    mrn: str,
    request: Request,
    node: NodeDep,
    pages: PagesDep,
    session: SessionDep,
    viewer: Principal,
    failure: ValidationFailed | Conflict | None = None,
    form: ActionForm | None = None,
) -> Response:
    context = declaration_context(mrn, viewer, node.ctx)
    return pages.render(
        request,
        session,
        "declaration.html",
        viewer,
        status_code=status_of(failure) if failure else 200,
        failure=failure,
        form=form,
        **context,
    )
