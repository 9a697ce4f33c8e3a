"""The catalogue and matching half of the expo's unit of work.

Search: on SQLite the FTS5 table `listings_fts` (trigram tokenizer) finds substrings of three
characters or more, in any script; shorter queries fall back to LIKE. On PostgreSQL one LIKE
over `search_text`, served by its GIN pg_trgm index from three characters on. The text is case
folded on the way in and on the way out.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection, and_, bindparam, delete, insert, select, text, update
from sqlalchemy.exc import IntegrityError

from karakoram.expo.adapters import tables as t
from karakoram.expo.domain.catalogue import Listing, Side
from karakoram.expo.domain.matching import OfferFacts, Score, SeekFacts
from karakoram.expo.services.records import DuplicateRef, Response, Suggestion

TRIGRAM = 3


def _like(query: str) -> str:
    escaped = query.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def _listing(r: Any) -> Listing:
    created = r.created_at if r.created_at.tzinfo else r.created_at.replace(tzinfo=UTC)
    return Listing(
        Side(r.side), r.ref, r.hs_code, dict(r.titles), r.description, r.origin,
        Decimal(r.quantity).normalize(), r.unit,
        None if r.price is None else Decimal(r.price).normalize(), r.currency,
        tuple(r.certificates), r.participant_id, r.id, created,
    )  # fmt: skip


class CatalogueStore:
    conn: Connection

    def listing_by_ref(self, participant_id: int, ref: str) -> Listing | None:
        c = t.listings.c
        r = self.conn.execute(
            select(t.listings).where((c.participant_id == participant_id) & (c.ref == ref))
        ).first()
        return None if r is None else _listing(r)

    def listings_by_id(self, ids: Collection[int]) -> dict[int, Listing]:
        c = t.listings.c
        wanted = sorted(set(ids))
        rows = self.conn.execute(select(t.listings).where(c.id.in_(wanted))).all() if wanted else []
        return {r.id: _listing(r) for r in rows}

    def add_listing(self, listing: Listing, search_text: str) -> Listing:
        try:
            with self.conn.begin_nested():
                new_id = self._insert_listing(listing, search_text)
        except IntegrityError as exc:
            raise DuplicateRef(listing.ref) from exc
        found = self.conn.execute(select(t.listings).where(t.listings.c.id == new_id)).one()
        return _listing(found)

    def _insert_listing(self, listing: Listing, search_text: str) -> int:
        new_id: int = self.conn.execute(
            insert(t.listings)
            .values(
                participant_id=listing.participant_id, side=listing.side.value, ref=listing.ref,
                hs_code=listing.hs_code, titles=listing.titles, description=listing.description,
                origin=listing.origin, quantity=listing.quantity, unit=listing.unit,
                price=listing.price, currency=listing.currency,
                certificates=list(listing.certificates), search_text=search_text,
                created_at=listing.created_at,
            )
            .returning(t.listings.c.id)
        ).scalar_one()  # fmt: skip
        if self.conn.dialect.name == "sqlite":
            self.conn.execute(
                text("INSERT INTO listings_fts (rowid, search_text) VALUES (:id, :text)"),
                {"id": new_id, "text": search_text},
            )
        return new_id

    def search(
        self, query: str | None, hs_prefix: str | None, side: Side | None, limit: int
    ) -> list[Listing]:
        c = t.listings.c
        conditions: list[Any] = []
        if query and len(query) >= TRIGRAM and self.conn.dialect.name == "sqlite":
            phrase = '"' + query.replace('"', '""') + '"'
            matching = text("SELECT rowid FROM listings_fts WHERE listings_fts MATCH :q")
            conditions.append(c.id.in_(matching.bindparams(q=phrase)))
        elif query:
            conditions.append(c.search_text.like(_like(query), escape="\\"))
        if hs_prefix:
            conditions.append(c.hs_code.like(f"{hs_prefix}%"))
        if side is not None:
            conditions.append(c.side == side.value)
        stmt = select(t.listings).where(and_(True, *conditions))
        rows = self.conn.execute(stmt.order_by(c.created_at.desc(), c.id.desc()).limit(limit))
        return [_listing(r) for r in rows]

    # matching

    def _facts(self, side: Side, at: datetime) -> Any:
        """Listings of one side whose participants' attestations are valid at `at`."""
        p, lc = t.participants.c, t.listings.c
        return self.conn.execute(
            select(lc.id, lc.participant_id, lc.hs_code, lc.origin, p.country, p.aeo)
            .join(t.participants, p.id == lc.participant_id)
            .where((lc.side == side.value) & (p.expires_at > at))
            .order_by(lc.id)
        )

    def offers(self, at: datetime) -> list[OfferFacts]:
        return [
            OfferFacts(r.id, r.participant_id, r.hs_code, r.origin, r.aeo)
            for r in self._facts(Side.OFFER, at)
        ]

    def seeks(self, at: datetime) -> list[SeekFacts]:
        return [
            SeekFacts(r.id, r.participant_id, r.hs_code, r.country, r.origin, r.aeo)
            for r in self._facts(Side.SEEK, at)
        ]

    def save_suggestions(self, scores: Sequence[Score], at: datetime) -> int:
        """Insert new couples, update the score of known ones (their answers kept), and drop
        couples no longer suggested that nobody answered."""
        c = t.suggestions.c
        held = {
            (r.exhibitor_id, r.buyer_id): (r.id, r.exhibitor_response, r.buyer_response)
            for r in self.conn.execute(
                select(c.id, c.exhibitor_id, c.buyer_id, c.exhibitor_response, c.buyer_response)
            )
        }
        fresh: list[dict[str, object]] = []
        changed: list[dict[str, object]] = []
        seen: set[tuple[int, int]] = set()
        for s in scores:
            key = (s.offer.participant_id, s.seek.participant_id)
            seen.add(key)
            row: dict[str, object] = {"offer_id": s.offer.listing_id, "seek_id": s.seek.listing_id}
            row |= {"score": s.total, "reasons": s.reasons, "computed_at": at}
            if key in held:
                changed.append({"sid": held[key][0], **row})
            else:
                fresh.append({"exhibitor_id": key[0], "buyer_id": key[1], **row})
        pending = Response.PENDING.value
        for row in fresh:
            row |= {"exhibitor_response": pending, "buyer_response": pending}
        if fresh:
            self.conn.execute(insert(t.suggestions), fresh)
        if changed:
            stmt = update(t.suggestions).where(c.id == bindparam("sid"))
            self.conn.execute(stmt, changed)
        stale = [v[0] for k, v in held.items() if k not in seen and v[1:] == (pending, pending)]
        for start in range(0, len(stale), 500):
            self.conn.execute(delete(t.suggestions).where(c.id.in_(stale[start : start + 500])))
        return len(scores)

    def _suggestions(self, where: Any) -> list[Suggestion]:
        c = t.suggestions.c
        rows = self.conn.execute(select(t.suggestions).where(where).order_by(c.score.desc(), c.id))
        return [
            Suggestion(
                r.id, r.exhibitor_id, r.buyer_id, r.offer_id, r.seek_id, r.score, list(r.reasons),
                Response(r.exhibitor_response), Response(r.buyer_response),
                r.computed_at if r.computed_at.tzinfo else r.computed_at.replace(tzinfo=UTC),
            )
            for r in rows
        ]  # fmt: skip

    def suggestions_of(self, participant_id: int) -> list[Suggestion]:
        c = t.suggestions.c
        return self._suggestions(
            (c.exhibitor_id == participant_id) | (c.buyer_id == participant_id)
        )

    def suggestion(self, suggestion_id: int) -> Suggestion | None:
        found = self._suggestions(t.suggestions.c.id == suggestion_id)
        return found[0] if found else None

    def set_response(self, suggestion_id: int, exhibitor: bool, response: Response) -> None:
        column = "exhibitor_response" if exhibitor else "buyer_response"
        where = t.suggestions.c.id == suggestion_id
        self.conn.execute(update(t.suggestions).where(where).values({column: response.value}))
