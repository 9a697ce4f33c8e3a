"""Lodge, read, list, amend, cancel and bulk-upload declarations."""

from __future__ import annotations

import json
import tempfile
from datetime import datetime
from decimal import Decimal
from typing import Annotated, Any

from fastapi import APIRouter, Header, Query, Request, Response
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from karakoram.domain.access import Capability as Cap
from karakoram.domain.declaration.files import read_documents
from karakoram.domain.errors import FieldError, ValidationFailed
from karakoram.entrypoints.api.guard import needs
from karakoram.entrypoints.api.job_schemas import UploadJobOut, bulk_report
from karakoram.entrypoints.api.schemas import (
    BulkOut,
    CancelIn,
    DeclarationOut,
    EventOut,
    PageOut,
    declaration_json,
)
from karakoram.entrypoints.api.versions import expected_version, tagged
from karakoram.entrypoints.http.deps import NodeDep, PrincipalDep
from karakoram.services import declarations as handlers
from karakoram.services import queries
from karakoram.services.bulk import REFUSED, ImportResult, import_file
from karakoram.services.records import DeclarationFilter
from karakoram.services.uploads import UploadView, get_upload, submit_upload

router = APIRouter(prefix="/declarations", tags=["declarations"])

_DECLARATION_BODY = {
    "requestBody": {
        "required": True,
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/DeclarationIn"}}},
    }
}
_BULK_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            "text/csv": {"schema": {"type": "string"}},
            "application/x-ndjson": {"schema": {"type": "string"}},
        },
    }
}
_SPOOL_BYTES = 8 * 1024 * 1024


async def json_body(request: Request) -> Any:
    raw = await request.body()
    try:
        return json.loads(raw, parse_float=Decimal)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise ValidationFailed(
            [FieldError("invalid_json", "", f"The body is not valid JSON: {exc}")]
        ) from exc


@router.post(
    "",
    response_model=DeclarationOut,
    status_code=201,
    openapi_extra=_DECLARATION_BODY,
    dependencies=[needs(Cap.LODGE_DECLARATIONS)],
    responses={
        200: {"description": "The same LRN and content were lodged before."},
        409: {"description": "The LRN was used for different content."},
    },
)
async def lodge(request: Request, node: NodeDep, principal: PrincipalDep) -> Response:
    """Lodge a declaration. Resubmitting the same body returns the original (200)."""
    data = await json_body(request)
    lodged = await run_in_threadpool(handlers.lodge_declaration, data, principal, node.ctx)
    record = lodged.record
    return JSONResponse(
        declaration_json(record),
        status_code=201 if lodged.created else 200,
        headers={"Location": f"/declarations/{record.mrn}", "ETag": f'"{record.version}"'},
    )


@router.get("", response_model=PageOut, dependencies=[needs(Cap.READ_DECLARATIONS)])
def list_(
    node: NodeDep,
    principal: PrincipalDep,
    status: str | None = None,
    type: Annotated[str | None, Query(pattern="^(EX|IM)$")] = None,
    trader: str | None = None,
    hs_prefix: Annotated[str | None, Query(pattern=r"^\d{1,10}$")] = None,
    lodged_from: datetime | None = None,
    lodged_to: datetime | None = None,
    mrn: Annotated[str | None, Query(max_length=18)] = None,
    ucr: Annotated[str | None, Query(max_length=35)] = None,
    lrn: Annotated[str | None, Query(max_length=35)] = None,
    vehicle: Annotated[
        str | None,
        Query(max_length=35, description="A registration; spaces, dashes and case ignored."),
    ] = None,
    channel: Annotated[str | None, Query(pattern="^(green|blue|yellow|red)$")] = None,
    order: Annotated[str, Query(pattern="^(oldest|newest)$")] = "oldest",
    cursor: str | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
) -> Response:
    """Declarations you may see, oldest first (`order=newest`: newest first); follow
    `next_cursor` for more (a cursor belongs to its order). Every filter
    narrows the list (an officer's search: by MRN, UCR, LRN, trader, vehicle, HS code prefix,
    lodgement dates, status, channel)."""
    flt = DeclarationFilter(
        status,
        type,
        trader,
        hs_prefix,
        lodged_from,
        lodged_to,
        mrn,
        ucr,
        lrn,
        vehicle,
        channel,
        newest_first=order == "newest",
    )
    page = queries.list_declarations(flt, principal, node.ctx, cursor, limit)
    return JSONResponse(
        {"items": [declaration_json(r) for r in page.items], "next_cursor": page.next_cursor}
    )


@router.post(
    "/bulk",
    response_model=BulkOut,
    openapi_extra=_BULK_BODY,
    dependencies=[needs(Cap.LODGE_DECLARATIONS)],
    responses={
        202: {
            "description": "A large file (over `upload_job_lines` lines) was stored as a job: "
            "follow its Location.",
            "model": UploadJobOut,
        },
        422: {"description": "All or nothing: lines were refused, nothing stored."},
    },
)
async def bulk(
    request: Request,
    node: NodeDep,
    principal: PrincipalDep,
    partial: Annotated[
        bool,
        Query(
            description="Store every good line and list the refused ones, instead of "
            "storing the whole file or nothing."
        ),
    ] = False,
) -> BulkOut | JSONResponse:
    """Lodge many declarations from CSV (one row per item) or JSON Lines (one per line): the
    whole file or nothing (422 naming each refused line), or with `partial=true` every good
    line, the answer listing every stored and every refused one. A file of more than
    `upload_job_lines` lines is stored and imported in the background: 202, and the job at
    its Location."""
    content_type = request.headers.get("content-type", "").split(";")[0].strip()
    fmt = {"text/csv": "csv", "application/x-ndjson": "jsonl", "application/jsonl": "jsonl"}.get(
        content_type
    )
    if fmt is None:
        raise ValidationFailed(
            [
                FieldError(
                    "unsupported_media_type",
                    "/headers/content-type",
                    "Send text/csv or application/x-ndjson.",
                )
            ]
        )
    with tempfile.SpooledTemporaryFile(max_size=_SPOOL_BYTES) as spool:
        lines, last = 0, b""
        async for chunk in request.stream():
            spool.write(chunk)
            lines, last = lines + chunk.count(b"\n"), chunk[-1:] or last
        spool.seek(0)
        if lines + (last not in (b"", b"\n")) > node.settings.upload_job_lines:
            return await _submit_job(spool.read(), fmt, partial, node, principal)
        done = await run_in_threadpool(
            lambda: import_file(read_documents(spool, fmt), principal, node.ctx, partial=partial)
        )
    if not done.stored:
        raise ValidationFailed(_refused_lines(done.results))
    return bulk_report(done.results)


async def _submit_job(
    data: bytes, fmt: str, partial: bool, node: NodeDep, principal: PrincipalDep
) -> JSONResponse:
    job = await run_in_threadpool(submit_upload, data, fmt, partial, principal, node.ctx)
    body = UploadJobOut.of(UploadView(job, None))
    location = f"/declarations/uploads/{job.id}"
    return JSONResponse(body.model_dump(mode="json"), 202, headers={"Location": location})


@router.get(
    "/uploads/{job_id}",
    response_model=UploadJobOut,
    dependencies=[needs(Cap.READ_DECLARATIONS)],
)
def upload_job(job_id: str, node: NodeDep, principal: PrincipalDep) -> UploadJobOut:
    """A large upload's job: status, lines done of the total and, once finished, the result.
    Only for the user who sent it (and supervisors); anyone else gets 404."""
    return UploadJobOut.of(get_upload(job_id, principal, node.ctx))


def _refused_lines(results: list[ImportResult]) -> list[FieldError]:
    """Each refused line's errors, the pointer led by the document's index in the file."""
    return [
        FieldError(e.code, f"/{n}{e.pointer}", f"{r.location}: {e.message}")
        for n, r in enumerate(results)
        if r.outcome in REFUSED
        for e in r.errors
    ]


class CheckedEventOut(EventOut):
    #: false when no audit entry recorded this row as it stands (altered in the database)
    verified: bool


class CheckedDeclarationOut(DeclarationOut):
    """A declaration with its timeline checked against the audit chain."""

    timeline: list[CheckedEventOut] | None = None  # type: ignore[assignment]
    #: every event, the status, the channel and the digest match the audit record
    timeline_verified: bool
    #: events the audit record holds that no row matches: deleted, or the chain's version of
    #: an altered row
    audit_recorded: list[EventOut]
    #: why the timeline does not verify, one sentence each
    audit_problems: list[str]


def checked_json(checked: queries.CheckedDeclaration) -> dict[str, Any]:
    """What `CheckedDeclarationOut` serialises to, built directly like `declaration_json`."""
    check = checked.check
    body = declaration_json(checked.record, checked.events)
    for event, ok in zip(body["timeline"], check.verified, strict=True):
        event["verified"] = ok
    body["timeline_verified"] = check.ok
    body["audit_recorded"] = declaration_json(checked.record, check.recorded_only)["timeline"]
    body["audit_problems"] = check.problems
    return body


@router.get(
    "/{mrn}", response_model=CheckedDeclarationOut, dependencies=[needs(Cap.READ_DECLARATIONS)]
)
def get(mrn: str, node: NodeDep, principal: PrincipalDep) -> Response:
    """One declaration with its full timeline, each event checked against the audit record
    (`verified`; `timeline_verified`, `audit_recorded` and `audit_problems` for the whole)."""
    checked = queries.get_checked_declaration(mrn, principal, node.ctx)
    version = checked.record.version
    return JSONResponse(checked_json(checked), headers={"ETag": f'"{version}"'})


@router.put(
    "/{mrn}",
    response_model=DeclarationOut,
    openapi_extra=_DECLARATION_BODY,
    dependencies=[needs(Cap.LODGE_DECLARATIONS)],
)
async def amend(
    mrn: str,
    request: Request,
    response: Response,
    node: NodeDep,
    principal: PrincipalDep,
    if_match: Annotated[str | None, Header()] = None,
) -> DeclarationOut:
    """Amend a declaration not yet released; send If-Match to refuse stale edits."""
    data = await json_body(request)
    record = await run_in_threadpool(
        handlers.amend_declaration, mrn, data, principal, node.ctx, expected_version(if_match)
    )
    return tagged(response, DeclarationOut.of(record))


@router.post(
    "/{mrn}/cancel",
    response_model=DeclarationOut,
    dependencies=[needs(Cap.LODGE_DECLARATIONS)],
)
def cancel(
    mrn: str,
    body: CancelIn,
    response: Response,
    node: NodeDep,
    principal: PrincipalDep,
    if_match: Annotated[str | None, Header()] = None,
) -> DeclarationOut:
    """Cancel a declaration not yet released, saying why."""
    record = handlers.cancel_declaration(
        mrn, body.reason, principal, node.ctx, expected_version(if_match)
    )
    return tagged(response, DeclarationOut.of(record))
