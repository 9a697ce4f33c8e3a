"""The exchange's storage: partners and their keys, refusals, what partners told us and the
traffic per partner here; the outbox and the inbox in exchange_messages.py."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime
from typing import Any

from sqlalchemy import (
    Column,
    Connection,
    Integer,
    String,
    Table,
    UniqueConstraint,
    case,
    func,
    insert,
    or_,
    select,
    type_coerce,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError

from karakoram.adapters.db.exchange_messages import MessageRows
from karakoram.adapters.db.tables import (
    UTCDateTime,
    inbox,
    metadata,
    outbox,
    partner_keys,
    partner_records,
    partners,
    refusals,
)
from karakoram.services.records import (
    DuplicateMessage,
    Partner,
    PartnerKey,
    PartnerRecord,
    PartnerTraffic,
)

_o = outbox.c

#: refusals per hour, code and claimed sender: junk is counted here, only sampled into refusals
refusal_counts = Table(
    "refusal_counts",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("hour", UTCDateTime, nullable=False),
    Column("code", String(40), nullable=False),
    Column("sender", String(100), nullable=False),
    Column("count", Integer, nullable=False),
    UniqueConstraint("hour", "code", "sender"),
)


def _partner(row: Any) -> Partner:
    return Partner(
        row.administration,
        row.name,
        row.country,
        row.base_url,
        tuple(row.message_types),
        row.kind,
    )


class SqlExchangeRepository(MessageRows):
    """`ExchangeRepository` on the unit of work's connection."""

    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    def add_partner(self, partner: Partner, at: datetime) -> None:
        self._conn.execute(
            insert(partners).values(
                administration=partner.administration,
                name=partner.name,
                country=partner.country,
                base_url=partner.base_url,
                message_types=list(partner.message_types),
                created_at=at,
                kind=partner.kind,
            )
        )

    def partner(self, administration: str) -> Partner | None:
        row = self._conn.execute(
            select(partners).where(partners.c.administration == administration)
        ).first()
        return _partner(row) if row else None

    def partners(self) -> list[Partner]:
        return [_partner(r) for r in self._conn.execute(select(partners).order_by(partners.c.id))]

    def set_message_types(self, administration: str, types: Sequence[str]) -> None:
        self._conn.execute(
            update(partners)
            .where(partners.c.administration == administration)
            .values(message_types=list(types))
        )

    def _partner_id(self, administration: str) -> int:
        return int(
            self._conn.execute(
                select(partners.c.id).where(partners.c.administration == administration)
            ).scalar_one()
        )

    def add_key(self, administration: str, key: PartnerKey) -> None:
        self._conn.execute(
            insert(partner_keys).values(
                partner_id=self._partner_id(administration),
                kid=key.kid,
                jwk=key.jwk,
                valid_from=key.valid_from,
                valid_to=key.valid_to,
            )
        )

    def end_keys(self, administration: str, valid_to: datetime, keep: str) -> None:
        c = partner_keys.c
        self._conn.execute(
            update(partner_keys)
            .where(
                c.partner_id == self._partner_id(administration),
                c.kid != keep,
                c.valid_to.is_(None),
            )
            .values(valid_to=valid_to)
        )

    def keys(self, administration: str) -> list[PartnerKey]:
        c = partner_keys.c
        query = (
            select(partner_keys)
            .join(partners, partners.c.id == c.partner_id)
            .where(partners.c.administration == administration)
            .order_by(c.id)
        )
        return [
            PartnerKey(r.kid, r.jwk, r.valid_from, r.valid_to, r.revoked_at)
            for r in self._conn.execute(query)
        ]

    def revoke_key(self, administration: str, kid: str, at: datetime) -> bool:
        """End the key at `at` for every delivery; False when there is no such key."""
        c = partner_keys.c
        partner = self._conn.execute(
            select(partners.c.id).where(partners.c.administration == administration)
        ).scalar()
        if partner is None:
            return False
        done = self._conn.execute(
            update(partner_keys)
            .where(c.partner_id == partner, c.kid == kid)
            .values(revoked_at=func.coalesce(c.revoked_at, type_coerce(at, UTCDateTime)))
        )
        return done.rowcount > 0

    def add_refusal(
        self, sender: str | None, code: str, detail: str, digest: str, size: int, at: datetime
    ) -> None:
        self._conn.execute(
            insert(refusals).values(
                sender=sender,
                code=code,
                detail=detail[:2000],
                digest=digest,
                size=size,
                received_at=at,
            )
        )

    def refusals(self, limit: int) -> list[dict[str, Any]]:
        query = select(refusals).order_by(refusals.c.id.desc()).limit(limit)
        return [dict(r._mapping) for r in self._conn.execute(query)]

    def count_refusal(self, sender: str, code: str, hour: datetime) -> int:
        """Add one to the refusals of `code` from `sender` in `hour`; the count after it."""
        c = refusal_counts.c
        dialect = postgresql if self._conn.dialect.name == "postgresql" else sqlite
        statement = (
            dialect.insert(refusal_counts)
            .values(hour=hour, code=code, sender=sender[:100], count=1)
            .on_conflict_do_update(
                index_elements=[c.hour, c.code, c.sender], set_={"count": c.count + 1}
            )
            .returning(c.count)
        )
        return int(self._conn.execute(statement).scalar_one())

    def refusal_counts(self, since: datetime) -> list[tuple[str, str, int]]:
        """Refusals since `since` (by the hour) per code and claimed sender, most first."""
        c = refusal_counts.c
        total = func.sum(c.count)
        query = (
            select(c.code, c.sender, total)
            .where(c.hour >= since)
            .group_by(c.code, c.sender)
            .order_by(total.desc(), c.code, c.sender)
        )
        return [(str(code), str(sender), int(n)) for code, sender, n in self._conn.execute(query)]

    def add_partner_records(self, records: Sequence[PartnerRecord]) -> None:
        if not records:
            return
        rows = [
            {
                "ucr": r.ucr,
                "sender": r.sender,
                "type": r.type,
                "message_id": r.message_id,
                "mrn": r.mrn,
                "body": r.body,
                "parties": "," + ",".join(r.parties) + ",",
                "created_at": r.created_at,
            }
            for r in sorted(records, key=lambda r: r.message_id)
        ]
        try:
            self._conn.execute(insert(partner_records), rows)
        except IntegrityError as exc:
            raise DuplicateMessage(str(exc.orig)) from exc

    def partner_records(self, ucr: str) -> list[PartnerRecord]:
        c = partner_records.c
        query = select(partner_records).where(c.ucr == ucr).order_by(c.created_at, c.id)
        return [_record(r) for r in self._conn.execute(query)]

    def partner_records_of(self, parties: set[str], limit: int) -> list[PartnerRecord]:
        """The latest records naming any of `parties` (a scan: fine at border volumes)."""
        c = partner_records.c
        query = (
            select(partner_records)
            .where(or_(*(c.parties.contains(f",{p},", autoescape=True) for p in parties)))
            .order_by(c.id.desc())
            .limit(limit)
        )
        return [_record(r) for r in self._conn.execute(query)]

    def traffic(self) -> list[PartnerTraffic]:
        """Per partner: messages out by status, messages in, and the latest times of each
        (two grouped scans: fine at border volumes, and read-only)."""

        def count(condition: Any) -> Any:
            return func.sum(case((condition, 1), else_=0))

        def when(condition: Any, column: Any) -> Any:
            return type_coerce(case((condition, column), else_=None), UTCDateTime)

        pending = _o.status == "pending"
        dead = _o.status == "dead"
        out = select(
            _o.recipient,
            func.count(),
            count(_o.status == "delivered"),
            count(pending),
            count(pending & (_o.attempts > 0)),
            count(dead),
            type_coerce(func.max(_o.created_at), UTCDateTime),
            type_coerce(func.max(_o.delivered_at), UTCDateTime),
            type_coerce(func.min(when(pending, _o.created_at)), UTCDateTime),
            type_coerce(func.max(when(dead, _o.next_attempt_at)), UTCDateTime),
        ).group_by(_o.recipient)
        found: dict[str, PartnerTraffic] = {}
        for row in self._conn.execute(out):
            name, n, ok, waiting, failing, gone, sent, receipted, oldest, dead_at = row
            found[name] = PartnerTraffic(
                name,
                int(n),
                int(ok),
                int(waiting),
                int(failing),
                int(gone),
                0,
                sent,
                receipted,
                None,
                oldest,
                dead_at,
            )
        c = inbox.c
        held = select(
            c.sender, func.count(), type_coerce(func.max(c.received_at), UTCDateTime)
        ).group_by(c.sender)
        for name, n, last in self._conn.execute(held):
            known = found.get(name, PartnerTraffic(name))
            found[name] = replace(known, received=int(n), last_received_at=last)
        return [found[name] for name in sorted(found)]


def _record(r: Any) -> PartnerRecord:
    return PartnerRecord(
        r.ucr,
        r.sender,
        r.type,
        r.message_id,
        r.mrn,
        r.body,
        r.created_at,
        tuple(p for p in r.parties.split(",") if p),
    )
