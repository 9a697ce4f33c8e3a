"""Traders' contract-signing keys certified by this node's CA (`services/trader_keys.py`), and
the CA's certificate and revocation list, which anyone may fetch (no sign-in): they are what
a verifier of a signed contract trusts."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import APIRouter, Response
from fastapi.responses import PlainTextResponse
from pydantic import BaseModel, Field

from karakoram.domain.access import Capability
from karakoram.entrypoints.api.guard import needs
from karakoram.entrypoints.http.deps import NodeDep, PrincipalDep
from karakoram.services import trader_keys
from karakoram.services.trader_keys import DEFAULT_DAYS, TraderCertificate

router = APIRouter(tags=["trader keys"])
_PEM: dict[int | str, dict[str, Any]] = {
    200: {"content": {"application/x-pem-file": {"schema": {"type": "string"}}}}
}


class KeyRequestIn(BaseModel):
    csr: str = Field(description="A PKCS#10 request (PEM) for an Ed25519 key, signed by it.")
    days: int = Field(DEFAULT_DAYS, description="How many days the certificate is valid.")
    replace: bool = Field(
        False, description="Revoke your earlier certificates (a lost or compromised key)."
    )


class CertificateOut(BaseModel):
    serial: str = Field(description="The certificate's serial number (decimal).")
    trader_id: str
    fingerprint: str = Field(description="SHA-256 of the raw Ed25519 public key, hex.")
    not_before: datetime
    not_after: datetime
    revoked_at: datetime | None
    certificate: str = Field(description="The X.509 certificate, PEM.")

    @classmethod
    def of(cls, c: TraderCertificate) -> CertificateOut:
        return cls(
            serial=str(c.serial), trader_id=c.trader_id, fingerprint=c.fingerprint,
            not_before=c.not_before, not_after=c.not_after, revoked_at=c.revoked_at,
            certificate=c.pem,
        )  # fmt: skip


class CertifiedOut(CertificateOut):
    revoked: list[str] = Field(description="Serials of your certificates this one replaced.")


@router.post(
    "/trader-keys", response_model=CertifiedOut, status_code=201,
    dependencies=[needs(Capability.CERTIFY_KEYS)],
)  # fmt: skip
def certify_key(
    body: KeyRequestIn, response: Response, node: NodeDep, principal: PrincipalDep
) -> CertifiedOut:
    """Certify your contract-signing key (201); the same key again answers its certificate
    (200). The CSR is the proof that you hold the key; it may name you, no one else."""
    done = trader_keys.certify_key(
        body.csr, principal, node.ctx, days=body.days, replace=body.replace
    )
    response.status_code = 201 if done.created else 200
    out = CertificateOut.of(done.certificate).model_dump()
    return CertifiedOut(**out, revoked=[str(s) for s in done.revoked])


@router.get(
    "/trader-keys", response_model=list[CertificateOut],
    dependencies=[needs(Capability.CERTIFY_KEYS)],
)  # fmt: skip
def my_certificates(node: NodeDep, principal: PrincipalDep) -> list[CertificateOut]:
    """Your certificates, the revoked ones too."""
    return [CertificateOut.of(c) for c in trader_keys.certificates_of(principal, node.ctx)]


@router.post(
    "/trader-keys/{serial}/revocation", response_model=CertificateOut,
    dependencies=[needs(Capability.CERTIFY_KEYS)],
)  # fmt: skip
def revoke_key(serial: str, node: NodeDep, principal: PrincipalDep) -> CertificateOut:
    """Revoke one of your certificates (a key lost with a browser's storage or a computer):
    the CA's revocation list names it from now, and the expo refuses signatures made with it
    once it has that list. Revoking it again changes nothing."""
    found = trader_keys.revoke_certificate(trader_keys.serial_of(serial), principal, node.ctx)
    return CertificateOut.of(found)


@router.get("/trader-ca/certificate", response_class=PlainTextResponse, responses=_PEM)
def ca_certificate(node: NodeDep) -> PlainTextResponse:
    """The trader CA's certificate (PEM, no sign-in): the expo and verifiers trust it."""
    pem = trader_keys.ca_certificate(node.ctx)
    return PlainTextResponse(pem, media_type="application/x-pem-file")


@router.get("/trader-ca/crl", response_class=PlainTextResponse, responses=_PEM)
def revocation_list(node: NodeDep) -> PlainTextResponse:
    """The trader CA's revocation list (PEM, no sign-in), signed now."""
    pem = trader_keys.revocation_list(node.ctx)
    return PlainTextResponse(pem, media_type="application/x-pem-file")
