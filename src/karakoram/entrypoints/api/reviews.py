"""A trader asks an officer to review a decision, and records a bank guarantee's reference;
officers list the review requests pending and answer them."""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter, Response
from pydantic import BaseModel, Field

from karakoram.domain.access import Capability as Cap
from karakoram.entrypoints.api.guard import needs
from karakoram.entrypoints.http.deps import NodeDep, PrincipalDep
from karakoram.services.reviews import (
    ReviewRequest,
    answer_review,
    ask_review,
    offer_guarantee,
    pending_reviews,
)

router = APIRouter(tags=["clearance"])


class ReviewIn(BaseModel):
    question: str = Field(description="What the trader wants reviewed, and why.")
    version: int | None = Field(None, description="The declaration's version the trader saw.")


class AnswerIn(BaseModel):
    answer: str = Field(description="The officer's answer, which the trader reads.")


class GuaranteeIn(BaseModel):
    reference: str = Field(description="The bank guarantee's reference, without spaces.")
    version: int | None = Field(None, description="The declaration's version the trader saw.")


class GuaranteeOut(BaseModel):
    mrn: str
    reference: str
    version: int


class ReviewOut(BaseModel):
    id: int
    mrn: str
    asked_by: str
    asked_at: datetime
    question: str
    answered_by: str | None
    answered_at: datetime | None
    answer: str | None

    @classmethod
    def of(cls, r: ReviewRequest) -> ReviewOut:
        return cls(
            id=r.id,
            mrn=r.mrn,
            asked_by=r.asked_by,
            asked_at=r.asked_at,
            question=r.question,
            answered_by=r.answered_by,
            answered_at=r.answered_at,
            answer=r.answer,
        )


@router.post(
    "/declarations/{mrn}/review-requests",
    response_model=ReviewOut,
    status_code=201,
    dependencies=[needs(Cap.LODGE_DECLARATIONS)],
)
def ask(
    mrn: str, body: ReviewIn, response: Response, node: NodeDep, principal: PrincipalDep
) -> ReviewOut:
    """Ask an officer to review a decision on your declaration while it waits for one (held,
    documents requested, inspected...). 201 when new; while a request is unanswered, asking
    again answers it (200) and records nothing."""
    asked, new = ask_review(mrn, body.question, principal, node.ctx, body.version)
    response.status_code = 201 if new else 200
    return ReviewOut.of(asked)


@router.post(
    "/declarations/{mrn}/guarantee",
    response_model=GuaranteeOut,
    dependencies=[needs(Cap.LODGE_DECLARATIONS)],
)
def guarantee(mrn: str, body: GuaranteeIn, node: NodeDep, principal: PrincipalDep) -> GuaranteeOut:
    """Record the reference of a bank guarantee lodged for what the declaration owes; an
    officer checks it and records it as cover. The same reference again changes nothing."""
    record = offer_guarantee(mrn, body.reference, principal, node.ctx, body.version)
    return GuaranteeOut(mrn=record.mrn, reference=body.reference.strip(), version=record.version)


@router.get(
    "/review-requests",
    response_model=list[ReviewOut],
    dependencies=[needs(Cap.ACT_ON_DECLARATION)],
)
def pending(node: NodeDep, principal: PrincipalDep) -> list[ReviewOut]:
    """Review requests no officer has answered yet, newest first."""
    return [ReviewOut.of(r) for r in pending_reviews(principal, node.ctx)]


@router.post(
    "/review-requests/{request_id}/answer",
    response_model=ReviewOut,
    dependencies=[needs(Cap.ACT_ON_DECLARATION)],
)
def answer(request_id: int, body: AnswerIn, node: NodeDep, principal: PrincipalDep) -> ReviewOut:
    """Answer a review request; the answer goes on the declaration's timeline (409 once
    answered)."""
    return ReviewOut.of(answer_review(request_id, body.answer, principal, node.ctx))
