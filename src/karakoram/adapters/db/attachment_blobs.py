"""Attached documents' bytes by SHA-256 (`AttachmentStore`): in the database on PostgreSQL, so
that every host behind the load balancer reads them; in a folder beside the SQLite file.

Each `put` is a short transaction of its own, before the attachment's event is recorded (see
services/attachments.py): bytes that nothing names are harmless, and the same bytes are kept
once whichever way they came.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

from sqlalchemy import Column, Engine, LargeBinary, String, Table, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from karakoram.adapters.db.tables import metadata

attachment_blobs = Table(
    "attachment_blobs",
    metadata,
    Column("sha256", String(64), primary_key=True),
    Column("content", LargeBinary, nullable=False),
)

_SHA = re.compile(r"^[0-9a-f]{64}$")


def _checked(sha256: str) -> str:
    if not _SHA.match(sha256):
        raise ValueError(f"not a SHA-256 in hex: {sha256[:70]!r}")
    return sha256


class SqlAttachmentStore:
    """Bytes in the `attachment_blobs` table."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def put(self, sha256: str, content: bytes) -> None:
        insert = pg_insert if self._engine.dialect.name == "postgresql" else sqlite_insert
        statement = insert(attachment_blobs).values(sha256=_checked(sha256), content=content)
        with self._engine.begin() as conn:
            conn.execute(statement.on_conflict_do_nothing(index_elements=["sha256"]))

    def get(self, sha256: str) -> bytes | None:
        if not _SHA.match(sha256):
            return None
        with self._engine.connect() as conn:
            row = conn.execute(
                select(attachment_blobs.c.content).where(attachment_blobs.c.sha256 == sha256)
            ).first()
        return None if row is None else bytes(row.content)


class FileAttachmentStore:
    """Bytes in files named by their hash, in a folder readable by the node's user only."""

    def __init__(self, folder: Path) -> None:
        self._folder = folder

    def _path(self, sha256: str) -> Path:
        return self._folder / sha256[:2] / _checked(sha256)

    def put(self, sha256: str, content: bytes) -> None:
        path = self._path(sha256)
        if path.exists():
            return
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        partial = path.with_name(f".{sha256}.{os.getpid()}.part")
        fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as out:
            out.write(content)
            out.flush()
            os.fsync(out.fileno())
        os.replace(partial, path)  # atomic: a reader sees all of the file or none

    def get(self, sha256: str) -> bytes | None:
        if not _SHA.match(sha256):
            return None
        path = self._path(sha256)
        return path.read_bytes() if path.exists() else None
