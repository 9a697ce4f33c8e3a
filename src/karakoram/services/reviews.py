"""A trader asks an officer to review a decision on its declaration; an officer sees the
requests still pending and answers them. A trader also records the reference of a bank
guarantee lodged for what it owes. Each is an event on the timeline (so in the audit chain)
written in the same transaction as the request's row."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from typing import Protocol

from karakoram.domain.access import (
    Capability,
    Principal,
    ensure_can_change,
    ensure_visible,
    require,
)
from karakoram.domain.declaration.model import DeclarationRecord
from karakoram.domain.errors import Conflict, NotFound, StaleVersion
from karakoram.domain.review import answer_event, guarantee_event, review_event
from karakoram.services.context import NodeContext
from karakoram.services.exchange.emit import publish

MAX_PENDING = 200


@dataclass(frozen=True, slots=True)
class ReviewRequest:
    id: int
    mrn: str
    party: str
    asked_by: str
    asked_at: datetime
    question: str
    answered_by: str | None = None
    answered_at: datetime | None = None
    answer: str | None = None


class ReviewRepository(Protocol):
    def add(self, request: ReviewRequest) -> ReviewRequest: ...
    def get(self, request_id: int) -> ReviewRequest | None: ...
    def of_declarations(self, mrns: list[str]) -> list[ReviewRequest]: ...
    def pending(self, limit: int) -> list[ReviewRequest]: ...
    def answer(self, request: ReviewRequest) -> bool: ...


class AlreadyAnswered(Conflict):
    title = "This review request is answered already"


def _owned(
    mrn: str, principal: Principal, ctx: NodeContext, expected: int | None
) -> tuple[DeclarationRecord, datetime]:
    require(principal, Capability.LODGE_DECLARATIONS)
    with ctx.uow() as uow:
        record = ensure_visible(principal, uow.declarations.get(mrn), mrn)
    ensure_can_change(principal, record)
    if expected is not None and expected != record.version:
        raise StaleVersion(mrn, expected, record.version)
    return record, ctx.clock()


def ask_review(
    mrn: str,
    question: str,
    principal: Principal,
    ctx: NodeContext,
    expected_version: int | None = None,
) -> tuple[ReviewRequest, bool]:
    """The lodging trader asks for a review while an officer's decision is pending. Returns
    the request and whether it is new: while one is unanswered, asking again answers it."""
    _owned(mrn, principal, ctx, expected_version)
    with ctx.uow() as uow:
        record = ensure_visible(principal, uow.declarations.get(mrn), mrn)
        open_ = [r for r in uow.reviews.of_declarations([mrn]) if r.answered_at is None]
        if open_:
            return open_[-1], False
        now = ctx.clock()
        event = review_event(record.status, question, principal.name, now)
        asked = uow.reviews.add(
            ReviewRequest(0, mrn, record.owner, principal.name, now, event.reason or "")
        )
        changed = replace(record, updated_at=now, version=record.version + 1)
        uow.declarations.update(changed, expected_version=record.version)
        publish(uow, ctx.exchange, [(changed, event)])
        uow.commit()
        return asked, True


def answer_review(
    request_id: int, answer: str, principal: Principal, ctx: NodeContext
) -> ReviewRequest:
    """An officer answers a pending review request; the answer goes on the timeline."""
    require(principal, Capability.ACT_ON_DECLARATION)
    with ctx.uow() as uow:
        request = uow.reviews.get(request_id)
        if request is None:
            raise NotFound(f"No review request {request_id}.")
        if request.answered_at is not None:
            raise AlreadyAnswered(f"Review request {request_id} was answered already.")
        record = ensure_visible(principal, uow.declarations.get(request.mrn), request.mrn)
        now = ctx.clock()
        event = answer_event(record.status, answer, principal.name, now)
        answered = replace(
            request, answered_by=principal.name, answered_at=now, answer=event.reason
        )
        if not uow.reviews.answer(answered):
            raise AlreadyAnswered(f"Review request {request_id} was answered already.")
        changed = replace(record, updated_at=now, version=record.version + 1)
        uow.declarations.update(changed, expected_version=record.version)
        publish(uow, ctx.exchange, [(changed, event)])
        uow.commit()
        return answered


def pending_reviews(principal: Principal, ctx: NodeContext) -> list[ReviewRequest]:
    """Review requests no officer has answered yet, the newest first."""
    require(principal, Capability.ACT_ON_DECLARATION)
    with ctx.uow() as uow:
        return uow.reviews.pending(MAX_PENDING)


def reviews_of(mrns: list[str], ctx: NodeContext) -> list[ReviewRequest]:
    """The review requests of declarations the caller has been shown, newest first."""
    if not mrns:
        return []
    with ctx.uow() as uow:
        found = uow.reviews.of_declarations(mrns)
    return sorted(found, key=lambda r: r.asked_at, reverse=True)


def offer_guarantee(
    mrn: str,
    reference: str,
    principal: Principal,
    ctx: NodeContext,
    expected_version: int | None = None,
) -> DeclarationRecord:
    """The lodging trader records a bank guarantee's reference for an officer to check and
    record as cover; the same reference again changes nothing."""
    _owned(mrn, principal, ctx, expected_version)
    with ctx.uow() as uow:
        record = ensure_visible(principal, uow.declarations.get(mrn), mrn)
        now = ctx.clock()
        event = guarantee_event(record.status, reference, principal.name, now)
        if any(
            e.action == event.action and e.reason == event.reason
            for e in uow.declarations.events(mrn)
        ):
            return record
        changed = replace(record, updated_at=now, version=record.version + 1)
        uow.declarations.update(changed, expected_version=record.version)
        publish(uow, ctx.exchange, [(changed, event)])
        uow.commit()
        return changed
