"""Bulk lodgement from a file, all or nothing (`import_file`, the API's default) or explicitly
partial (`import_declarations`): a bad declaration never blocks the good ones, and the result
lists every stored and every refused line. Either way none is ever half-stored.

All or nothing validates and assesses the whole file and stores it in one transaction, or
stores nothing and says which lines were refused. Partial stores in batches, one transaction
each; when a batch fails unexpectedly, it is rolled back, its lines and the rest of the file
are reported as not stored, and the results say so, so that no client is told "failed" about
batches that were committed.
"""

from __future__ import annotations

import csv
import logging
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from itertools import islice
from typing import Any

from karakoram.domain.access import Principal, Role, require_role
from karakoram.domain.clearance import DeclarationEvent
from karakoram.domain.declaration.documents import SourceDocument
from karakoram.domain.declaration.model import Declaration, DeclarationRecord
from karakoram.domain.errors import Conflict, FieldError, LrnConflict, ValidationFailed
from karakoram.services.assessment import Assessor
from karakoram.services.context import NodeContext
from karakoram.services.declarations import (
    lodge_declaration,
    new_record,
    not_represented,
    store_new_records,
    validate_for,
)
from karakoram.services.digests import declaration_digest
from karakoram.services.ports import UnitOfWork
from karakoram.services.records import AssessmentRecord, DuplicateLrn, StoredLrn

log = logging.getLogger(__name__)


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

    def as_dict(self) -> dict[str, Any]:
        """The plain form a report line or a stored job result holds."""
        return {
            "location": self.location,
            "lrn": self.lrn,
            "outcome": self.outcome.value,
            "mrn": self.mrn,
            "errors": [e.as_dict() for e in self.errors],
        }


def batched(items: Iterable[SourceDocument], size: int) -> Iterator[tuple[SourceDocument, ...]]:
    iterator = iter(items)
    while batch := tuple(islice(iterator, size)):
        yield batch


def import_declarations(
    documents: Iterable[SourceDocument],
    principal: Principal,
    ctx: NodeContext,
    batch_size: int = 500,
) -> Iterator[ImportResult]:
    """Lodge every document, yielding one result per document in file order (partial: each
    batch is stored on its own)."""
    require_role(principal, Role.TRADER)
    for batch in batched(documents, batch_size):
        checked = check_batch(principal, batch, ctx)
        yield from _import_batch(batch, checked, principal, ctx)


#: outcomes that refuse a line
REFUSED = frozenset({Outcome.REJECTED, Outcome.CONFLICT})


@dataclass(frozen=True, slots=True)
class FileImport:
    """What became of a file: one result per document, and whether anything was stored."""

    results: list[ImportResult]
    #: all or nothing: False when a refused line kept the whole file out
    stored: bool


def import_file(
    documents: Iterable[SourceDocument],
    principal: Principal,
    ctx: NodeContext,
    *,
    partial: bool = False,
    batch_size: int = 500,
) -> FileImport:
    """Import a whole file: all or nothing, or (`partial`) every good line with every refused
    one listed. An unexpected error stores nothing more and is reported, never half-done."""
    require_role(principal, Role.TRADER)
    if partial:
        return FileImport(_import_partial(readable(documents), principal, ctx, batch_size), True)
    batch = tuple(readable(documents))
    checked = check_batch(principal, batch, ctx)
    results: list[ImportResult | None] = [None] * len(batch)
    valid = refuse_invalid(batch, checked, results)
    for _ in range(2):  # a concurrent lodgement of one of its LRNs: look again, once
        try:
            stored = store_batch(batch, valid, results, principal, ctx, atomic=True)
            break
        except DuplicateLrn:
            continue
    else:
        raise Conflict("A concurrent upload took some of the file's LRNs: send it again.")
    return FileImport([r for r in results if r is not None], stored)


def _import_partial(
    documents: Iterator[SourceDocument], principal: Principal, ctx: NodeContext, batch_size: int
) -> list[ImportResult]:
    results: list[ImportResult] = []
    batch: tuple[SourceDocument, ...] = ()
    try:
        for batch in batched(documents, batch_size):
            results += _import_batch(batch, check_batch(principal, batch, ctx), principal, ctx)
            batch = ()
    except Exception as exc:  # the batch rolled back; earlier ones stand, reported as stored
        log.exception("bulk import stopped after %d documents", len(results))
        stopped = [
            FieldError(
                "import_stopped",
                "",
                "Not stored: the import stopped on an unexpected error (in the node's log); "
                "the lines before were stored. Send this line and the rest again.",
            )
        ]
        if isinstance(exc, ValidationFailed):
            stopped = exc.errors
        results += [ImportResult(d.location, _lrn_of(d), Outcome.REJECTED, errors=stopped)
                    for d in batch]  # fmt: skip
        results.append(ImportResult("rest of the file", None, Outcome.REJECTED, errors=stopped))
    return results


def readable(documents: Iterable[SourceDocument]) -> Iterator[SourceDocument]:
    """The documents; a file that cannot be read on (bad encoding, broken CSV) is a
    `ValidationFailed` saying after which document, not an unexpected error."""
    iterator, n = iter(documents), 0
    while True:
        try:
            doc = next(iterator)
        except StopIteration:
            return
        except (UnicodeDecodeError, ValueError, csv.Error) as exc:
            detail = f"The file cannot be read after {n} documents: {str(exc)[:120]}"
            raise ValidationFailed([FieldError("unreadable_file", "", detail)]) from exc
        n += 1
        yield doc


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
        out.append((declaration, declaration_digest(declaration)))
    return out


def _import_batch(
    batch: tuple[SourceDocument, ...],
    checked: list[Checked],
    principal: Principal,
    ctx: NodeContext,
) -> list[ImportResult]:
    results: list[ImportResult | None] = [None] * len(batch)
    valid = refuse_invalid(batch, checked, results)
    try:
        store_batch(batch, valid, results, principal, ctx)
    except DuplicateLrn:
        store_one_by_one(batch, valid, results, principal, ctx)
    return [r for r in results if r is not None]


def refuse_invalid(
    batch: tuple[SourceDocument, ...], checked: list[Checked], results: list[ImportResult | None]
) -> list[tuple[int, Declaration, str]]:
    """Record the refusals of invalid documents; the valid ones, with their index."""
    valid: list[tuple[int, Declaration, str]] = []
    for n, (doc, outcome) in enumerate(zip(batch, checked, strict=True)):
        if isinstance(outcome, list):
            results[n] = ImportResult(doc.location, _lrn_of(doc), Outcome.REJECTED, errors=outcome)
        else:
            valid.append((n, *outcome))
    return valid


def store_batch(
    batch: tuple[SourceDocument, ...],
    valid: list[tuple[int, Declaration, str]],
    results: list[ImportResult | None],
    principal: Principal,
    ctx: NodeContext,
    atomic: bool = False,
    within: Callable[[UnitOfWork, list[ImportResult]], None] | None = None,
) -> bool:
    """Assess and store the valid documents in one transaction; `atomic`: only when no line
    of the batch is refused (whether it was stored). `within` is given every line's result
    just before the commit, to record it in the same transaction (an upload job's progress);
    what it raises rolls the batch back."""
    assert principal.party is not None
    lodged: list[tuple[DeclarationRecord, AssessmentRecord | None, list[DeclarationEvent]]] = []
    with ctx.uow() as uow:
        known = uow.declarations.stored_lrns(principal.party, [d.lrn for _, d, _ in valid])
        assessor = Assessor(uow, ctx)
        given = uow.register.mandates(principal.party)
        for n, declaration, digest in valid:
            location = batch[n].location
            seen = known.get(declaration.lrn)
            if seen is not None:
                results[n] = _resubmission(location, declaration.lrn, seen, digest)
                continue
            refused = not_represented(given, principal, declaration, ctx.clock())
            if refused is not None:
                results[n] = ImportResult(
                    location, declaration.lrn, Outcome.REJECTED, errors=[refused]
                )
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
        if atomic and any(r is not None and r.outcome in REFUSED for r in results):
            return False  # rolled back: nothing of the file is stored
        store_new_records(uow, ctx, lodged)
        if within is not None:
            within(uow, [r for r in results if r is not None])
        uow.commit()
    return True


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


def store_one_by_one(
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
