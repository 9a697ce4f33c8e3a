"""The notification endpoints, outbox and attempts on the unit of work's connection; the
audited subclass records endpoints added and removed in the audit chain."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, insert, select, update

from karakoram.adapters.db.audit_log import SqlAuditLog
from karakoram.adapters.db.tables import notify_attempts, notify_deliveries, notify_endpoints
from karakoram.domain.notify import Channel, Endpoint
from karakoram.services.notify.records import Attempt, Delivery, DeliveryLogEntry

_e, _d, _a = notify_endpoints.c, notify_deliveries.c, notify_attempts.c


def _endpoint(row: Any) -> Endpoint:
    return Endpoint(
        row.id,
        row.party,
        Channel(row.channel),
        row.target,
        row.created_by,
        row.created_at,
        row.secret,
    )


def _delivery(row: Any) -> Delivery:
    return Delivery(
        row.id,
        row.endpoint_id,
        row.mrn,
        row.payload,
        row.status,
        row.attempts,
        row.next_attempt_at,
        row.created_at,
        row.last_status_code,
        row.last_error,
        row.delivered_at,
    )


class SqlNotificationRepository:
    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    def add_endpoint(self, endpoint: Endpoint) -> Endpoint:
        new_id = self._conn.execute(
            insert(notify_endpoints)
            .values(
                party=endpoint.party,
                channel=endpoint.channel.value,
                target=endpoint.target,
                secret=endpoint.secret,
                created_by=endpoint.created_by,
                created_at=endpoint.created_at,
            )
            .returning(_e.id)
        ).scalar_one()
        return Endpoint(
            new_id,
            endpoint.party,
            endpoint.channel,
            endpoint.target,
            endpoint.created_by,
            endpoint.created_at,
            endpoint.secret,
        )

    def endpoints(self, parties: Collection[str]) -> list[Endpoint]:
        query = (
            select(notify_endpoints)
            .where(_e.party.in_(list(parties)), _e.removed_at.is_(None))
            .order_by(_e.id)
        )
        return [_endpoint(r) for r in self._conn.execute(query)]

    def remove_endpoint(self, party: str, endpoint_id: int, by: str, at: datetime) -> bool:
        done = self._conn.execute(
            update(notify_endpoints)
            .where(_e.id == endpoint_id, _e.party == party, _e.removed_at.is_(None))
            .values(removed_at=at)
        )
        return done.rowcount == 1

    def enqueue(self, deliveries: Sequence[Delivery]) -> None:
        self._conn.execute(
            insert(notify_deliveries),
            [
                {
                    "id": d.id,
                    "endpoint_id": d.endpoint_id,
                    "mrn": d.mrn,
                    "payload": d.payload,
                    "status": d.status,
                    "attempts": d.attempts,
                    "next_attempt_at": d.next_attempt_at,
                    "created_at": d.created_at,
                }
                for d in deliveries
            ],
        )

    def claim(
        self, now: datetime, lease_until: datetime, limit: int
    ) -> list[tuple[Delivery, Endpoint]]:
        """Pending deliveries that are due, oldest due first, leased until `lease_until` so
        that no other worker takes them while they are sent (FOR UPDATE SKIP LOCKED on
        PostgreSQL; SQLite has one writer at a time)."""
        query = (
            select(notify_deliveries)
            .where(_d.status == "pending", _d.next_attempt_at <= now)
            .order_by(_d.next_attempt_at, _d.created_at)
            .limit(limit)
        )
        if self._conn.dialect.name == "postgresql":
            query = query.with_for_update(skip_locked=True)
        due = [_delivery(r) for r in self._conn.execute(query)]
        if not due:
            return []
        ids = [d.id for d in due]
        self._conn.execute(
            update(notify_deliveries).where(_d.id.in_(ids)).values(next_attempt_at=lease_until)
        )
        rows = self._conn.execute(
            select(notify_endpoints).where(_e.id.in_({d.endpoint_id for d in due}))
        )
        endpoints = {r.id: _endpoint(r) for r in rows}
        return [(d, endpoints[d.endpoint_id]) for d in due]

    def record(self, delivery: Delivery, attempt: Attempt) -> None:
        self._conn.execute(
            update(notify_deliveries)
            .where(_d.id == delivery.id)
            .values(
                status=delivery.status,
                attempts=delivery.attempts,
                next_attempt_at=delivery.next_attempt_at,
                last_status_code=delivery.last_status_code,
                last_error=delivery.last_error,
                delivered_at=delivery.delivered_at,
            )
        )
        self._conn.execute(
            insert(notify_attempts).values(
                delivery_id=delivery.id,
                at=attempt.at,
                ok=attempt.ok,
                status_code=attempt.status_code,
                error=attempt.error,
            )
        )

    def log(self, party: str, limit: int) -> list[DeliveryLogEntry]:
        mine = {
            r.id: _endpoint(r)
            for r in self._conn.execute(select(notify_endpoints).where(_e.party == party))
        }
        if not mine:
            return []
        query = (
            select(notify_deliveries)
            .where(_d.endpoint_id.in_(list(mine)))
            .order_by(_d.created_at.desc(), _d.id.desc())
            .limit(limit)
        )
        deliveries = [_delivery(r) for r in self._conn.execute(query)]
        attempts: dict[str, list[Attempt]] = {d.id: [] for d in deliveries}
        if attempts:
            found = self._conn.execute(
                select(notify_attempts)
                .where(_a.delivery_id.in_(list(attempts)))
                .order_by(_a.at, _a.id)
            )
            for a in found:
                attempts[a.delivery_id].append(Attempt(a.at, a.ok, a.status_code, a.error))
        return [DeliveryLogEntry(d, mine[d.endpoint_id], attempts[d.id]) for d in deliveries]


class AuditedNotifications(SqlNotificationRepository):
    """Endpoints added and removed land in the audit chain (never their secrets)."""

    def __init__(self, conn: Connection, audit: SqlAuditLog) -> None:
        super().__init__(conn)
        self._audit = audit

    def add_endpoint(self, endpoint: Endpoint) -> Endpoint:
        stored = super().add_endpoint(endpoint)
        data = {
            "party": stored.party,
            "channel": stored.channel.value,
            "target": stored.target,
            "at": stored.created_at.isoformat(),
        }
        self._audit.record("notify.endpoint_added", f"notify/{stored.id}", stored.created_by, data)
        return stored

    def remove_endpoint(self, party: str, endpoint_id: int, by: str, at: datetime) -> bool:
        removed = super().remove_endpoint(party, endpoint_id, by, at)
        if removed:
            data = {"party": party, "at": at.isoformat()}
            self._audit.record("notify.endpoint_removed", f"notify/{endpoint_id}", by, data)
        return removed
