"""The contracts the expo registered with the nodes, its outbox to them and the clearance
results they sent back (issue 19)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, func, insert, select, update

from karakoram.expo.adapters import tables as t
from karakoram.expo.services.deal_records import DealShipment, OutboundMessage, ResultRecord

_o = t.expo_outbox.c


def _utc(value: datetime) -> datetime:
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


class DealStore:
    conn: Connection

    # where the nodes are

    def set_node_address(self, administration: str, base_url: str) -> None:
        c = t.node_addresses.c
        done = self.conn.execute(
            update(t.node_addresses)
            .where(c.administration == administration)
            .values(base_url=base_url)
        )
        if done.rowcount == 0:
            self.conn.execute(
                insert(t.node_addresses).values(administration=administration, base_url=base_url)
            )

    def node_addresses(self) -> dict[str, str]:
        rows = self.conn.execute(select(t.node_addresses))
        return {r.administration: r.base_url for r in rows}

    # contracts

    def contract_hash(self, contract_id: str) -> str | None:
        c = t.contracts_registered.c
        query = select(c.contract_hash).where(c.contract_id == contract_id)
        return self.conn.execute(query).scalar_one_or_none()

    def save_contract(
        self,
        contract_id: str,
        contract_hash: str,
        body: dict[str, Any],
        at: datetime,
        shipments: Sequence[DealShipment],
    ) -> None:
        self.conn.execute(
            insert(t.contracts_registered).values(
                contract_id=contract_id, contract_hash=contract_hash, body=body, registered_at=at
            )
        )
        self.conn.execute(
            insert(t.deal_shipments),
            [
                {
                    "ucr": s.ucr, "chapter": s.chapter, "currency": s.currency,
                    "contract_id": s.contract_id, "origin": s.origin,
                    "destination": s.destination, "month": s.month, "value": s.value,
                }
                for s in shipments
            ],
        )  # fmt: skip

    def deal_shipments(self) -> list[DealShipment]:
        rows = self.conn.execute(select(t.deal_shipments).order_by(t.deal_shipments.c.ucr))
        return [
            DealShipment(
                r.ucr,
                r.chapter,
                r.currency,
                r.contract_id,
                r.origin,
                r.destination,
                r.month,
                r.value,
            )
            for r in rows
        ]

    # what the nodes told back

    def add_clearance_result(self, result: ResultRecord) -> None:
        self.conn.execute(
            insert(t.clearance_results).values(
                message_id=result.message_id, sender=result.sender, ucr=result.ucr,
                declaration_type=result.declaration_type, status=result.status,
                value=result.value, currency=result.currency, at=result.at,
            )
        )  # fmt: skip

    def clearance_results(self) -> list[ResultRecord]:
        rows = self.conn.execute(select(t.clearance_results).order_by(t.clearance_results.c.at))
        return [
            ResultRecord(
                r.message_id,
                r.sender,
                r.ucr,
                r.declaration_type,
                r.status,
                r.value,
                r.currency,
                _utc(r.at),
            )
            for r in rows
        ]

    # the outbox

    def enqueue(self, message: OutboundMessage, now: datetime) -> None:
        self.conn.execute(
            insert(t.expo_outbox).values(
                message_id=message.message_id, recipient=message.recipient, type=message.type,
                token=message.token, status="pending", attempts=0, next_attempt_at=now,
                created_at=now,
            )
        )  # fmt: skip

    def due(self, now: datetime, limit: int) -> list[OutboundMessage]:
        query = (
            select(t.expo_outbox)
            .where((_o.status == "pending") & (_o.next_attempt_at <= now))
            .order_by(_o.created_at, _o.message_id)
            .limit(limit)
        )
        return [
            OutboundMessage(r.message_id, r.recipient, r.type, r.token, r.attempts)
            for r in self.conn.execute(query)
        ]

    def delivered(self, message_id: str, receipt: str, at: datetime) -> None:
        self.conn.execute(
            update(t.expo_outbox)
            .where(_o.message_id == message_id)
            .values(status="delivered", receipt=receipt, delivered_at=at, last_error=None)
        )

    def failed(self, message_id: str, error: str, retry_at: datetime | None) -> None:
        values: dict[str, Any] = {"attempts": _o.attempts + 1, "last_error": error[:300]}
        values |= {"status": "dead"} if retry_at is None else {"next_attempt_at": retry_at}
        self.conn.execute(update(t.expo_outbox).where(_o.message_id == message_id).values(values))

    def outbox_counts(self) -> dict[str, int]:
        rows = self.conn.execute(select(_o.status, func.count()).group_by(_o.status))
        return {status: count for status, count in rows}
