"""Fallback keys and the entries taken in from fallback files (docs/gate.md), with the
audited form whose writes record themselves in the audit chain."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, insert, select, update
from sqlalchemy.exc import IntegrityError

from karakoram.adapters.db.audit_log import SqlAuditLog
from karakoram.adapters.db.tables import fallback_entries, fallback_keys
from karakoram.services.gate.records import FallbackEntryRecord, FallbackKeyRecord

_k = fallback_keys.c
_e = fallback_entries.c


class SqlFallbackRepository:
    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    def add_key(self, key: FallbackKeyRecord) -> None:
        self._conn.execute(insert(fallback_keys).values(asdict(key)))

    def key(self, kid: str) -> FallbackKeyRecord | None:
        row = self._conn.execute(select(fallback_keys).where(_k.kid == kid)).one_or_none()
        return None if row is None else FallbackKeyRecord(**row._asdict())

    def revoke_key(self, kid: str, at: datetime, by: str) -> None:
        self._conn.execute(
            update(fallback_keys)
            .where(_k.kid == kid, _k.revoked_at.is_(None))
            .values(revoked_at=at)
        )

    def entries(self, kid: str) -> list[FallbackEntryRecord]:
        query = select(fallback_entries).where(_e.kid == kid).order_by(_e.seq)
        return [FallbackEntryRecord(**row._asdict()) for row in self._conn.execute(query)]

    def add_entry(self, entry: FallbackEntryRecord) -> bool:
        try:
            with self._conn.begin_nested():
                self._conn.execute(insert(fallback_entries).values(asdict(entry)))
        except IntegrityError:
            return False
        return True

    def captured(self, references: Sequence[str]) -> dict[str, datetime]:
        if not references:
            return {}
        query = select(_e.reference, _e.captured_at).where(
            _e.reference.in_(list(references)), _e.outcome == "taken"
        )
        return {row.reference: row.captured_at for row in self._conn.execute(query)}


class AuditedFallback(SqlFallbackRepository):
    def __init__(self, conn: Connection, audit: SqlAuditLog) -> None:
        super().__init__(conn)
        self._audit = audit

    def add_key(self, key: FallbackKeyRecord) -> None:
        super().add_key(key)
        data: dict[str, Any] = {"officer": key.officer, "jwk": key.jwk}
        data |= {"valid_from": key.valid_from.isoformat(), "valid_to": key.valid_to.isoformat()}
        self._audit.record("fallback.key_certified", f"fallback/{key.kid}", key.certified_by, data)

    def revoke_key(self, kid: str, at: datetime, by: str) -> None:
        super().revoke_key(kid, at, by)
        self._audit.record("fallback.key_revoked", f"fallback/{kid}", by, {"at": at.isoformat()})

    def add_entry(self, entry: FallbackEntryRecord) -> bool:
        added = super().add_entry(entry)
        if added:
            data: dict[str, Any] = {"seq": entry.seq, "digest": entry.digest, "kind": entry.kind}
            data |= {"captured_at": entry.captured_at.isoformat(), "outcome": entry.outcome}
            data |= {"taken_at": entry.taken_at.isoformat(), "reference": entry.reference}
            self._audit.record("fallback.taken", f"fallback/{entry.kid}", entry.officer, data)
        return added
