"""What a contract signature is, as the services reason about it, and why one is refused.

A party signs a version's canonical bytes with its own Ed25519 key: a JWS signature member
(`protected`, `signature`; the payload detached, RFC 7515 appendix F) whose protected header
carries its certificate (`x5c`), the certificate's digest (`x5t#S256`) and its claimed signing
time (`sigT`, JAdES). The expo adds, in the member's unprotected header, its own signed receipt
of when it received the signature (`RECEIVED`). The signed contract is the general JWS JSON
serialisation of the canonical payload with both parties' members. Pure."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from karakoram.domain.errors import FieldError, ValidationFailed

#: the JWS algorithm: Ed25519 as RFC 9864 names it (the older "EdDSA" is deprecated there)
ALG = "Ed25519"
#: the unprotected header parameter holding the expo's receipt of a signature
RECEIVED = "karakoram_received"
#: the JWS `typ` and `cty` of a signed contract
TYP = "jose+json"
CTY = "application/vnd.karakoram.contract+json"


class SignatureRefused(ValidationFailed):
    """A signature that proves nothing for this contract: its code says which check failed
    (bad_signature, untrusted_certificate, certificate_expired, certificate_revoked,
    not_the_signer, wrong_trader, malformed_signature, old_version)."""

    def __init__(self, code: str, message: str, pointer: str = "/signature") -> None:
        super().__init__([FieldError(code, pointer, message)], message)
        self.code = code


@dataclass(frozen=True, slots=True)
class SignerCertificate:
    """A signer's certificate as read from its `x5c`."""

    serial: int
    urn: str | None
    subject: str
    issuer: str
    not_before: datetime
    not_after: datetime
    fingerprint: str


@dataclass(frozen=True, slots=True)
class SignatureFacts:
    """A signature member read once: its certificate, claimed time and the member itself."""

    certificate: SignerCertificate
    claimed_at: datetime | None
    member: dict[str, Any]


@dataclass(frozen=True, slots=True)
class SignerCheck:
    """One signature of a contract file, checked."""

    urn: str | None
    name: str
    role: str
    serial: int | None
    claimed_at: str | None
    received_at: str | None
    problem: str | None = None

    @property
    def valid(self) -> bool:
        return self.problem is None


@dataclass(frozen=True, slots=True)
class Verdict:
    """A signed contract file, checked: valid only when both parties' signatures, their
    certificates and the expo's receipts all hold."""

    document: dict[str, Any] | None
    signers: list[SignerCheck]
    problems: list[str]

    @property
    def valid(self) -> bool:
        return (
            self.document is not None
            and not self.problems
            and len(self.signers) == 2
            and all(s.valid for s in self.signers)
        )
