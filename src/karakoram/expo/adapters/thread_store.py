"""The business-discussion half of the expo's unit of work: hash-chained thread entries with
their receipts, and attachments by content hash."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, func, insert, select, update
from sqlalchemy.exc import IntegrityError

from karakoram.expo.adapters import tables as t
from karakoram.expo.services.records import DuplicateEntry, ThreadEntry


def _entry(r: Any) -> ThreadEntry:
    return ThreadEntry(
        r.suggestion_id, r.seq, r.author_id, r.ref, dict(r.body), r.prev_hash, r.hash, r.receipt
    )


class ThreadStore:
    conn: Connection

    def lock_thread(self, suggestion_id: int) -> None:
        """Take the thread's write lock before reading it, so two messages to one thread
        append in turn: a no-op update of the match's row (PostgreSQL locks the row; SQLite
        takes its one write lock, so the reads after it see the other's message)."""
        c = t.suggestions.c
        self.conn.execute(update(t.suggestions).where(c.id == suggestion_id).values(id=c.id))

    def thread(self, suggestion_id: int) -> list[ThreadEntry]:
        c = t.thread_entries.c
        rows = self.conn.execute(
            select(t.thread_entries).where(c.suggestion_id == suggestion_id).order_by(c.seq)
        )
        return [_entry(r) for r in rows]

    def thread_entry_by_ref(
        self, suggestion_id: int, author_id: int, ref: str
    ) -> ThreadEntry | None:
        c = t.thread_entries.c
        where = (c.suggestion_id == suggestion_id) & (c.author_id == author_id) & (c.ref == ref)
        row = self.conn.execute(select(t.thread_entries).where(where)).first()
        return None if row is None else _entry(row)

    def thread_length(self, suggestion_id: int) -> int:
        c = t.thread_entries.c
        found = self.conn.execute(
            select(func.count())
            .select_from(t.thread_entries)
            .where(c.suggestion_id == suggestion_id)
        ).scalar_one()
        return int(found)

    def add_thread_entry(self, e: ThreadEntry, files: dict[str, tuple[str, bytes]]) -> None:
        """Append `e` with its attachments (sha256 -> (media type, content)); DuplicateEntry
        when another message took its place or its ref first."""
        a = t.thread_attachments.c
        try:
            with self.conn.begin_nested():
                self.conn.execute(
                    insert(t.thread_entries).values(
                        suggestion_id=e.suggestion_id, seq=e.seq, author_id=e.author_id,
                        ref=e.ref, body=e.body, prev_hash=e.prev_hash, hash=e.hash,
                        receipt=e.receipt,
                    )
                )  # fmt: skip
                for sha, (media, content) in files.items():
                    held = self.conn.execute(
                        select(a.sha256).where(
                            (a.suggestion_id == e.suggestion_id) & (a.sha256 == sha)
                        )
                    ).first()
                    if held is None:
                        self.conn.execute(
                            insert(t.thread_attachments).values(
                                suggestion_id=e.suggestion_id, sha256=sha, media_type=media,
                                content=content,
                            )
                        )  # fmt: skip
        except IntegrityError as exc:
            raise DuplicateEntry(e.ref) from exc

    def thread_attachment(self, suggestion_id: int, sha256: str) -> tuple[str, bytes] | None:
        a = t.thread_attachments.c
        row = self.conn.execute(
            select(a.media_type, a.content).where(
                (a.suggestion_id == suggestion_id) & (a.sha256 == sha256)
            )
        ).first()
        return None if row is None else (row.media_type, bytes(row.content))
