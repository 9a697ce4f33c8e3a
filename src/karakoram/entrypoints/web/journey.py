"""The trader's next steps from its home page (ask for a review, record a bank guarantee's
reference) and the officers' page of review requests to answer."""

from __future__ import annotations

from typing import Annotated

from fastapi import Form, Request
from fastapi.responses import RedirectResponse, Response

from karakoram.domain.access import Capability as Cap
from karakoram.domain.errors import Conflict, ValidationFailed
from karakoram.entrypoints.http.deps import NodeDep
from karakoram.entrypoints.web.deps import CsrfDep, PagesDep, SessionDep, ViewerDep
from karakoram.entrypoints.web.guard import needs
from karakoram.entrypoints.web.refusals import error_page, pages_router
from karakoram.entrypoints.web.render import page_path
from karakoram.services.reviews import answer_review, ask_review, offer_guarantee, pending_reviews

router = pages_router("/ui")


def _home(request: Request, notice: str) -> RedirectResponse:
    return RedirectResponse(page_path(request, "ui-home") + f"?done={notice}", status_code=303)


def _refused(exc: ValidationFailed | Conflict) -> str:
    if isinstance(exc, ValidationFailed):
        return " ".join(e.message for e in exc.errors)
    return str(exc.detail)


@router.post(
    "/my-declarations/{mrn}/review",
    dependencies=[needs(Cap.LODGE_DECLARATIONS), CsrfDep],
    name="ui-ask-review",
)
def ask(
    mrn: str,
    request: Request,
    node: NodeDep,
    viewer: ViewerDep,
    question: Annotated[str, Form()] = "",
) -> Response:
    try:
        ask_review(mrn, question, viewer, node.ctx)
    except (ValidationFailed, Conflict) as exc:
        return error_page(request, 422 if isinstance(exc, ValidationFailed) else 409, _refused(exc))
    return _home(request, "review")


@router.post(
    "/my-declarations/{mrn}/guarantee",
    dependencies=[needs(Cap.LODGE_DECLARATIONS), CsrfDep],
    name="ui-offer-guarantee",
)
def guarantee(
    mrn: str,
    request: Request,
    node: NodeDep,
    viewer: ViewerDep,
    reference: Annotated[str, Form()] = "",
) -> Response:
    try:
        offer_guarantee(mrn, reference, viewer, node.ctx)
    except (ValidationFailed, Conflict) as exc:
        return error_page(request, 422 if isinstance(exc, ValidationFailed) else 409, _refused(exc))
    return _home(request, "guarantee")


@router.get("/reviews", dependencies=[needs(Cap.ACT_ON_DECLARATION)], name="ui-reviews")
def reviews(
    request: Request, node: NodeDep, pages: PagesDep, session: SessionDep, viewer: ViewerDep
) -> Response:
    """Review requests no officer has answered yet, newest first, each with a form."""
    pending = pending_reviews(viewer, node.ctx)
    answered = request.query_params.get("answered") == "1"
    return pages.render(
        request, session, "reviews.html", viewer, pending=pending, answered=answered
    )


@router.post(
    "/reviews/{request_id}/answer",
    dependencies=[needs(Cap.ACT_ON_DECLARATION), CsrfDep],
    name="ui-answer-review",
)
def answer(
    request_id: int,
    request: Request,
    node: NodeDep,
    viewer: ViewerDep,
    answer: Annotated[str, Form()] = "",
) -> Response:
    try:
        answer_review(request_id, answer, viewer, node.ctx)
    except (ValidationFailed, Conflict) as exc:
        return error_page(request, 422 if isinstance(exc, ValidationFailed) else 409, _refused(exc))
    return RedirectResponse(page_path(request, "ui-reviews") + "?answered=1", status_code=303)
