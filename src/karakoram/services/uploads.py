"""Large uploads as background jobs (issue 14): the file is stored first, then imported.

`submit_upload` reads the file once (an unreadable one is refused at once, nothing stored) and
stores it as a queued job in one transaction. A worker (`run_next_upload`) takes the oldest
job, or one left running by a worker whose lease ran out (a node stopped mid-job), and imports
it with the same rules as the synchronous path (services/bulk.py):

- all or nothing: the file is checked in steps of `PROGRESS_EVERY` documents, each step
  recorded as progress, then stored in one transaction that also records every line's outcome
  and ends the job; a crash before that commit leaves nothing, and the job is run again;
- partial: each batch of `PROGRESS_EVERY` documents is stored in one transaction that also
  records its lines' outcomes and the job's progress, so a job taken up again starts after the
  last batch stored and lodges nothing twice (the LRN's idempotency guards as well).

Every write of a worker names its attempt; once another worker has taken the job, the write
changes nothing and the batch is rolled back (`LostJob`).
"""

from __future__ import annotations

import io
import logging
import uuid
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from itertools import islice
from typing import Any

from karakoram.domain.access import Principal, Role, require_role
from karakoram.domain.declaration.documents import SourceDocument
from karakoram.domain.declaration.files import read_documents
from karakoram.domain.errors import FieldError, NotFound, ValidationFailed
from karakoram.services.bulk import (
    REFUSED,
    ImportResult,
    Outcome,
    batched,
    check_batch,
    readable,
    refuse_invalid,
    store_batch,
    store_one_by_one,
)
from karakoram.services.context import NodeContext
from karakoram.services.ports import UnitOfWork
from karakoram.services.records import DuplicateLrn, JobStatus, UploadJob

log = logging.getLogger(__name__)

#: documents between two records of a job's progress (and a partial job's batch size)
PROGRESS_EVERY = 200
#: a job that stopped its worker this many times is given up as failed
MAX_ATTEMPTS = 5


class LostJob(Exception):
    """Another worker took the job (this one's lease ran out): stop, change nothing more."""


def real_now() -> datetime:
    """Leases are measured on the real clock, even on a node with a simulated one."""
    return datetime.now(UTC)


def count_lines(data: bytes) -> int:
    """Lines in an uploaded file (the last one need not end in a newline)."""
    return data.count(b"\n") + (0 if data.endswith(b"\n") or not data else 1)


def submit_upload(
    data: bytes, fmt: str, partial: bool, principal: Principal, ctx: NodeContext
) -> UploadJob:
    """Store a file as a queued job for the upload worker; a file that cannot be read (or a
    CSV whose columns are wrong) is refused (`ValidationFailed`) and nothing is stored; a bad
    line is reported in the job's result, as in the synchronous answer."""
    require_role(principal, Role.TRADER)
    total, whole_file = 0, []
    for doc in readable(read_documents(io.BytesIO(data), fmt)):
        total += 1
        whole_file += [e for e in doc.errors if e.pointer.startswith("/columns")]
    if whole_file:  # a CSV whose columns are wrong: no line of it can be read
        raise ValidationFailed(whole_file)
    job = UploadJob(
        str(uuid.uuid4()),
        principal.user_id,
        principal.name,
        principal.role.value,
        principal.party,
        fmt,
        partial,
        JobStatus.QUEUED,
        total,
        created_at=ctx.clock(),
    )
    with ctx.uow() as uow:
        uow.uploads.add(job, data)
        uow.commit()
    return job


@dataclass(frozen=True, slots=True)
class UploadView:
    """A job as its owner sees it; `results` once it has finished."""

    job: UploadJob
    results: list[ImportResult] | None


def get_upload(job_id: str, principal: Principal, ctx: NodeContext) -> UploadView:
    """The job, for the user who submitted it or a supervisor; anyone else: `NotFound`."""
    with ctx.uow() as uow:
        job = uow.uploads.get(job_id)
        if job is None or not (
            job.user_id == principal.user_id or principal.role is Role.SUPERVISOR
        ):
            raise NotFound(f"No upload job {job_id}.")
        finished = job.status in (JobStatus.DONE, JobStatus.FAILED)
        lines = uow.uploads.lines(job_id) if finished else None
    return UploadView(job, None if lines is None else [result_of(d) for d in lines])


def result_of(d: Mapping[str, Any]) -> ImportResult:
    errors = [FieldError(e["code"], e["pointer"], e["message"]) for e in d["errors"]]
    return ImportResult(d["location"], d["lrn"], Outcome(d["outcome"]), d["mrn"], errors)


def run_next_upload(ctx: NodeContext, lease: float, now: Callable[[], datetime] = real_now) -> bool:
    """Take the next job and import it; False when there was none. An unexpected error hands
    the job back at once (and is raised for the worker's supervision to log)."""
    with ctx.uow() as uow:
        job = uow.uploads.claim(now(), now() + timedelta(seconds=lease))
        uow.commit()
    if job is None:
        return False
    run = _JobRun(job, ctx, lease, now)
    if job.attempt > MAX_ATTEMPTS:
        run.end(JobStatus.FAILED, f"Stopped after {MAX_ATTEMPTS} attempts (in the node's log).")
        return True
    try:
        run.run()
    except LostJob:
        log.warning("upload job %s was taken by another worker", job.id)
    except Exception:
        with ctx.uow() as uow:
            uow.uploads.release(job.id, job.attempt)
            uow.commit()
        raise
    return True


@dataclass
class _JobRun:
    """One worker's attempt at one job."""

    job: UploadJob
    ctx: NodeContext
    lease: float
    now: Callable[[], datetime]

    def run(self) -> None:
        job = self.job
        principal = Principal(job.user_id, job.user_name, Role(job.role), job.party)
        with self.ctx.uow() as uow:
            data = uow.uploads.content(job.id)
        documents = readable(read_documents(io.BytesIO(data), job.format))
        if job.partial:
            self._partial(documents, principal)
        else:
            self._atomic(documents, principal)

    def _lease_until(self) -> datetime:
        return self.now() + timedelta(seconds=self.lease)

    def _record(self, uow: UnitOfWork, start: int, results: list[ImportResult]) -> None:
        lines = [r.as_dict() for r in results]
        if not uow.uploads.record(self.job.id, self.job.attempt, start, lines, self._lease_until()):
            raise LostJob(self.job.id)

    def end(
        self, status: JobStatus, error: str | None = None, uow: UnitOfWork | None = None
    ) -> None:
        """Finish the job, in `uow` (committed by its owner) or in a transaction of its own."""
        if uow is not None:
            if not uow.uploads.finish(
                self.job.id, self.job.attempt, status, self.ctx.clock(), error
            ):
                raise LostJob(self.job.id)
            return
        with self.ctx.uow() as own:
            self.end(status, error, own)
            own.commit()

    def _partial(self, documents: Iterator[SourceDocument], principal: Principal) -> None:
        start = self.job.lines_done  # taken up again: the batches stored before are skipped
        for batch in batched(islice(documents, start, None), PROGRESS_EVERY):
            checked = check_batch(principal, batch, self.ctx)
            results: list[ImportResult | None] = [None] * len(batch)
            valid = refuse_invalid(batch, checked, results)

            def record(uow: UnitOfWork, done: list[ImportResult], at: int = start) -> None:
                self._record(uow, at, done)

            try:
                store_batch(batch, valid, results, principal, self.ctx, within=record)
            except DuplicateLrn:  # a concurrent lodgement: line by line, then the record
                store_one_by_one(batch, valid, results, principal, self.ctx)
                with self.ctx.uow() as uow:
                    record(uow, [r for r in results if r is not None])
                    uow.commit()
            start += len(batch)
        self.end(JobStatus.DONE)

    def _atomic(self, documents: Iterator[SourceDocument], principal: Principal) -> None:
        batch: tuple[SourceDocument, ...] = ()
        checked: list[Any] = []
        for step in batched(documents, PROGRESS_EVERY):
            batch += step
            checked += check_batch(principal, step, self.ctx)
            with self.ctx.uow() as uow:
                if not uow.uploads.progress(
                    self.job.id, self.job.attempt, len(batch), self._lease_until()
                ):
                    raise LostJob(self.job.id)
                uow.commit()
        results: list[ImportResult | None] = [None] * len(batch)
        valid = refuse_invalid(batch, checked, results)

        def finish(uow: UnitOfWork, done: list[ImportResult]) -> None:
            self._record(uow, 0, done)
            self.end(JobStatus.DONE, uow=uow)

        for _ in range(2):  # a concurrent lodgement of one of its LRNs: look again, once
            try:
                if store_batch(batch, valid, results, principal, self.ctx, True, finish):
                    return
                break
            except DuplicateLrn:
                continue
        else:
            self.end(JobStatus.FAILED, "A concurrent upload took some of the file's LRNs.")
            return
        # as the synchronous answer (422): nothing stored, each refused line with its errors
        refused = [r for r in results if r is not None and r.outcome in REFUSED]
        with self.ctx.uow() as uow:
            self._record(uow, 0, refused)
            detail = f"{len(refused)} declarations refused: nothing was stored."
            self.end(JobStatus.FAILED, detail, uow)
            uow.commit()
