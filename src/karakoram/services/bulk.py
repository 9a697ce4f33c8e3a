"""Bulk lodgement from a file: a bad declaration never blocks the good ones, and none is ever
half-stored. Declarations are validated one by one and stored in batches, one transaction each.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from itertools import islice

from karakoram.domain.access import Principal, Role, require_role
from karakoram.domain.clearance import DeclarationEvent
from karakoram.domain.declaration.documents import SourceDocument
from karakoram.domain.declaration.model import Declaration, DeclarationRecord, content_digest
from karakoram.domain.errors import FieldError, LrnConflict, ValidationFailed
from karakoram.services.assessment import Assessor
from karakoram.services.context import NodeContext
from karakoram.services.declarations import (
    lodge_declaration,
    new_record,
    store_new_records,
    validate_for,
)
from karakoram.services.records import AssessmentRecord, DuplicateLrn, StoredLrn


class Outcome(StrEnum):
    CREATED = "created"
    EXISTING = "existing"
    REJECTED = "rejected"
    CONFLICT = "conflict"


@dataclass(frozen=True, slots=True)
class ImportResult:
    location: str
    lrn: str | None
    outcome: Outcome
    mrn: str | None = None
    errors: list[FieldError] = field(default_factory=list)


def _batched(items: Iterable[SourceDocument], size: int) -> Iterator[tuple[SourceDocument, ...]]:
    iterator = iter(items)
    while batch := tuple(islice(iterator, size)):
        yield batch


def import_declarations(
    documents: Iterable[SourceDocument],
    principal: Principal,
    ctx: NodeContext,
    batch_size: int = 500,
) -> Iterator[ImportResult]:
    """Lodge every document, yielding one result per document in file order."""
    require_role(principal, Role.TRADER)
    for batch in _batched(documents, batch_size):
        checked = check_batch(principal, batch, ctx)
        yield from _import_batch(batch, checked, principal, ctx)


def _lrn_of(doc: SourceDocument) -> str | None:
    lrn = doc.data.get("lrn") if isinstance(doc.data, dict) else None
    return lrn if isinstance(lrn, str) else None


#: a checked document: the declaration and its content digest, or why it was refused
Checked = tuple[Declaration, str] | list[FieldError]


def check_batch(
    principal: Principal, batch: Sequence[SourceDocument], ctx: NodeContext
) -> list[Checked]:
    """Validate and digest each document of a batch."""
    out: list[Checked] = []
    for doc in batch:
        if doc.errors:
            out.append(doc.errors)
            continue
        try:
            declaration = validate_for(principal, doc.data, ctx)
        except ValidationFailed as failed:
            out.append(failed.errors)
            continue
        out.append((declaration, content_digest(declaration)))
    return out


def _import_batch(
    batch: tuple[SourceDocument, ...],
    checked: list[Checked],
    principal: Principal,
    ctx: NodeContext,
) -> list[ImportResult]:
    results: list[ImportResult | None] = [None] * len(batch)
    valid: list[tuple[int, Declaration, str]] = []
    for n, (doc, outcome) in enumerate(zip(batch, checked, strict=True)):
        if isinstance(outcome, list):
            results[n] = ImportResult(doc.location, _lrn_of(doc), Outcome.REJECTED, errors=outcome)
        else:
            valid.append((n, *outcome))
    try:
        _store_batch(batch, valid, results, principal, ctx)
    except DuplicateLrn:
        _store_one_by_one(batch, valid, results, principal, ctx)
    return [r for r in results if r is not None]


def _store_batch(
    batch: tuple[SourceDocument, ...],
    valid: list[tuple[int, Declaration, str]],
    results: list[ImportResult | None],
    principal: Principal,
    ctx: NodeContext,
) -> None:
    assert principal.party is not None
    lodged: list[tuple[DeclarationRecord, AssessmentRecord | None, list[DeclarationEvent]]] = []
    with ctx.uow() as uow:
        known = uow.declarations.stored_lrns(principal.party, [d.lrn for _, d, _ in valid])
        assessor = Assessor(uow, ctx)
        for n, declaration, digest in valid:
            location = batch[n].location
            seen = known.get(declaration.lrn)
            if seen is not None:
                results[n] = _resubmission(location, declaration.lrn, seen, digest)
                continue
            record, events = new_record(declaration, principal, ctx, digest)
            try:
                record, assessment, assessed = assessor.assess(record)
            except ValidationFailed as failed:
                results[n] = ImportResult(
                    location, declaration.lrn, Outcome.REJECTED, errors=failed.errors
                )
                continue
            lodged.append((record, assessment, events + assessed))
            known[declaration.lrn] = StoredLrn(record.mrn, digest)
            results[n] = ImportResult(location, declaration.lrn, Outcome.CREATED, record.mrn)
        store_new_records(uow, ctx, lodged)
        uow.commit()


def _resubmission(location: str, lrn: str, seen: StoredLrn, digest: str) -> ImportResult:
    if seen.digest == digest:
        return ImportResult(location, lrn, Outcome.EXISTING, seen.mrn)
    conflict = LrnConflict(lrn, seen.mrn)
    return ImportResult(
        location,
        lrn,
        Outcome.CONFLICT,
        seen.mrn,
        [FieldError("lrn_conflict", "/lrn", conflict.detail)],
    )


def _store_one_by_one(
    batch: tuple[SourceDocument, ...],
    valid: list[tuple[int, Declaration, str]],
    results: list[ImportResult | None],
    principal: Principal,
    ctx: NodeContext,
) -> None:
    """Slow path after a concurrent lodgement took one of the batch's LRNs."""
    for n, declaration, _ in valid:
        location = batch[n].location
        try:
            lodged = lodge_declaration(batch[n].data, principal, ctx)
        except LrnConflict as conflict:
            results[n] = ImportResult(
                location,
                declaration.lrn,
                Outcome.CONFLICT,
                conflict.mrn,
                [FieldError("lrn_conflict", "/lrn", conflict.detail)],
            )
            continue
        outcome = Outcome.CREATED if lodged.created else Outcome.EXISTING
        results[n] = ImportResult(location, declaration.lrn, outcome, lodged.record.mrn)
