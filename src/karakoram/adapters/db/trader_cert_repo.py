"""Traders' certificates issued by the node's trader CA (services/trader_keys.py), on the unit
of work's connection. Serials are 63-bit numbers, kept as text (SQLite integers are signed
64-bit, PostgreSQL's bigint too, but a verifier reads them as X.509 serials: text is plain)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Column, Connection, Index, String, Table, Text, insert, select, update

from karakoram.adapters.db.tables import UTCDateTime, metadata
from karakoram.services.trader_keys import TraderCertificate

trader_certificates = Table(
    "trader_certificates",
    metadata,
    Column("serial", String(40), primary_key=True),
    Column("trader_id", String(35), nullable=False),
    Column("fingerprint", String(64), nullable=False),
    Column("not_before", UTCDateTime, nullable=False),
    Column("not_after", UTCDateTime, nullable=False),
    Column("issued_at", UTCDateTime, nullable=False),
    Column("revoked_at", UTCDateTime, nullable=True),
    Column("pem", Text, nullable=False),
    Index("ix_trader_certificates_trader_id", "trader_id"),
)
_c = trader_certificates.c


def _cert(r: Any) -> TraderCertificate:
    return TraderCertificate(
        int(r.serial), r.trader_id, r.fingerprint, r.not_before, r.not_after, r.issued_at,
        r.revoked_at, r.pem,
    )  # fmt: skip


class SqlTraderCertificates:
    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    def add(self, cert: TraderCertificate) -> None:
        self._conn.execute(
            insert(trader_certificates).values(
                serial=str(cert.serial), trader_id=cert.trader_id, fingerprint=cert.fingerprint,
                not_before=cert.not_before, not_after=cert.not_after, issued_at=cert.issued_at,
                revoked_at=cert.revoked_at, pem=cert.pem,
            )
        )  # fmt: skip

    def of_trader(self, trader_id: str) -> list[TraderCertificate]:
        rows = self._conn.execute(
            select(trader_certificates)
            .where(_c.trader_id == trader_id)
            .order_by(_c.issued_at, _c.serial)
        )
        return [_cert(r) for r in rows]

    def revoke(self, serials: Sequence[int], at: datetime) -> None:
        if serials:
            self._conn.execute(
                update(trader_certificates)
                .where(_c.serial.in_([str(s) for s in serials]) & _c.revoked_at.is_(None))
                .values(revoked_at=at)
            )

    def revoked(self) -> list[tuple[int, datetime]]:
        rows = self._conn.execute(
            select(_c.serial, _c.revoked_at).where(_c.revoked_at.is_not(None)).order_by(_c.serial)
        )
        return [(int(s), at) for s, at in rows]
