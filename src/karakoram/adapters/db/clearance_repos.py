"""Repositories for assessments, controls, payments, the officer queue and policy documents."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    Connection,
    func,
    insert,
    or_,
    select,
    update,
)
from sqlalchemy.exc import IntegrityError

from karakoram.adapters.db.tables import (
    assessments,
    controls,
    declarations,
    goods_items,
    payments,
    policy_activations,
    policy_documents,
)
from karakoram.domain.clearance import AWAITING_OFFICER
from karakoram.domain.declaration.model import DeclarationRecord, plain_decimal
from karakoram.services.records import (
    AssessmentRecord,
    ControlRecord,
    PaymentRecord,
    PolicyDocument,
    QueueEntry,
)

_d = declarations.c
_CHUNK = 500


class SqlClearanceRepository:
    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    def _id(self, mrn: str) -> int:
        return int(self._conn.execute(select(_d.id).where(_d.mrn == mrn)).scalar_one())

    def add_assessments(self, pairs: Sequence[tuple[DeclarationRecord, AssessmentRecord]]) -> None:
        if not pairs:
            return
        self._conn.execute(
            insert(assessments),
            [
                {
                    "declaration_id": r.id if r.id is not None else self._id(r.mrn),
                    "kind": a.kind,
                    "rule_set_version": a.rule_set_version,
                    "tariff_version": a.tariff_version,
                    "rates_version": a.rates_version,
                    "channel": a.channel,
                    "score": a.score,
                    "draw": a.draw,
                    "total_due": plain_decimal(a.total_due),
                    "currency": a.currency,
                    "risk": a.risk,
                    "duties": a.duties,
                    "actor": a.actor,
                    "reason": a.reason,
                    "assessed_at": a.assessed_at,
                }
                for r, a in pairs
            ],
        )

    def assessments(self, mrn: str) -> list[AssessmentRecord]:
        c = assessments.c
        query = (
            select(assessments)
            .join(declarations, _d.id == c.declaration_id)
            .where(_d.mrn == mrn)
            .order_by(c.id)
        )
        return [
            AssessmentRecord(
                kind=r.kind,
                channel=r.channel,
                score=r.score,
                draw=r.draw,
                total_due=Decimal(r.total_due),
                currency=r.currency,
                risk=r.risk,
                duties=r.duties,
                actor=r.actor,
                assessed_at=r.assessed_at,
                rule_set_version=r.rule_set_version,
                tariff_version=r.tariff_version,
                rates_version=r.rates_version,
                reason=r.reason,
            )
            for r in self._conn.execute(query)
        ]

    def add_control(self, mrn: str, c: ControlRecord) -> None:
        self._conn.execute(
            insert(controls).values(
                declaration_id=self._id(mrn),
                kind=c.kind,
                result=c.result,
                findings=c.findings,
                officer=c.officer,
                at=c.at,
            )
        )

    def controls(self, mrn: str) -> list[ControlRecord]:
        c = controls.c
        query = (
            select(controls)
            .join(declarations, _d.id == c.declaration_id)
            .where(_d.mrn == mrn)
            .order_by(c.id)
        )
        return [
            ControlRecord(r.kind, r.result, r.findings, r.officer, r.at)
            for r in self._conn.execute(query)
        ]

    def add_payment(self, mrn: str, p: PaymentRecord) -> bool:
        """Store a payment; False when its reference is already recorded (a resubmission)."""
        try:
            with self._conn.begin_nested():
                self._conn.execute(
                    insert(payments).values(
                        declaration_id=self._id(mrn),
                        reference=p.reference,
                        kind=p.kind,
                        amount=plain_decimal(p.amount),
                        currency=p.currency,
                        recorded_by=p.recorded_by,
                        at=p.at,
                    )
                )
        except IntegrityError:
            return False
        return True

    def payments(self, mrn: str) -> list[PaymentRecord]:
        c = payments.c
        query = (
            select(payments)
            .join(declarations, _d.id == c.declaration_id)
            .where(_d.mrn == mrn)
            .order_by(c.id)
        )
        return [
            PaymentRecord(r.reference, r.kind, Decimal(r.amount), r.currency, r.recorded_by, r.at)
            for r in self._conn.execute(query)
        ]

    def queue(
        self, channel: str | None, office: str | None, waiting_before: datetime | None, limit: int
    ) -> list[QueueEntry]:
        query = (
            select(
                _d.mrn,
                _d.status,
                _d.channel,
                _d.type,
                _d.office_of_lodgement,
                _d.owner,
                _d.lodged_at,
                _d.updated_at,
            )
            .where(_d.status.in_([s.value for s in AWAITING_OFFICER]))
            .order_by(_d.updated_at, _d.id)
            .limit(limit)
        )
        if channel:
            query = query.where(_d.channel == channel)
        if office:
            query = query.where(_d.office_of_lodgement == office)
        if waiting_before:
            query = query.where(_d.updated_at <= waiting_before)
        return [
            QueueEntry(
                r.mrn,
                r.status,
                r.channel,
                r.type,
                r.office_of_lodgement,
                r.owner,
                r.lodged_at,
                r.updated_at,
            )
            for r in self._conn.execute(query)
        ]

    def unit_values(self, hs6: str, limit: int) -> list[float]:
        c = goods_items.c
        # a range, not LIKE 'hs6%': both SQLite and PostgreSQL then use the hs_code index
        upper = hs6[:-1] + chr(ord(hs6[-1]) + 1)
        query = (
            select(c.unit_value)
            .where(c.hs_code >= hs6, c.hs_code < upper, c.unit_value.is_not(None))
            .order_by(c.declaration_id.desc())
            .limit(limit)
        )
        return [float(v) for v in self._conn.execute(query).scalars()]

    def trader_known(self, identifier: str) -> bool:
        query = (
            select(_d.id)
            .where(or_(_d.exporter_id == identifier, _d.importer_id == identifier))
            .limit(1)
        )
        return self._conn.execute(query).first() is not None

    def first_declarations(self, identifiers: Collection[str]) -> dict[str, int]:
        """The id of each identifier's first declaration (as exporter or importer), in two
        grouped queries per chunk; identifiers without one are left out."""
        wanted = sorted(set(identifiers))
        found: dict[str, int] = {}
        for start in range(0, len(wanted), _CHUNK):
            chunk = wanted[start : start + _CHUNK]
            for column in (_d.exporter_id, _d.importer_id):
                query = select(column, func.min(_d.id)).where(column.in_(chunk)).group_by(column)
                for identifier, first in self._conn.execute(query):
                    found[identifier] = min(first, found.get(identifier, first))
        return found


def _document(row: Any) -> PolicyDocument:
    return PolicyDocument(
        row.kind, row.version, row.name, row.source, row.status, row.created_by, row.created_at
    )


class SqlPolicyRepository:
    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    def add(self, kind: str, name: str, source: str, actor: str, at: datetime) -> PolicyDocument:
        c = policy_documents.c
        latest = self._conn.execute(
            select(func.max(c.version)).where(c.kind == kind)
        ).scalar_one_or_none()
        version = (latest or 0) + 1
        self._conn.execute(
            insert(policy_documents).values(
                kind=kind,
                version=version,
                name=name,
                source=source,
                status="draft",
                created_by=actor,
                created_at=at,
            )
        )
        return PolicyDocument(kind, version, name, source, "draft", actor, at)

    def get(self, kind: str, version: int) -> PolicyDocument | None:
        c = policy_documents.c
        row = self._conn.execute(
            select(policy_documents).where(c.kind == kind, c.version == version)
        ).first()
        return _document(row) if row else None

    def active(self, kind: str) -> PolicyDocument | None:
        c = policy_documents.c
        row = self._conn.execute(
            select(policy_documents).where(c.kind == kind, c.status == "active")
        ).first()
        return _document(row) if row else None

    def all(self, kind: str) -> list[PolicyDocument]:
        c = policy_documents.c
        query = select(policy_documents).where(c.kind == kind).order_by(c.version)
        return [_document(r) for r in self._conn.execute(query)]

    def activate(
        self, kind: str, version: int, actor: str, reason: str | None, at: datetime
    ) -> None:
        c = policy_documents.c
        self._conn.execute(
            update(policy_documents)
            .where(c.kind == kind, c.status == "active")
            .values(status="retired")
        )
        self._conn.execute(
            update(policy_documents)
            .where(c.kind == kind, c.version == version)
            .values(status="active")
        )
        self._conn.execute(
            insert(policy_activations).values(
                kind=kind, version=version, actor=actor, reason=reason, at=at
            )
        )

    def activation_history(self, kind: str) -> list[int]:
        c = policy_activations.c
        query = select(c.version).where(c.kind == kind).order_by(c.id)
        return [int(v) for v in self._conn.execute(query).scalars()]

    def active_versions(self) -> dict[str, int]:
        c = policy_documents.c
        query = select(c.kind, c.version).where(c.status == "active")
        return {kind: int(version) for kind, version in self._conn.execute(query)}
