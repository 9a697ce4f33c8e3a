"""What the customs nodes sent the expo: the inbox of their messages (each id once, with the
expo's receipt), their monthly trade summaries and tariff versions, a newer one replacing an
older one (by the time the node signed it, so one arriving late changes nothing)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, Table, insert, select, update

from karakoram.expo.adapters import tables as t
from karakoram.expo.domain.market import NodeSummary, NodeTariff
from karakoram.expo.services.records import NodeMessage


def _utc(value: datetime) -> datetime:
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


class FeedStore:
    conn: Connection

    def inbox_message(self, message_id: str) -> NodeMessage | None:
        r = self.conn.execute(
            select(t.node_inbox).where(t.node_inbox.c.message_id == message_id)
        ).first()
        if r is None:
            return None
        return NodeMessage(
            r.message_id, r.sender, r.type, r.digest, r.token, r.receipt,
            _utc(r.created_at), _utc(r.received_at),
        )  # fmt: skip

    def add_inbox(self, message: NodeMessage) -> None:
        self.conn.execute(
            insert(t.node_inbox).values(
                message_id=message.message_id, sender=message.sender, type=message.type,
                digest=message.digest, token=message.token, receipt=message.receipt,
                created_at=message.created_at, received_at=message.received_at,
            )
        )  # fmt: skip

    def _newer(self, table: Table, where: Any, values: dict[str, Any]) -> None:
        """Insert `values`, or replace the row `where` names if `values` is newer."""
        held = self.conn.execute(select(table.c.created_at).where(where)).first()
        if held is None:
            self.conn.execute(insert(table).values(**values))
        elif _utc(held.created_at) < values["created_at"]:
            self.conn.execute(update(table).where(where).values(**values))

    def save_summary(self, summary: NodeSummary, currency: str, message: NodeMessage) -> None:
        c = t.node_summaries.c
        self._newer(
            t.node_summaries,
            (c.sender == summary.sender) & (c.month == summary.month),
            {
                "sender": summary.sender, "month": summary.month, "currency": currency,
                "cells": [dict(cell) for cell in summary.cells],
                "created_at": message.created_at, "message_id": message.message_id,
            },
        )  # fmt: skip

    def save_tariff(self, tariff: NodeTariff, name: str, message: NodeMessage) -> None:
        self._newer(
            t.node_tariffs,
            t.node_tariffs.c.sender == tariff.sender,
            {
                "sender": tariff.sender, "version": tariff.version, "name": name[:200],
                "lines": [dict(line) for line in tariff.lines],
                "agreements": {k: list(v) for k, v in tariff.agreements.items()},
                "created_at": message.created_at, "message_id": message.message_id,
            },
        )  # fmt: skip

    def _countries(self) -> dict[str, str]:
        return {r.administration: r.country for r in self.conn.execute(select(t.partners))}

    def node_summaries(self) -> list[NodeSummary]:
        country = self._countries()
        rows = self.conn.execute(select(t.node_summaries).order_by("sender", "month"))
        return [NodeSummary(r.sender, country.get(r.sender, ""), r.month, r.cells) for r in rows]

    def node_tariffs(self) -> list[NodeTariff]:
        country = self._countries()
        rows = self.conn.execute(select(t.node_tariffs).order_by("sender"))
        return [
            NodeTariff(r.sender, country.get(r.sender, ""), r.version, r.lines, r.agreements)
            for r in rows
        ]

    def end_partner_key(self, administration: str, kid: str, at: datetime) -> bool:
        """End a node's key at `at` (an earlier end stands); whether the key is known."""
        c = t.partner_keys.c
        where = (c.administration == administration) & (c.kid == kid)
        row = self.conn.execute(select(c.valid_to).where(where)).first()
        if row is None:
            return False
        if row.valid_to is None or _utc(row.valid_to) > at:
            self.conn.execute(update(t.partner_keys).where(where).values(valid_to=at))
        return True
