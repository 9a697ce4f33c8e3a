"""The contracts half of the expo's unit of work: contracts, their versions and signatures,
and the nodes' trader CAs (issue 19)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, insert, select, update
from sqlalchemy.exc import IntegrityError

from karakoram.expo.adapters import tables as t
from karakoram.expo.services.contract_records import (
    ContractRecord,
    ContractSignature,
    ContractVersion,
    DuplicateVersion,
    TraderCaRecord,
)


def _utc(value: datetime | None) -> datetime | None:
    if value is None or value.tzinfo is not None:
        return value
    return value.replace(tzinfo=UTC)


def _at(value: datetime) -> datetime:
    found = _utc(value)
    assert found is not None
    return found


def _contract(r: Any) -> ContractRecord:
    return ContractRecord(r.id, r.suggestion_id, r.drafted_by, _at(r.created_at), _utc(r.signed_at))


def _version(r: Any) -> ContractVersion:
    return ContractVersion(
        r.contract_id, r.version, dict(r.terms), r.terms_hash, dict(r.document), r.digest,
        r.drafted_by, _at(r.drafted_at),
    )  # fmt: skip


class ContractStore:
    conn: Connection

    def lock_contract(self, contract_id: int) -> None:
        """Take the contract's write lock before reading it (as `lock_thread` does)."""
        c = t.contracts.c
        self.conn.execute(update(t.contracts).where(c.id == contract_id).values(id=c.id))

    def add_contract(self, thread_id: int, drafted_by: int, at: datetime) -> int:
        new_id = self.conn.execute(
            insert(t.contracts)
            .values(suggestion_id=thread_id, drafted_by=drafted_by, created_at=at)
            .returning(t.contracts.c.id)
        ).scalar_one()
        return int(new_id)

    def contract(self, contract_id: int) -> ContractRecord | None:
        row = self.conn.execute(select(t.contracts).where(t.contracts.c.id == contract_id)).first()
        return None if row is None else _contract(row)

    def contracts_of_thread(self, thread_id: int) -> list[ContractRecord]:
        c = t.contracts.c
        rows = self.conn.execute(
            select(t.contracts).where(c.suggestion_id == thread_id).order_by(c.id)
        )
        return [_contract(r) for r in rows]

    def add_version(self, v: ContractVersion) -> None:
        try:
            with self.conn.begin_nested():
                self.conn.execute(
                    insert(t.contract_versions).values(
                        contract_id=v.contract_id, version=v.version, terms=v.terms,
                        terms_hash=v.terms_hash, document=v.document, digest=v.digest,
                        drafted_by=v.drafted_by, drafted_at=v.drafted_at,
                    )
                )  # fmt: skip
        except IntegrityError as exc:
            raise DuplicateVersion(f"{v.contract_id}/{v.version}") from exc

    def versions(self, contract_id: int) -> list[ContractVersion]:
        c = t.contract_versions.c
        rows = self.conn.execute(
            select(t.contract_versions).where(c.contract_id == contract_id).order_by(c.version)
        )
        return [_version(r) for r in rows]

    def add_signature(self, s: ContractSignature) -> None:
        self.conn.execute(
            insert(t.contract_signatures).values(
                contract_id=s.contract_id, version=s.version, participant_id=s.participant_id,
                member=s.member, received_at=s.received_at, receipt=s.receipt,
            )
        )  # fmt: skip

    def signatures(self, contract_id: int, version: int) -> list[ContractSignature]:
        c = t.contract_signatures.c
        rows = self.conn.execute(
            select(t.contract_signatures)
            .where((c.contract_id == contract_id) & (c.version == version))
            .order_by(c.received_at, c.participant_id)
        )
        return [
            ContractSignature(
                r.contract_id,
                r.version,
                r.participant_id,
                dict(r.member),
                _at(r.received_at),
                r.receipt,
            )
            for r in rows
        ]

    def mark_signed(self, contract_id: int, at: datetime) -> None:
        c = t.contracts.c
        self.conn.execute(update(t.contracts).where(c.id == contract_id).values(signed_at=at))

    def trader_cas(self) -> list[TraderCaRecord]:
        rows = self.conn.execute(select(t.trader_cas).order_by(t.trader_cas.c.administration))
        return [
            TraderCaRecord(r.administration, r.cert_pem, r.crl_pem, _utc(r.crl_issued_at))
            for r in rows
        ]

    def save_trader_ca(self, record: TraderCaRecord) -> None:
        c = t.trader_cas.c
        values = {
            "cert_pem": record.cert_pem, "crl_pem": record.crl_pem,
            "crl_issued_at": record.crl_issued_at,
        }  # fmt: skip
        done = self.conn.execute(
            update(t.trader_cas).where(c.administration == record.administration).values(**values)
        )
        if done.rowcount == 0:
            self.conn.execute(
                insert(t.trader_cas).values(administration=record.administration, **values)
            )
