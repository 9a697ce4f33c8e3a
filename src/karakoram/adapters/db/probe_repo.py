"""The latest probe of each partner: an operational record (like the worker log), not a
change of the node's business, so it is not in the audit chain."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Connection, insert, select, update

from karakoram.adapters.db.tables import partner_probes
from karakoram.domain.exchange.partner_state import Probe

_p = partner_probes.c


class SqlPartnerProbes:
    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    def probes(self) -> dict[str, Probe]:
        rows = self._conn.execute(select(partner_probes))
        return {r.administration: Probe(r.last_ok_at, r.failing_since) for r in rows}

    def answered(self, administration: str, at: datetime) -> None:
        self._save(administration, {"last_ok_at": at, "failing_since": None, "last_error": None})

    def failed(self, administration: str, at: datetime, error: str) -> None:
        known = self.probes().get(administration)
        since = known.failing_since if known and known.failing_since else at
        values = {"failing_since": since, "last_failed_at": at, "last_error": error[:300]}
        self._save(administration, values)

    def _save(self, administration: str, values: dict[str, object]) -> None:
        done = self._conn.execute(
            update(partner_probes).where(_p.administration == administration).values(values)
        )
        if done.rowcount == 0:
            self._conn.execute(
                insert(partner_probes).values(administration=administration, **values)
            )
