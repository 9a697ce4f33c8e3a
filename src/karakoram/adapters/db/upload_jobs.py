"""Upload jobs in the database: the stored file, the progress and each document's outcome.

Every change a worker makes is conditioned on its `attempt`: a worker whose lease ran out and
whose job another took changes nothing, and the caller rolls its transaction back.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, and_, insert, or_, select, update
from sqlalchemy.engine import Row

from karakoram.adapters.db.tables import upload_job_results, upload_jobs
from karakoram.services.records import JobStatus, UploadJob

_FIELDS = [c for c in upload_jobs.c if c.name != "content"]


def _job(row: Row[Any]) -> UploadJob:
    values = row._mapping
    return UploadJob(
        **{c.name: values[c.name] for c in _FIELDS} | {"status": JobStatus(row.status)}
    )


class SqlUploadJobRepository:
    """`UploadJobRepository` on the unit of work's connection."""

    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    def add(self, job: UploadJob, content: bytes) -> None:
        values = {c.name: getattr(job, c.name) for c in _FIELDS}
        self._conn.execute(insert(upload_jobs).values(**values, content=content))

    def get(self, job_id: str) -> UploadJob | None:
        row = self._conn.execute(select(*_FIELDS).where(upload_jobs.c.id == job_id)).first()
        return _job(row) if row is not None else None

    def content(self, job_id: str) -> bytes:
        data = self._conn.execute(
            select(upload_jobs.c.content).where(upload_jobs.c.id == job_id)
        ).scalar_one()
        return bytes(data)

    def claim(self, now: datetime, lease_until: datetime) -> UploadJob | None:
        """The oldest job queued, or left running by a worker whose lease ran out."""
        c = upload_jobs.c
        waiting = or_(
            c.status == JobStatus.QUEUED.value,
            and_(
                c.status == JobStatus.RUNNING.value,
                or_(c.lease_until.is_(None), c.lease_until < now),
            ),
        )
        row = self._conn.execute(
            select(*_FIELDS).where(waiting).order_by(c.created_at, c.id).limit(1)
        ).first()
        if row is None:
            return None
        taken = self._conn.execute(
            update(upload_jobs)
            .where(c.id == row.id, c.attempt == row.attempt)
            .values(
                status=JobStatus.RUNNING.value, attempt=row.attempt + 1, lease_until=lease_until
            )
        )
        return self.get(row.id) if taken.rowcount == 1 else None

    def progress(self, job_id: str, attempt: int, done: int, lease_until: datetime) -> bool:
        return self._mine(job_id, attempt, lines_done=done, lease_until=lease_until)

    def record(
        self,
        job_id: str,
        attempt: int,
        start: int,
        lines: Sequence[Mapping[str, Any]],
        lease_until: datetime,
    ) -> bool:
        if not self._mine(job_id, attempt, lines_done=start + len(lines), lease_until=lease_until):
            return False
        if lines:
            self._conn.execute(
                insert(upload_job_results),
                [
                    {"job_id": job_id, "position": start + n, "result": dict(line)}
                    for n, line in enumerate(lines)
                ],
            )
        return True

    def finish(
        self, job_id: str, attempt: int, status: str, at: datetime, error: str | None = None
    ) -> bool:
        return self._mine(
            job_id, attempt, status=status, finished_at=at, error=error, lease_until=None
        )

    def release(self, job_id: str, attempt: int) -> None:
        self._mine(job_id, attempt, lease_until=None)

    def lines(self, job_id: str) -> list[dict[str, Any]]:
        rows = self._conn.execute(
            select(upload_job_results.c.result)
            .where(upload_job_results.c.job_id == job_id)
            .order_by(upload_job_results.c.position)
        ).scalars()
        return [dict(r) for r in rows]

    def _mine(self, job_id: str, attempt: int, **values: Any) -> bool:
        c = upload_jobs.c
        done = self._conn.execute(
            update(upload_jobs)
            .where(c.id == job_id, c.attempt == attempt, c.status == JobStatus.RUNNING.value)
            .values(**values)
        )
        return done.rowcount == 1
