"""The trader's and broker's pages: lodge by form or upload, follow declarations, answer
requests for documents."""

from __future__ import annotations

from collections import Counter
from typing import Annotated, Any

from fastapi import Form, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile

from karakoram.domain.access import Capability as Cap
from karakoram.domain.access import Principal, Role, require_role
from karakoram.domain.clearance import Status
from karakoram.domain.declaration.codes import INCOTERMS, UNITS
from karakoram.domain.declaration.files import format_of, read_documents
from karakoram.domain.errors import Conflict, LrnConflict, PermissionDenied, ValidationFailed
from karakoram.entrypoints.http.deps import NodeDep
from karakoram.entrypoints.http.errors import status_of
from karakoram.entrypoints.web.deps import CsrfDep, PagesDep, SessionDep, ViewerDep
from karakoram.entrypoints.web.field_messages import plain_errors
from karakoram.entrypoints.web.guard import needs
from karakoram.entrypoints.web.i18n import language, translations
from karakoram.entrypoints.web.refusals import FORM_ERRORS, pages_router
from karakoram.entrypoints.web.render import page_path
from karakoram.entrypoints.web.session import WebSession
from karakoram.entrypoints.web.trader_forms import (
    FormErrors,
    LodgeForm,
    countries,
    currencies,
    new_token,
    shown_fields,
)
from karakoram.services import queries, trader
from karakoram.services.attachments import shown_attachments
from karakoram.services.bulk import ImportResult, Outcome, import_declarations
from karakoram.services.contracts.drafts import contract_of_lodged, draft_of_trader
from karakoram.services.declarations import lodge_declaration
from karakoram.services.records import DeclarationFilter, JobStatus, UploadJob
from karakoram.services.uploads import count_lines, get_upload, submit_upload

router = pages_router("/ui")

PAGE_SIZE = 25
STATUSES = tuple(s.value for s in Status)


def _see_other(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=303)


@router.get("/hs-codes", name="ui-hs-codes", response_class=JSONResponse)
def hs_codes(node: NodeDep, viewer: ViewerDep, q: str = "") -> JSONResponse:
    """Subheadings of the loaded nomenclature matching a code prefix or description words."""
    found = trader.search_hs(q[:100], node.ctx)
    return JSONResponse(
        {"suggestions": [{"code": s.code, "description": s.description} for s in found]}
    )


@router.get("/lodge", dependencies=[needs(Cap.LODGE_DECLARATIONS)], name="ui-lodge-form")
def lodge_form(
    request: Request, node: NodeDep, pages: PagesDep, session: SessionDep, viewer: ViewerDep
) -> Response:
    require_role(viewer, Role.TRADER)
    draft = request.query_params.get("draft")
    if draft:  # a draft from a signed contract (404 for another trader's)
        found = draft_of_trader(viewer, node.ctx, draft[:35]).draft
        form = LodgeForm(new_token(), dict(found["values"]), [dict(i) for i in found["items"]])
        return _lodge_page(request, node, pages, session, viewer, form)
    return _lodge_page(request, node, pages, session, viewer, LodgeForm.blank(viewer.party))


@router.post("/lodge", dependencies=[needs(Cap.LODGE_DECLARATIONS), CsrfDep], name="ui-lodge")
async def lodge(
    request: Request, node: NodeDep, pages: PagesDep, session: SessionDep, viewer: ViewerDep
) -> Response:
    """Lodge what the form holds, or add or remove an item row (the no-script way)."""
    submitted = await request.form()
    form = LodgeForm.read(submitted)
    if "add_item" in submitted:
        return _lodge_page(request, node, pages, session, viewer, form.with_row_added())
    remove = submitted.get("remove_item")
    if isinstance(remove, str) and remove.isascii() and remove.isdigit():
        return _lodge_page(
            request, node, pages, session, viewer, form.with_row_removed(int(remove))
        )
    try:
        lodged = await run_in_threadpool(lodge_declaration, form.document(), viewer, node.ctx)
    except ValidationFailed as exc:
        words = translations(language(session.reading).code).gettext
        errors = FormErrors.of(plain_errors(exc.errors, words), shown_fields(form))
        return _lodge_page(request, node, pages, session, viewer, form, errors, 422)
    except LrnConflict as exc:
        # a typed LRN lodged before is the field's problem; the form's own token means the
        # form itself was sent before and changed since
        typed = FormErrors({"lrn": [exc.detail]}, []) if form.values.get("lrn") else None
        return _lodge_page(request, node, pages, session, viewer, form, typed, conflict=exc)
    target = page_path(request, "ui-my-declaration", mrn=lodged.record.mrn)
    return _see_other(f"{target}?lodged={'new' if lodged.created else 'again'}")


def _lodge_page(
    request: Request,
    node: NodeDep,
    pages: PagesDep,
    session: WebSession,
    viewer: Principal,
    form: LodgeForm,
    errors: FormErrors | None = None,
    status_code: int = 200,
    conflict: LrnConflict | None = None,
) -> Response:
    lang = language(session.reading).code
    return pages.render(
        request,
        session,
        "trader/lodge.html",
        viewer,
        status_code=409 if conflict else status_code,
        form=form,
        errors=errors or FormErrors.none(),
        conflict=conflict,
        countries=countries(lang),
        currency_pairs=[(c, f"{c} – {name}") for c, name in currencies(lang)],
        unit_pairs=[(c, f"{c} – {name}") for c, name in UNITS.items()],
        incoterms=[(c, c) for c in sorted(INCOTERMS)],
        offices_pairs=[(o.code, f"{o.code} – {o.name}") for o in node.settings.offices],
        crossing_pairs=[(c.code, c.name) for c in node.settings.crossings],
    )


@router.get("/upload", dependencies=[needs(Cap.LODGE_DECLARATIONS)], name="ui-upload-form")
def upload_form(
    request: Request, pages: PagesDep, session: SessionDep, viewer: ViewerDep
) -> Response:
    require_role(viewer, Role.TRADER)
    return _upload_page(request, pages, session, viewer)


@router.post("/upload", dependencies=[needs(Cap.LODGE_DECLARATIONS), CsrfDep], name="ui-upload")
async def upload(
    request: Request, node: NodeDep, pages: PagesDep, session: SessionDep, viewer: ViewerDep
) -> Response:
    """Lodge every declaration of a CSV or JSON Lines file; one result row per declaration."""
    submitted = await request.form()
    file = submitted.get("file")
    if not isinstance(file, UploadFile) or not file.filename:
        return _upload_page(request, pages, session, viewer, problem="missing")
    try:
        fmt = format_of(file.filename)
    except ValueError:
        return _upload_page(request, pages, session, viewer, problem="format", name=file.filename)
    data = await file.read()
    if count_lines(data) > node.settings.upload_job_lines:  # large: a job, followed on its page
        try:
            job = await run_in_threadpool(submit_upload, data, fmt, True, viewer, node.ctx)
        except ValidationFailed:
            return _upload_page(request, pages, session, viewer, problem="file", name=file.filename)
        return _see_other(str(request.url_for("ui-upload-job", job_id=job.id)))
    await file.seek(0)
    try:
        results = await run_in_threadpool(
            lambda: list(import_declarations(read_documents(file.file, fmt), viewer, node.ctx))
        )
    except UnicodeDecodeError:
        return _upload_page(request, pages, session, viewer, problem="encoding", name=file.filename)
    return _upload_page(request, pages, session, viewer, results=results, name=file.filename)


@router.get("/upload/{job_id}", dependencies=[needs(Cap.LODGE_DECLARATIONS)], name="ui-upload-job")
def upload_job(
    job_id: str,
    request: Request,
    node: NodeDep,
    pages: PagesDep,
    session: SessionDep,
    viewer: ViewerDep,
) -> Response:
    """A large upload's job: a progress bar while it runs (trader.js polls the status and
    reloads; without script, a link to reload), then the results."""
    view = get_upload(job_id, viewer, node.ctx)
    results = view.results if view.job.status is JobStatus.DONE else None
    return _upload_page(request, pages, session, viewer, results, job=view.job)


@router.get(
    "/upload/{job_id}/status",
    dependencies=[needs(Cap.LODGE_DECLARATIONS)],
    name="ui-upload-job-status",
    response_class=JSONResponse,
)
def upload_job_status(job_id: str, node: NodeDep, viewer: ViewerDep) -> JSONResponse:
    """What the progress bar shows: status and lines done of the total."""
    job = get_upload(job_id, viewer, node.ctx).job
    return JSONResponse(
        {"status": job.status.value, "done": job.lines_done, "total": job.lines_total}
    )


def _upload_page(
    request: Request,
    pages: PagesDep,
    session: WebSession,
    viewer: Principal,
    results: list[ImportResult] | None = None,
    problem: str | None = None,
    name: str = "",
    job: UploadJob | None = None,
) -> Response:
    summary = Counter(r.outcome.value for r in results or [])
    return pages.render(
        request,
        session,
        "trader/upload.html",
        viewer,
        status_code=422 if problem else 200,
        results=results,
        summary={o.value: summary[o.value] for o in Outcome},
        problem=problem,
        name=name,
        job=job,
    )


@router.get(
    "/my-declarations", dependencies=[needs(Cap.LODGE_DECLARATIONS)], name="ui-my-declarations"
)
def my_declarations(
    request: Request,
    node: NodeDep,
    pages: PagesDep,
    session: SessionDep,
    viewer: ViewerDep,
    status: str = "",
    cursor: str = "",
) -> Response:
    """The declarations the trader lodged or is party to, newest first, a page at a time."""
    chosen = status if status in STATUSES else ""
    require_role(viewer, Role.TRADER)
    page = queries.list_declarations(
        DeclarationFilter(status=chosen or None, newest_first=True),
        viewer,
        node.ctx,
        cursor or None,
        PAGE_SIZE,
    )
    return pages.render(
        request,
        session,
        "trader/declarations.html",
        viewer,
        page=page,
        status=chosen,
        statuses=STATUSES,
        first_page=not cursor,
    )


@router.get(
    "/my-declarations/{mrn}", dependencies=[needs(Cap.LODGE_DECLARATIONS)], name="ui-my-declaration"
)
def my_declaration(
    mrn: str,
    request: Request,
    node: NodeDep,
    pages: PagesDep,
    session: SessionDep,
    viewer: ViewerDep,
    lodged: str = "",
    answered: str = "",
) -> Response:
    notice = {"new": "lodged", "again": "again"}.get(lodged) or ("answered" if answered else None)
    return _declaration_page(mrn, request, node, pages, session, viewer, notice=notice)


@router.post(
    "/my-declarations/{mrn}/answer",
    dependencies=[needs(Cap.LODGE_DECLARATIONS), CsrfDep],
    name="ui-answer-documents",
)
def answer_documents(
    mrn: str,
    request: Request,
    node: NodeDep,
    pages: PagesDep,
    session: SessionDep,
    viewer: ViewerDep,
    answer: Annotated[str, Form()] = "",
    version: Annotated[int | None, Form()] = None,
) -> Response:
    try:
        trader.answer_documents(mrn, answer, viewer, node.ctx, version)
    except (*FORM_ERRORS, PermissionDenied) as exc:  # an importer sees the page, may not answer
        return _declaration_page(mrn, request, node, pages, session, viewer, exc, answer)
    return _see_other(page_path(request, "ui-my-declaration", mrn=mrn) + "?answered=1")


def _declaration_page(
    mrn: str,
    request: Request,
    node: NodeDep,
    pages: PagesDep,
    session: WebSession,
    viewer: Principal,
    failure: ValidationFailed | Conflict | PermissionDenied | None = None,
    typed: str = "",
    notice: str | None = None,
) -> Response:
    require_role(viewer, Role.TRADER)
    checked = queries.get_checked_declaration(mrn, viewer, node.ctx)
    record, timeline = checked.record, checked.events
    view = queries.clearance_view(mrn, viewer, node.ctx)
    context: dict[str, Any] = {
        "record": record,
        "d": record.declaration,
        "timeline": trader.trader_timeline(timeline),
        "view": view,
        "owed": trader.owed(view),
        "documents": trader.documents_request(record, timeline, viewer),
        "failure": failure,
        "typed": typed,
        "notice": notice,
        # the timeline against the audit chain (its risk reasons redacted as above)
        "audit": checked.check,
        "attachments": shown_attachments(mrn, viewer, node.ctx),
        # the contract signed at the expo its UCR came from, when lodged from a draft
        "contract_id": contract_of_lodged(viewer, node.ctx, mrn),
    }
    status_code = status_of(failure) if failure else 200
    return pages.render(
        request, session, "trader/declaration.html", viewer, status_code=status_code, **context
    )
