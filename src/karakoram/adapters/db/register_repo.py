"""Mandates, the AEO register and consignment draws."""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, delete, insert, select, update

from karakoram.adapters.db.risk_reader import read_draws
from karakoram.adapters.db.tables import aeo_register, consignment_draws, declarations, mandates
from karakoram.domain.clearance import Status
from karakoram.domain.declaration.fingerprint import ConsignmentDraw
from karakoram.domain.representation import AeoEntry, Mandate
from karakoram.domain.risk.channels import Channel

_m = mandates.c
_a = aeo_register.c
_d = consignment_draws.c


def _mandate(row: Any) -> Mandate:
    return Mandate(
        row.principal,
        row.representative,
        row.valid_from,
        row.valid_to,
        row.recorded_by,
        row.recorded_at,
        row.id,
    )


def _entry(row: Any) -> AeoEntry:
    return AeoEntry(
        row.identifier,
        row.level,
        row.valid_from,
        row.valid_to,
        row.source,
        row.recorded_by,
        row.recorded_at,
        row.id,
    )


class SqlRegisterRepository:
    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    def add_mandate(self, mandate: Mandate) -> Mandate:
        row = {
            "principal": mandate.principal,
            "representative": mandate.representative,
            "valid_from": mandate.valid_from,
            "valid_to": mandate.valid_to,
            "recorded_by": mandate.recorded_by,
            "recorded_at": mandate.recorded_at,
        }
        key = self._conn.execute(insert(mandates).values(row)).inserted_primary_key
        assert key is not None
        return Mandate(**{**row, "id": key[0]})

    def mandates(self, representative: str | None = None) -> list[Mandate]:
        query = select(mandates).order_by(_m.id)
        if representative is not None:
            query = query.where(_m.representative == representative)
        return [_mandate(r) for r in self._conn.execute(query)]

    def end_mandate(self, mandate_id: int, valid_to: datetime) -> Mandate | None:
        self._conn.execute(update(mandates).where(_m.id == mandate_id).values(valid_to=valid_to))
        row = self._conn.execute(select(mandates).where(_m.id == mandate_id)).one_or_none()
        return None if row is None else _mandate(row)

    def add_aeo(self, entry: AeoEntry) -> AeoEntry:
        row = {
            "identifier": entry.identifier,
            "level": entry.level,
            "valid_from": entry.valid_from,
            "valid_to": entry.valid_to,
            "source": entry.source,
            "recorded_by": entry.recorded_by,
            "recorded_at": entry.recorded_at,
        }
        key = self._conn.execute(insert(aeo_register).values(row)).inserted_primary_key
        assert key is not None
        return AeoEntry(**{**row, "id": key[0]})

    def aeo_entries(self, identifiers: Collection[str] | None = None) -> list[AeoEntry]:
        query = select(aeo_register).order_by(_a.id)
        if identifiers is not None:
            query = query.where(_a.identifier.in_(sorted(identifiers)))
        return [_entry(r) for r in self._conn.execute(query)]

    def end_aeo(self, entry_id: int, valid_to: datetime) -> AeoEntry | None:
        self._conn.execute(update(aeo_register).where(_a.id == entry_id).values(valid_to=valid_to))
        row = self._conn.execute(select(aeo_register).where(_a.id == entry_id)).one_or_none()
        return None if row is None else _entry(row)

    def end_aeo_source(self, source: str, valid_to: datetime) -> int:
        open_ = (_a.valid_to.is_(None)) | (_a.valid_to > valid_to)
        result = self._conn.execute(
            update(aeo_register).where(_a.source == source, open_).values(valid_to=valid_to)
        )
        return int(result.rowcount)

    def record_draw(self, draw: ConsignmentDraw) -> None:
        self._conn.execute(delete(consignment_draws).where(_d.mrn == draw.mrn))
        self._conn.execute(
            insert(consignment_draws).values(
                mrn=draw.mrn, fingerprint=draw.fingerprint, anchor=draw.anchor, at=draw.at
            )
        )

    def draws(self, fingerprint: str, since: datetime) -> list[ConsignmentDraw]:
        rows = self._conn.execute(
            select(_d.mrn, _d.fingerprint, _d.anchor, _d.at)
            .where(_d.fingerprint == fingerprint, _d.at >= since)
            .order_by(_d.at, _d.mrn)
        )
        return [ConsignmentDraw(r.mrn, r.fingerprint, r.anchor, r.at) for r in rows]

    def draws_of(self, mrns: Collection[str]) -> dict[str, ConsignmentDraw]:
        return read_draws(self._conn, mrns)

    def cancelled_selections(
        self, since: datetime, until: datetime, fingerprint: str | None = None
    ) -> list[tuple[ConsignmentDraw, str, datetime]]:
        decl = declarations.c
        query = (
            select(_d.mrn, _d.fingerprint, _d.anchor, _d.at, decl.channel, decl.updated_at)
            .join(declarations, decl.mrn == _d.mrn)
            .where(
                _d.at.between(since, until),
                decl.status == Status.CANCELLED.value,
                decl.channel.is_not(None),
                decl.channel != Channel.GREEN.value,
            )
            .order_by(_d.at, _d.mrn)
        )
        if fingerprint is not None:
            query = query.where(_d.fingerprint == fingerprint)
        rows = self._conn.execute(query)
        return [
            (ConsignmentDraw(r.mrn, r.fingerprint, r.anchor, r.at), r.channel, r.updated_at)
            for r in rows
        ]
