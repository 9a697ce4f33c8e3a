"""What the expo stores of contracts, as the services read it (issue 19)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any


class DuplicateVersion(Exception):
    """Another edit took this version number first (a concurrent request won)."""


@dataclass(frozen=True, slots=True)
class ContractRecord:
    id: int
    thread_id: int
    drafted_by: int
    created_at: datetime
    signed_at: datetime | None


@dataclass(frozen=True, slots=True)
class ContractVersion:
    """One version: the terms as submitted (normalised), their hash, and the document both
    parties sign (with its SHA-256 over the canonical bytes)."""

    contract_id: int
    version: int
    terms: dict[str, Any]
    terms_hash: str
    document: dict[str, Any]
    digest: str
    drafted_by: int
    drafted_at: datetime


@dataclass(frozen=True, slots=True)
class ContractSignature:
    """A party's signature member on one version, and the expo's receipt of when it came."""

    contract_id: int
    version: int
    participant_id: int
    member: dict[str, Any]
    received_at: datetime
    receipt: str


@dataclass(frozen=True, slots=True)
class TraderCaRecord:
    """A customs node's CA for its traders' keys, and the freshest revocation list held."""

    administration: str
    cert_pem: str
    crl_pem: str | None
    crl_issued_at: datetime | None


@dataclass(frozen=True, slots=True)
class PdfRevision:
    """One revision of a signed contract's PDF: 0 is the rendition of the signed version, each
    later one a party's PAdES signature on top of the one before."""

    contract_id: int
    revision: int
    version: int
    pdf: bytes
    signed_by: int | None
    field_name: str | None
    signature_sha256: str | None
    created_at: datetime


@dataclass(frozen=True, slots=True)
class PendingPdfSignature:
    """A party's PDF signature prepared on `base_revision` (the stored `PendingSignature`)."""

    contract_id: int
    participant_id: int
    base_revision: int
    cert_sha256: str
    pending: str
    created_at: datetime
