"""The listings' pictures in the expo's unit of work (issue 18): their own table, each
picture once per listing by its SHA-256."""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime

from sqlalchemy import (
    Column,
    Connection,
    ForeignKey,
    Integer,
    LargeBinary,
    String,
    Table,
    delete,
    insert,
    select,
)
from sqlalchemy.exc import IntegrityError

from karakoram.expo.adapters.tables import TS, metadata
from karakoram.expo.services.records import DuplicatePicture

listing_pictures = Table(
    "listing_pictures",
    metadata,
    Column("listing_id", ForeignKey("listings.id"), primary_key=True),
    Column("sha256", String(64), primary_key=True),
    Column("media_type", String(20), nullable=False),
    Column("size", Integer, nullable=False),
    Column("content", LargeBinary, nullable=False),
    Column("created_at", TS, nullable=False),
)


class PictureStore:
    conn: Connection

    def pictures_of(self, listing_ids: Collection[int]) -> dict[int, list[str]]:
        """Each listing's pictures (their SHA-256), oldest first."""
        c = listing_pictures.c
        wanted = sorted(set(listing_ids))
        found: dict[int, list[str]] = {i: [] for i in wanted}
        if not wanted:
            return found
        rows = self.conn.execute(
            select(c.listing_id, c.sha256)
            .where(c.listing_id.in_(wanted))
            .order_by(c.created_at, c.sha256)
        )
        for r in rows:
            found[r.listing_id].append(r.sha256)
        return found

    def picture(self, listing_id: int, sha256: str) -> tuple[str, bytes] | None:
        c = listing_pictures.c
        row = self.conn.execute(
            select(c.media_type, c.content).where(
                (c.listing_id == listing_id) & (c.sha256 == sha256)
            )
        ).first()
        return None if row is None else (row.media_type, bytes(row.content))

    def add_picture(
        self, listing_id: int, sha256: str, media_type: str, content: bytes, at: datetime
    ) -> None:
        """`DuplicatePicture` when the listing holds this picture already."""
        try:
            with self.conn.begin_nested():
                self.conn.execute(
                    insert(listing_pictures).values(
                        listing_id=listing_id, sha256=sha256, media_type=media_type,
                        size=len(content), content=content, created_at=at,
                    )
                )  # fmt: skip
        except IntegrityError as exc:
            raise DuplicatePicture(sha256) from exc

    def drop_picture(self, listing_id: int, sha256: str) -> bool:
        c = listing_pictures.c
        where = (c.listing_id == listing_id) & (c.sha256 == sha256)
        return bool(self.conn.execute(delete(listing_pictures).where(where)).rowcount)
