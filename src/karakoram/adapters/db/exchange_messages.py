"""The outbox and the inbox of the exchange: messages waiting for delivery or delivered, and
the messages received with the receipts given. Part of `SqlExchangeRepository`."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, bindparam, func, insert, or_, select, update
from sqlalchemy.exc import IntegrityError

from karakoram.adapters.db.tables import inbox, outbox
from karakoram.services.records import DuplicateMessage, InboxMessage, OutboxMessage

_o = outbox.c
_IN_CHUNK = 500


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


class MessageRows:
    """Outbox and inbox rows on one connection (the unit of work's)."""

    _conn: Connection

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

    def sent_or_delivered_since(self, recipient: str, since: datetime) -> list[str]:
        """Messages to `recipient` created, or delivered, at or after `since`."""
        recent = or_(_o.created_at >= since, _o.delivered_at >= since)
        query = select(_o.message_id).where(_o.recipient == recipient, recent)
        return list(self._conn.execute(query.order_by(_o.id)).scalars())

    def inbox_message(self, message_id: str) -> InboxMessage | None:
        row = self._conn.execute(select(inbox).where(inbox.c.message_id == message_id)).first()
        return None if row is None else _inbox(row)

    def inbox_receipts(self, message_ids: Sequence[str]) -> dict[str, str]:
        """The receipts already given for any of these message ids."""
        c, ids, found = inbox.c, list(message_ids), {}
        for start in range(0, len(ids), _IN_CHUNK):
            query = select(c.message_id, c.receipt).where(
                c.message_id.in_(ids[start : start + _IN_CHUNK])
            )
            found.update({str(m): str(r) for m, r in self._conn.execute(query)})
        return found

    def inbox_held(self, message_ids: Sequence[str]) -> dict[str, tuple[str, str]]:
        """The receipt and the digest of what was received, for any of these message ids."""
        c, ids, found = inbox.c, list(message_ids), {}
        for start in range(0, len(ids), _IN_CHUNK):
            query = select(c.message_id, c.receipt, c.digest).where(
                c.message_id.in_(ids[start : start + _IN_CHUNK])
            )
            found.update({str(m): (str(r), str(d)) for m, r, d in self._conn.execute(query)})
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

    def latest_outbox(self, limit: int) -> list[OutboxMessage]:
        query = select(outbox).order_by(_o.id.desc()).limit(limit)
        return [_outbox(r) for r in self._conn.execute(query)]

    def queued_since(self, recipient: str, type: str, since: datetime) -> int:
        query = select(func.count()).where(
            _o.recipient == recipient, _o.type == type, _o.created_at >= since
        )
        return int(self._conn.execute(query).scalar_one())

    def latest_inbox(self, limit: int) -> list[InboxMessage]:
        query = select(inbox).order_by(inbox.c.id.desc()).limit(limit)
        return [_inbox(r) for r in self._conn.execute(query)]
