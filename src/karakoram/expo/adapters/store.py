"""The expo's unit of work over SQLAlchemy Core: one connection, one transaction, rolled back
unless committed. Partners, participants and the nomenclature here; the catalogue and matching
in `catalogue_store.py`, meetings in `meeting_store.py`."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from types import TracebackType
from typing import Any

from sqlalchemy import Connection, Engine, delete, insert, select, update
from sqlalchemy.exc import IntegrityError

from karakoram.domain.attestation import Attestation
from karakoram.expo.adapters import tables as t
from karakoram.expo.adapters.catalogue_store import CatalogueStore
from karakoram.expo.adapters.conference_store import ConferenceStore
from karakoram.expo.adapters.contract_pdf_store import ContractPdfStore
from karakoram.expo.adapters.contract_store import ContractStore
from karakoram.expo.adapters.deal_store import DealStore
from karakoram.expo.adapters.feed_store import FeedStore
from karakoram.expo.adapters.mail_store import MailStore
from karakoram.expo.adapters.meeting_store import MeetingStore
from karakoram.expo.adapters.organiser_store import OrganiserStore
from karakoram.expo.adapters.picture_store import PictureStore
from karakoram.expo.adapters.thread_store import ThreadStore
from karakoram.expo.services.records import (
    DuplicateParticipant,
    ExpoPartner,
    Participant,
    PartnerKey,
)


def utc(value: datetime | None) -> datetime | None:
    """SQLite gives naive datetimes back: they were stored in UTC."""
    if value is None or value.tzinfo is not None:
        return value
    return value.replace(tzinfo=UTC)


class SqlExpoUnitOfWork(
    CatalogueStore,
    MeetingStore,
    ThreadStore,
    OrganiserStore,
    ConferenceStore,
    FeedStore,
    ContractStore,
    MailStore,
    ContractPdfStore,
    DealStore,
    PictureStore,
):
    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def __enter__(self) -> SqlExpoUnitOfWork:
        self.conn: Connection = self._engine.connect()
        self.conn.begin()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        try:
            if self.conn.in_transaction():
                self.conn.rollback()
        finally:
            self.conn.close()

    def commit(self) -> None:
        self.conn.commit()
        self.conn.begin()

    # customs nodes

    def add_partner(self, partner: ExpoPartner, key: PartnerKey) -> None:
        row = {"country": partner.country, "name": partner.name}
        found = self.conn.execute(
            select(t.partners.c.administration).where(
                t.partners.c.administration == partner.administration
            )
        ).first()
        if found is None:
            self.conn.execute(
                insert(t.partners).values(administration=partner.administration, **row)
            )
        else:
            where = t.partners.c.administration == partner.administration
            self.conn.execute(update(t.partners).where(where).values(**row))
        keys = t.partner_keys.c
        self.conn.execute(
            delete(t.partner_keys).where(
                (keys.administration == partner.administration) & (keys.kid == key.kid)
            )
        )
        self.conn.execute(
            insert(t.partner_keys).values(
                administration=partner.administration,
                kid=key.kid,
                jwk=key.jwk,
                valid_from=key.valid_from,
                valid_to=key.valid_to,
            )
        )

    def partners(self) -> list[ExpoPartner]:
        rows = self.conn.execute(select(t.partners).order_by(t.partners.c.administration))
        return [ExpoPartner(r.administration, r.country, r.name) for r in rows]

    def partner_keys(self, administration: str) -> list[PartnerKey]:
        rows = self.conn.execute(
            select(t.partner_keys).where(t.partner_keys.c.administration == administration)
        )
        return [
            PartnerKey(r.kid, dict(r.jwk), utc(r.valid_from) or r.valid_from, utc(r.valid_to))
            for r in rows
        ]

    # participants

    def _participant(self, where: Any) -> Participant | None:
        r = self.conn.execute(select(t.participants).where(where)).first()
        if r is None:
            return None
        return Participant(
            r.id, r.issuer, r.trader_id, r.name, r.country, r.aeo, r.aeo_level,
            utc(r.attested_at) or r.attested_at, utc(r.expires_at) or r.expires_at,
            utc(r.registered_at) or r.registered_at,
        )  # fmt: skip

    def participant(self, issuer: str, trader_id: str) -> Participant | None:
        c = t.participants.c
        return self._participant((c.issuer == issuer) & (c.trader_id == trader_id))

    def participant_by_id(self, participant_id: int) -> Participant | None:
        return self._participant(t.participants.c.id == participant_id)

    def participant_by_key(self, key_hash: str) -> Participant | None:
        return self._participant(t.participants.c.key_hash == key_hash)

    def save_participant(self, a: Attestation, key_hash: str, at: datetime) -> Participant:
        values = {
            "name": a.name,
            "country": a.country,
            "aeo": a.aeo,
            "aeo_level": a.aeo_level,
            "attested_at": a.issued_at,
            "expires_at": a.expires_at,
            "key_hash": key_hash,
        }
        held = self.participant(a.issuer, a.trader_id)
        if held is None:
            try:
                with self.conn.begin_nested():
                    self.conn.execute(
                        insert(t.participants).values(
                            issuer=a.issuer, trader_id=a.trader_id, registered_at=at, **values
                        )
                    )
            except IntegrityError as exc:
                raise DuplicateParticipant(a.trader_id) from exc
        else:
            where = t.participants.c.id == held.id
            self.conn.execute(update(t.participants).where(where).values(**values))
        saved = self.participant(a.issuer, a.trader_id)
        assert saved is not None
        return saved

    # nomenclature

    def replace_nomenclature(self, rows: Iterable[tuple[str, str, int]]) -> None:
        self.conn.execute(delete(t.hs_codes))
        values = [{"code": c, "description": d, "level": lv} for c, d, lv in rows]
        if values:
            self.conn.execute(insert(t.hs_codes), values)

    def subheadings(self) -> dict[str, str]:
        c = t.hs_codes.c
        rows = self.conn.execute(select(c.code, c.description).where(c.level == 6))
        return {r.code: r.description for r in rows}
