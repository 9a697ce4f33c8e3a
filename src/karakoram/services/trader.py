"""The trader's side of clearance beyond lodging: HS code search over the node's loaded
nomenclature, and answering an officer's request for documents."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from decimal import Decimal

from karakoram.domain.access import (
    Capability,
    Principal,
    Role,
    ensure_can_change,
    ensure_visible,
    require,
)
from karakoram.domain.clearance import DeclarationEvent
from karakoram.domain.declaration.answers import answer_event, answers_to, open_request
from karakoram.domain.declaration.codes import HsNomenclature
from karakoram.domain.declaration.model import DeclarationRecord
from karakoram.domain.errors import StaleVersion
from karakoram.services.context import NodeContext
from karakoram.services.exchange.emit import publish
from karakoram.services.queries import ClearanceView, redact_timeline
from karakoram.services.records import AssessmentRecord

MAX_SUGGESTIONS = 50


@dataclass(frozen=True, slots=True)
class HsSuggestion:
    code: str
    description: str


def search_hs(text: str, ctx: NodeContext, limit: int = 20) -> list[HsSuggestion]:
    """Subheadings of the loaded nomenclature whose code starts with `text` (digits, dots and
    spaces ignored) or whose description holds every word of it; codes in order."""
    nomenclature = ctx.codes.nomenclature
    query = text.strip().lower()
    if not isinstance(nomenclature, HsNomenclature) or not query:
        return []
    limit = max(1, min(limit, MAX_SUGGESTIONS))
    digits = query.replace(".", "").replace(" ", "")
    if digits.isdigit():
        prefix = digits[:6]
        found = [c for c in nomenclature.descriptions if c.startswith(prefix)]
    else:
        words = query.split()
        found = [
            c
            for c, description in nomenclature.descriptions.items()
            if all(w in description.lower() for w in words)
        ]
    return [HsSuggestion(c, nomenclature.descriptions[c]) for c in sorted(found)[:limit]]


def answer_documents(
    mrn: str,
    answer: str,
    principal: Principal,
    ctx: NodeContext,
    expected_version: int | None = None,
) -> DeclarationRecord:
    """Record the lodging trader's answer to a request for documents as a timeline event.

    The declaration's version moves on, so a form sent twice (or after the officer acted) is
    refused as stale instead of answering twice."""
    require(principal, Capability.LODGE_DECLARATIONS)
    with ctx.uow() as uow:
        record = ensure_visible(principal, uow.declarations.get(mrn), mrn)
        ensure_can_change(principal, record)
        if expected_version is not None and expected_version != record.version:
            raise StaleVersion(mrn, expected_version, record.version)
        now = ctx.clock()
        event = answer_event(record.status, answer, principal.name, now)
        answered = replace(record, updated_at=now, version=record.version + 1)
        uow.declarations.update(answered, expected_version=record.version)
        publish(uow, ctx.exchange, [(answered, event)])
        uow.commit()
        return answered


@dataclass(frozen=True, slots=True)
class DocumentsRequest:
    """An open request for documents as the trader sees it."""

    asked: DeclarationEvent
    answers: list[str]
    #: only the trader who lodged the declaration answers; other parties only see it
    may_answer: bool


def documents_request(
    record: DeclarationRecord, timeline: Sequence[DeclarationEvent], principal: Principal
) -> DocumentsRequest | None:
    """The request for documents the declaration waits on, if any."""
    asked = open_request(timeline)
    if asked is None:
        return None
    may_answer = principal.role is Role.TRADER and record.owner == principal.party
    return DocumentsRequest(asked, answers_to(asked, timeline), may_answer)


@dataclass(frozen=True, slots=True)
class Owed:
    """What the latest assessment asks for, what covers it and what is left."""

    assessment: AssessmentRecord | None
    due: Decimal
    covered: Decimal
    outstanding: Decimal
    currency: str


def owed(view: ClearanceView) -> Owed:
    """What is owed and why: the latest assessment's duty lines, less payments and guarantees."""
    record = view.record
    latest = view.assessments[-1] if view.assessments else None
    currency = record.due_currency or (latest.currency if latest else "")
    due = record.amount_due or Decimal(0)
    covered = sum((p.amount for p in view.payments if p.currency == currency), Decimal(0))
    return Owed(latest, due, covered, max(due - covered, Decimal(0)), currency)


def trader_timeline(events: Sequence[DeclarationEvent]) -> list[DeclarationEvent]:
    """The timeline as a trader sees it on its pages: every event, without the reasons that
    would tell which risk rules select its goods."""
    return redact_timeline(events)
