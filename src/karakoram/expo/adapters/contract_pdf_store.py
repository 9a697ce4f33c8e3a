"""The signed contract PDF's half of the expo's unit of work: its revisions and the party
signatures prepared on them (issue 19)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, delete, insert, select
from sqlalchemy.exc import IntegrityError

from karakoram.expo.adapters import tables as t
from karakoram.expo.adapters.contract_store import _at
from karakoram.expo.services.contract_records import (
    DuplicateVersion,
    PdfRevision,
    PendingPdfSignature,
)


def _revision(r: Any) -> PdfRevision:
    return PdfRevision(
        r.contract_id, r.revision, r.version, bytes(r.pdf), r.signed_by, r.field_name,
        r.signature_sha256, _at(r.created_at),
    )  # fmt: skip


class ContractPdfStore:
    conn: Connection

    def pdf_revisions(self, contract_id: int) -> list[PdfRevision]:
        c = t.contract_pdfs.c
        rows = self.conn.execute(
            select(t.contract_pdfs).where(c.contract_id == contract_id).order_by(c.revision)
        )
        return [_revision(r) for r in rows]

    def add_pdf_revision(self, r: PdfRevision) -> None:
        """`DuplicateVersion` when another request stored this revision first."""
        try:
            with self.conn.begin_nested():
                self.conn.execute(
                    insert(t.contract_pdfs).values(
                        contract_id=r.contract_id, revision=r.revision, version=r.version,
                        pdf=r.pdf, signed_by=r.signed_by, field_name=r.field_name,
                        signature_sha256=r.signature_sha256, created_at=r.created_at,
                    )
                )  # fmt: skip
        except IntegrityError as exc:
            raise DuplicateVersion(f"{r.contract_id}/pdf/{r.revision}") from exc

    def pending_pdf_signature(
        self, contract_id: int, participant_id: int
    ) -> PendingPdfSignature | None:
        c = t.contract_pdf_pending.c
        row = self.conn.execute(
            select(t.contract_pdf_pending).where(
                (c.contract_id == contract_id) & (c.participant_id == participant_id)
            )
        ).first()
        if row is None:
            return None
        return PendingPdfSignature(
            row.contract_id, row.participant_id, row.base_revision, row.cert_sha256,
            row.pending, _at(row.created_at),
        )  # fmt: skip

    def save_pending_pdf_signature(self, p: PendingPdfSignature) -> None:
        """Replaces the party's earlier prepared signature, if any."""
        self.drop_pending_pdf_signature(p.contract_id, p.participant_id)
        self.conn.execute(
            insert(t.contract_pdf_pending).values(
                contract_id=p.contract_id, participant_id=p.participant_id,
                base_revision=p.base_revision, cert_sha256=p.cert_sha256, pending=p.pending,
                created_at=p.created_at,
            )
        )  # fmt: skip

    def drop_pending_pdf_signature(self, contract_id: int, participant_id: int) -> None:
        c = t.contract_pdf_pending.c
        self.conn.execute(
            delete(t.contract_pdf_pending).where(
                (c.contract_id == contract_id) & (c.participant_id == participant_id)
            )
        )
