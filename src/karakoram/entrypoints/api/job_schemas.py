"""The API's shapes of an upload's report and of a large upload's job (issue 14)."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel

from karakoram.entrypoints.api.schemas import BulkOut, ImportResultOut
from karakoram.services.bulk import ImportResult
from karakoram.services.uploads import UploadView


def bulk_report(results: list[ImportResult]) -> BulkOut:
    """What an upload did: a count per outcome, and every line's result."""
    summary = {o: 0 for o in ("created", "existing", "rejected", "conflict")}
    for r in results:
        summary[r.outcome.value] += 1
    return BulkOut(summary=summary, results=[ImportResultOut.of(r) for r in results])


class UploadJobOut(BaseModel):
    """A large upload imported in the background. `result` once it has finished: done, the
    same report as a synchronous upload; failed (all or nothing), the refused lines."""

    id: str
    status: Literal["queued", "running", "done", "failed"]
    partial: bool
    lines_done: int
    lines_total: int
    created_at: datetime | None
    finished_at: datetime | None
    error: str | None
    result: BulkOut | None

    @classmethod
    def of(cls, view: UploadView) -> UploadJobOut:
        job = view.job
        return cls(
            id=job.id,
            status=job.status.value,
            partial=job.partial,
            lines_done=job.lines_done,
            lines_total=job.lines_total,
            created_at=job.created_at,
            finished_at=job.finished_at,
            error=job.error,
            result=None if view.results is None else bulk_report(view.results),
        )
