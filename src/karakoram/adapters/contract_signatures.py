"""Reading a contract's signature members at a customs node (cryptography's x509 and Ed25519):
the leaf certificate of `x5c`, whether this node's trader CA issued it, its `sigT`, and whether
the member's Ed25519 signature verifies over the JWS signing input (RFC 7515: the protected
header and the payload, base64url, joined by a dot). The rules on these facts are in
domain/exchange/contract_signed.py."""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any

from cryptography import x509
from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from karakoram.domain.exchange.contract_signed import SignedMember

_ALGS = ("Ed25519", "EdDSA")
#: the unprotected header parameter of the expo's receipt (expo/domain/contract_signing.py)
RECEIVED = "karakoram_received"
_URN = "urn:karakoram:trader:"


def _unb64url(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _urn_of(cert: x509.Certificate) -> str | None:
    try:
        san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    except x509.ExtensionNotFound:
        return None
    found = san.get_values_for_type(x509.UniformResourceIdentifier)
    return next((u for u in found if u.startswith(_URN)), None)


def _time(value: Any) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _received_at(header: Any) -> datetime | None:
    """`received_at` of the expo's receipt (a compact JWS) in the member's unprotected header;
    its signature is not checked here: the message carrying it is the expo's, verified."""
    token = header.get(RECEIVED) if isinstance(header, Mapping) else None
    if not isinstance(token, str) or token.count(".") != 2:
        return None
    try:
        claims = json.loads(_unb64url(token.split(".")[1]))
    except (ValueError, binascii.Error):
        return None
    return _time(claims.get("received_at")) if isinstance(claims, dict) else None


class X509ContractSignatures:
    """Reads members against this node's trader CA certificate (`ca_pem()`: None while the
    node has made no CA, so no certificate can be its)."""

    def __init__(self, ca_pem: Callable[[], str | None]) -> None:
        self._ca_pem = ca_pem

    def _ca(self) -> x509.Certificate | None:
        pem = self._ca_pem()
        return x509.load_pem_x509_certificate(pem.encode()) if pem else None

    def read(self, member: Any, payload: bytes) -> SignedMember | None:
        """The member's facts; None when it is no member carrying an X.509 certificate."""
        if not isinstance(member, Mapping):
            return None
        protected, signature = member.get("protected"), member.get("signature")
        if not isinstance(protected, str) or not isinstance(signature, str):
            return None
        try:
            header = json.loads(_unb64url(protected))
            der = base64.b64decode(header["x5c"][0], validate=True)
            cert = x509.load_der_x509_certificate(der)
            raw_signature = _unb64url(signature)
        except (ValueError, KeyError, TypeError, IndexError, binascii.Error, UnsupportedAlgorithm):
            return None
        if not isinstance(header, dict):
            return None
        key = cert.public_key()
        verifies = False
        if header.get("alg") in _ALGS and isinstance(key, Ed25519PublicKey):
            try:
                key.verify(raw_signature, f"{protected}.{_b64url(payload)}".encode())
                verifies = True
            except InvalidSignature:
                verifies = False
        return SignedMember(
            _urn_of(cert), cert.serial_number, self._issued_here(cert),
            cert.not_valid_before_utc, cert.not_valid_after_utc, _time(header.get("sigT")),
            verifies, _received_at(member.get("header")),
        )  # fmt: skip

    def _issued_here(self, cert: x509.Certificate) -> bool:
        ca = self._ca()
        if ca is None or cert.issuer != ca.subject:
            return False
        try:
            cert.verify_directly_issued_by(ca)
        except (ValueError, TypeError, InvalidSignature):
            return False
        return True
