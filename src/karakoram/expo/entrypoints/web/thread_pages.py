"""The discussion page of a match under /ui/threads/{id}: its messages in order with their
attachments, the expo's signed receipt of the head, a form to write (with one file), and the
export to keep. Members only (anyone else gets 404); the same services as the API."""

from __future__ import annotations

import json
import uuid
from typing import Annotated

from fastapi import APIRouter, File, Form, Request, UploadFile
from fastapi.responses import RedirectResponse, Response

from karakoram.expo.domain.thread import MAX_ATTACHMENT_BYTES
from karakoram.expo.entrypoints.deps import CtxDep
from karakoram.expo.entrypoints.web.pages import Csrf, PagesDep, SessionDep, ViewerDep, checked
from karakoram.expo.services import contracts, threads

router = APIRouter(prefix="/ui", include_in_schema=False)


@router.get("/threads/{suggestion_id}", name="expo-thread")
def thread_page(
    request: Request, suggestion_id: int, pages: PagesDep, session: SessionDep, ctx: CtxDep,
    who: ViewerDep,
) -> Response:  # fmt: skip
    entries = threads.thread_of(suggestion_id, who, ctx)
    drafted = contracts.contracts_of_thread(suggestion_id, who, ctx)
    return pages.render(
        request, session, "thread.html", who, thread=suggestion_id, entries=entries,
        ref=uuid.uuid4().hex, contracts=drafted,
    )  # fmt: skip


@router.post("/threads/{suggestion_id}/messages", name="expo-thread-post")
async def post_message(
    request: Request, suggestion_id: int, session: SessionDep, ctx: CtxDep, who: ViewerDep,
    csrf: Csrf, ref: Annotated[str, Form()], text: Annotated[str, Form()] = "",
    file: Annotated[UploadFile | None, File()] = None,
) -> Response:  # fmt: skip
    checked(session, csrf)
    files = []
    if file is not None and file.filename:
        content = await file.read(MAX_ATTACHMENT_BYTES + 1)
        files.append(threads.Attachment(file.filename, content))
    threads.post_message(suggestion_id, who, text, ref, files, ctx)
    target = request.url_for("expo-thread", suggestion_id=suggestion_id).path
    return RedirectResponse(target, status_code=303)


@router.get("/threads/{suggestion_id}/export", name="expo-thread-export")
def export(suggestion_id: int, ctx: CtxDep, who: ViewerDep) -> Response:
    body = json.dumps(threads.export(suggestion_id, who, ctx), ensure_ascii=False, indent=1)
    name = f"expo-thread-{suggestion_id}.json"
    headers = {"Content-Disposition": f'attachment; filename="{name}"'}
    return Response(body.encode(), media_type="application/json", headers=headers)


@router.get("/threads/{suggestion_id}/attachments/{sha256}", name="expo-thread-file")
def attachment(suggestion_id: int, sha256: str, ctx: CtxDep, who: ViewerDep) -> Response:
    media, content = threads.attachment(suggestion_id, sha256, who, ctx)
    headers = {"X-Content-Type-Options": "nosniff", "Content-Disposition": "attachment"}
    return Response(content, media_type=media, headers=headers)
