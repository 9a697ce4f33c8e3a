"""Partners and their keys, the outbox, the inbox, refusals and what partners told us."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, bindparam, case, func, insert, or_, select, type_coerce, update
from sqlalchemy.exc import IntegrityError

from karakoram.adapters.db.tables import (
    UTCDateTime,
    inbox,
    outbox,
    partner_keys,
    partner_records,
    partners,
    refusals,
)
from karakoram.services.records import (
    DuplicateMessage,
    InboxMessage,
    OutboxMessage,
    Partner,
    PartnerKey,
    PartnerRecord,
    PartnerTraffic,
)

_o = outbox.c
_IN_CHUNK = 500


def _partner(row: Any) -> Partner:
    return Partner(
        row.administration, row.name, row.country, row.base_url, tuple(row.message_types)
    )


def _outbox(row: Any) -> OutboxMessage:
    return OutboxMessage(
        row.message_id,
        row.recipient,
        row.type,
        row.ucr,
        row.token,
        row.status,
        row.attempts,
        row.next_attempt_at,
        row.created_at,
        row.last_error,
        row.receipt,
        row.delivered_at,
    )


class SqlExchangeRepository:
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
            )
        )

    def partner(self, administration: str) -> Partner | None:
        row = self._conn.execute(
            select(partners).where(partners.c.administration == administration)
        ).first()
        return _partner(row) if row else None

    def partners(self) -> list[Partner]:
        return [_partner(r) for r in self._conn.execute(select(partners).order_by(partners.c.id))]

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
            PartnerKey(r.kid, r.jwk, r.valid_from, r.valid_to) for r in self._conn.execute(query)
        ]

    def enqueue(self, message: OutboxMessage) -> None:
        self._conn.execute(
            insert(outbox).values(
                message_id=message.message_id,
                recipient=message.recipient,
                type=message.type,
                ucr=message.ucr,
                token=message.token,
                status=message.status,
                attempts=message.attempts,
                next_attempt_at=message.next_attempt_at,
                created_at=message.created_at,
            )
        )

    def claim_due(self, now: datetime, limit: int) -> list[OutboxMessage]:
        """Pending messages that are due, longest due first (in the order they were written,
        for messages never tried); several relays never claim the same row (FOR UPDATE SKIP
        LOCKED on PostgreSQL; SQLite has a single writer). The order follows the index on
        (status, next_attempt_at), so a pass reads `limit` rows however long the backlog."""
        query = (
            select(outbox)
            .where(_o.status == "pending", _o.next_attempt_at <= now)
            .order_by(_o.next_attempt_at, _o.id)
            .limit(limit)
        )
        if self._conn.dialect.name == "postgresql":
            query = query.with_for_update(skip_locked=True)
        return [_outbox(r) for r in self._conn.execute(query)]

    def lease(self, message_ids: Sequence[str], until: datetime) -> None:
        if message_ids:
            self._conn.execute(
                update(outbox)
                .where(_o.message_id.in_(list(message_ids)))
                .values(next_attempt_at=until)
            )

    def delivered(self, message_id: str, receipt: str, at: datetime) -> None:
        self._conn.execute(
            update(outbox)
            .where(_o.message_id == message_id)
            .values(
                status="delivered",
                receipt=receipt,
                delivered_at=at,
                attempts=_o.attempts + 1,
                last_error=None,
            )
        )

    def delivered_many(self, receipts: Sequence[tuple[str, str]], at: datetime) -> None:
        """Mark several messages delivered with their receipts, in one statement."""
        if not receipts:
            return
        statement = (
            update(outbox)
            .where(_o.message_id == bindparam("m_id"))
            .values(
                status="delivered",
                receipt=bindparam("m_receipt"),
                delivered_at=at,
                attempts=_o.attempts + 1,
                last_error=None,
            )
        )
        self._conn.execute(statement, [{"m_id": m, "m_receipt": r} for m, r in receipts])

    def wake(self, recipient: str, now: datetime) -> int:
        """Make a partner's pending messages due now, ending their backoff. A message another
        relay holds leased may so be sent twice; the partner answers it with the first receipt."""
        statement = (
            update(outbox)
            .where(_o.status == "pending", _o.next_attempt_at > now, _o.recipient == recipient)
            .values(next_attempt_at=now)
        )
        return int(self._conn.execute(statement).rowcount)

    def failed(self, message_id: str, error: str, retry_at: datetime | None) -> None:
        values: dict[str, Any] = {"attempts": _o.attempts + 1, "last_error": error[:2000]}
        if retry_at is None:
            values["status"] = "dead"
        else:
            values["next_attempt_at"] = retry_at
        # only a pending message: one a relay whose lease ran out failed to deliver may have
        # been delivered by another relay meanwhile
        statement = update(outbox).where(_o.message_id == message_id, _o.status == "pending")
        self._conn.execute(statement.values(**values))

    def outbox(self, message_id: str) -> OutboxMessage | None:
        row = self._conn.execute(select(outbox).where(_o.message_id == message_id)).first()
        return _outbox(row) if row else None

    def outbox_counts(self) -> dict[str, int]:
        query = select(_o.status, func.count()).group_by(_o.status)
        return {status: int(n) for status, n in self._conn.execute(query)}

    def dead_letters(self, limit: int) -> list[OutboxMessage]:
        query = select(outbox).where(_o.status == "dead").order_by(_o.id).limit(limit)
        return [_outbox(r) for r in self._conn.execute(query)]

    def requeue(self, message_ids: Sequence[str] | None, now: datetime) -> int:
        """Dead (or, when named, any undelivered-or-lost) messages back to pending."""
        statement = update(outbox).values(status="pending", attempts=0, next_attempt_at=now)
        if message_ids is None:
            statement = statement.where(_o.status == "dead")
        else:
            statement = statement.where(_o.message_id.in_(list(message_ids)))
        return int(self._conn.execute(statement).rowcount)

    def sent_since(self, recipient: str, since: datetime) -> list[str]:
        query = (
            select(_o.message_id)
            .where(_o.recipient == recipient, _o.created_at >= since)
            .order_by(_o.id)
        )
        return list(self._conn.execute(query).scalars())

    def inbox_message(self, message_id: str) -> InboxMessage | None:
        row = self._conn.execute(select(inbox).where(inbox.c.message_id == message_id)).first()
        if row is None:
            return None
        return InboxMessage(
            row.message_id,
            row.sender,
            row.type,
            row.ucr,
            row.token,
            row.digest,
            row.receipt,
            row.created_at,
            row.received_at,
        )

    def inbox_receipts(self, message_ids: Sequence[str]) -> dict[str, str]:
        """The receipts already given for any of these message ids."""
        c, ids, found = inbox.c, list(message_ids), {}
        for start in range(0, len(ids), _IN_CHUNK):
            query = select(c.message_id, c.receipt).where(
                c.message_id.in_(ids[start : start + _IN_CHUNK])
            )
            found.update({str(m): str(r) for m, r in self._conn.execute(query)})
        return found

    def add_inbox_many(self, messages: Sequence[InboxMessage]) -> None:
        """Record messages; `DuplicateMessage` if another transaction recorded one first.

        Rows go in in message id order, so two transactions holding some of the same ids
        wait for each other (then one fails as a duplicate) instead of deadlocking."""
        if not messages:
            return
        rows = [
            {
                "message_id": m.message_id,
                "sender": m.sender,
                "type": m.type,
                "ucr": m.ucr,
                "token": m.token,
                "digest": m.digest,
                "receipt": m.receipt,
                "created_at": m.created_at,
                "received_at": m.received_at,
            }
            for m in sorted(messages, key=lambda m: m.message_id)
        ]
        try:
            self._conn.execute(insert(inbox), rows)
        except IntegrityError as exc:
            raise DuplicateMessage(str(exc.orig)) from exc

    def received_since(self, sender: str, since: datetime) -> list[str]:
        c = inbox.c
        query = select(c.message_id).where(c.sender == sender, c.created_at >= since)
        return list(self._conn.execute(query.order_by(c.id)).scalars())

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

    def latest_outbox(self, limit: int) -> list[OutboxMessage]:
        query = select(outbox).order_by(_o.id.desc()).limit(limit)
        return [_outbox(r) for r in self._conn.execute(query)]

    def latest_inbox(self, limit: int) -> list[InboxMessage]:
        query = select(inbox).order_by(inbox.c.id.desc()).limit(limit)
        return [_inbox(r) for r in self._conn.execute(query)]


def _inbox(row: Any) -> InboxMessage:
    return InboxMessage(
        row.message_id,
        row.sender,
        row.type,
        row.ucr,
        row.token,
        row.digest,
        row.receipt,
        row.created_at,
        row.received_at,
    )


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
