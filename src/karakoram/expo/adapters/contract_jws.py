"""Contract signatures: JWS members over the contract's canonical bytes (joserfc, general JSON
serialisation, payload detached) and the X.509 certificates they carry (cryptography).

A member is checked in three steps, each with its own refusal: it reads (protected header with
`alg` Ed25519, `x5c`, a matching `x5t#S256`, `sigT`), its signature verifies with the key of
its leaf certificate, and that certificate was issued by a trusted node CA to the expected
trader, was valid at the time asked, and is not on the CA's revocation list at that time."""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from cryptography import x509
from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.x509.oid import NameOID
from joserfc import jws
from joserfc.errors import JoseError
from joserfc.jwk import OKPKey
from joserfc.registry import HeaderParameter

from karakoram.expo.domain.contract_signing import (
    ALG,
    CTY,
    TYP,
    SignatureFacts,
    SignatureRefused,
    SignerCertificate,
)


class _ContractRegistry(jws.JWSRegistry):
    """joserfc's registry with room for a certificate in the header (`x5c`: some 600 bytes)
    and for a contract of many lines."""

    max_header_length = 8192
    max_payload_length = 2_000_000


_REGISTRY = _ContractRegistry(
    header_registry={"sigT": HeaderParameter("JAdES claimed signing time", "str")},
    algorithms=[ALG],
)
_URN = "urn:karakoram:trader:"


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64url(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _utc(moment: datetime) -> datetime:
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _urn_of(cert: x509.Certificate) -> str | None:
    try:
        san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    except x509.ExtensionNotFound:
        return None
    found = [u for u in san.get_values_for_type(x509.UniformResourceIdentifier)]
    return next((u for u in found if u.startswith(_URN)), None)


def _leaf(member: Mapping[str, Any]) -> tuple[dict[str, Any], x509.Certificate]:
    protected = member.get("protected")
    if not isinstance(protected, str) or not isinstance(member.get("signature"), str):
        raise SignatureRefused("malformed_signature", "A member has `protected` and `signature`.")
    try:
        header = json.loads(_unb64url(protected))
        chain = header["x5c"]
        der = base64.b64decode(chain[0], validate=True)
        cert = x509.load_der_x509_certificate(der)
    except (ValueError, KeyError, TypeError, IndexError, UnsupportedAlgorithm) as exc:
        raise SignatureRefused(
            "malformed_signature", "The protected header carries no certificate (x5c).",
            "/protected",
        ) from exc  # fmt: skip
    if not isinstance(header, dict) or header.get("alg") != ALG:
        raise SignatureRefused("malformed_signature", f"alg must be {ALG}.", "/protected")
    if header.get("x5t#S256") != b64url(hashlib.sha256(der).digest()):
        raise SignatureRefused(
            "malformed_signature", "x5t#S256 is not the digest of the x5c certificate.",
            "/protected",
        )  # fmt: skip
    return header, cert


def _facts(cert: x509.Certificate) -> SignerCertificate:
    der = cert.public_bytes(serialization.Encoding.DER)
    return SignerCertificate(
        cert.serial_number, _urn_of(cert), cert.subject.rfc4514_string(),
        cert.issuer.rfc4514_string(), cert.not_valid_before_utc, cert.not_valid_after_utc,
        hashlib.sha256(der).hexdigest(),
    )  # fmt: skip


class X509ContractCrypto:
    """Reads and checks contract signature members (the expo's `ContractCrypto`)."""

    def read(self, member: Mapping[str, Any]) -> SignatureFacts:
        header, cert = _leaf(member)
        claimed = header.get("sigT")
        try:
            at = _utc(datetime.fromisoformat(claimed)) if isinstance(claimed, str) else None
        except ValueError:
            at = None
        kept = {"protected": member["protected"], "signature": member["signature"]}
        return SignatureFacts(_facts(cert), at, kept)

    def read_certificate(self, cert: bytes) -> SignatureFacts:
        """A certificate alone (PEM or DER) as an unsigned member carrying it."""
        try:
            loaded = (
                x509.load_pem_x509_certificate(cert)
                if b"-----BEGIN" in cert
                else x509.load_der_x509_certificate(cert)
            )
        except (ValueError, UnsupportedAlgorithm) as exc:
            raise SignatureRefused(
                "malformed_signature", "Not an X.509 certificate (PEM or DER).", "/certificate"
            ) from exc
        der = loaded.public_bytes(serialization.Encoding.DER)
        header = {"alg": ALG, "x5c": [base64.b64encode(der).decode()],
                  "x5t#S256": b64url(hashlib.sha256(der).digest())}  # fmt: skip
        return self.read({"protected": b64url(json.dumps(header).encode()), "signature": ""})

    def check_signature(self, payload: bytes, facts: SignatureFacts) -> None:
        """The member signs `payload` with its certificate's key."""
        _, cert = _leaf(facts.member)
        key = cert.public_key()
        if not isinstance(key, Ed25519PublicKey):
            raise SignatureRefused("malformed_signature", "The certificate's key is not Ed25519.")
        raw = key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
        jwk = OKPKey.import_key({"kty": "OKP", "crv": "Ed25519", "x": b64url(raw)})
        flattened = {**facts.member, "payload": b64url(payload)}
        try:
            jws.deserialize_json(flattened, jwk, registry=_REGISTRY)  # type: ignore[call-overload]
        except (JoseError, ValueError) as exc:
            raise SignatureRefused(
                "bad_signature",
                "The signature does not verify over this contract version with the key of "
                "its certificate (changed contract, other version or other key).",
            ) from exc

    def check_certificate(
        self, facts: SignatureFacts, urn: str, ca_pems: Sequence[str], crl_pems: Sequence[str],
        at: datetime,
    ) -> None:  # fmt: skip
        """Issued by one of `ca_pems` to `urn`, valid at `at`, not revoked by then."""
        _, cert = _leaf(facts.member)
        if facts.certificate.urn != urn:
            raise SignatureRefused(
                "wrong_trader",
                f"The certificate is bound to {facts.certificate.urn!r}, not to {urn!r}.",
                "/protected/x5c",
            )  # fmt: skip
        ca = _issuer_of(cert, ca_pems, urn[len(_URN) :].split(":", 1)[0])
        moment = _utc(at)
        for c, what in ((cert, "The certificate"), (ca, "Its CA's certificate")):
            if not c.not_valid_before_utc <= moment <= c.not_valid_after_utc:
                raise SignatureRefused(
                    "certificate_expired",
                    f"{what} is valid from {c.not_valid_before_utc.isoformat()} to "
                    f"{c.not_valid_after_utc.isoformat()}, not at {moment.isoformat()}.",
                    "/protected/x5c",
                )  # fmt: skip
        revoked = _revoked_at(cert.serial_number, ca, crl_pems)
        if revoked is not None and revoked <= moment:
            raise SignatureRefused(
                "certificate_revoked",
                f"The certificate was revoked at {revoked.isoformat()}.", "/protected/x5c",
            )  # fmt: skip

    def ca_subject(self, pem: str) -> str:
        return read_ca(pem)

    def crl_issued_at(self, crl_pem: str, ca_pem: str) -> datetime:
        return read_crl(crl_pem, ca_pem)


def _issuer_of(
    cert: x509.Certificate, ca_pems: Sequence[str], administration: str
) -> x509.Certificate:
    """The CA among `ca_pems` that signed `cert`: one of `administration` (its O), whose
    node is the one the trader's name says (a node's CA vouches for its own traders only)."""
    for pem in ca_pems:
        ca = x509.load_pem_x509_certificate(pem.encode())
        names = ca.subject.get_attributes_for_oid(NameOID.ORGANIZATION_NAME)
        if ca.subject != cert.issuer or [n.value for n in names] != [administration]:
            continue
        try:
            cert.verify_directly_issued_by(ca)
        except (ValueError, TypeError, InvalidSignature):
            continue
        return ca
    raise SignatureRefused(
        "untrusted_certificate",
        f"No trusted customs node's CA issued the certificate of {cert.subject.rfc4514_string()}.",
        "/protected/x5c",
    )


def _revoked_at(serial: int, ca: x509.Certificate, crl_pems: Sequence[str]) -> datetime | None:
    """When `ca`'s revocation lists (those it signed) say `serial` was revoked, if they do."""
    key = ca.public_key()
    assert isinstance(key, Ed25519PublicKey)
    for pem in crl_pems:
        crl = x509.load_pem_x509_crl(pem.encode())
        if crl.issuer != ca.subject or not crl.is_signature_valid(key):
            continue
        entry = crl.get_revoked_certificate_by_serial_number(serial)
        if entry is not None:
            return entry.revocation_date_utc
    return None


def read_crl(pem: str, ca_pem: str) -> datetime:
    """A CRL signed by the CA of `ca_pem`: its issue time; `ValueError` otherwise."""
    try:
        ca = x509.load_pem_x509_certificate(ca_pem.encode())
        crl = x509.load_pem_x509_crl(pem.encode())
    except (ValueError, UnsupportedAlgorithm) as exc:
        raise ValueError("Not a PEM revocation list.") from exc
    key = ca.public_key()
    if not isinstance(key, Ed25519PublicKey) or crl.issuer != ca.subject:
        raise ValueError("The revocation list is not this CA's.")
    if not crl.is_signature_valid(key):
        raise ValueError("The revocation list's signature does not verify with the CA's key.")
    return crl.last_update_utc


def read_ca(pem: str) -> str:
    """A CA certificate (PEM): its subject; `ValueError` when it is none."""
    try:
        cert = x509.load_pem_x509_certificate(pem.encode())
    except (ValueError, UnsupportedAlgorithm) as exc:
        raise ValueError("Not a PEM certificate.") from exc
    try:
        constraints = cert.extensions.get_extension_for_class(x509.BasicConstraints).value
    except x509.ExtensionNotFound as exc:
        raise ValueError("The certificate is no CA certificate.") from exc
    if not constraints.ca:
        raise ValueError("The certificate is no CA certificate.")
    return cert.subject.rfc4514_string()


def sign_member(payload: bytes, key_pem: bytes, cert_pem: bytes, at: datetime) -> dict[str, str]:
    """A party's signature member over `payload` with its key and certificate: what
    `karakoram contract sign` sends to the expo (the key never leaves the party)."""
    key = serialization.load_pem_private_key(key_pem, None)
    if not isinstance(key, Ed25519PrivateKey):
        raise ValueError("The key is not an Ed25519 key.")
    cert = x509.load_pem_x509_certificate(cert_pem)
    der = cert.public_bytes(serialization.Encoding.DER)
    header = {
        "alg": ALG, "typ": TYP, "cty": CTY, "crit": ["sigT"],
        "sigT": _utc(at).replace(microsecond=0).isoformat().replace("+00:00", "Z"),
        "x5c": [base64.b64encode(der).decode()],
        "x5t#S256": b64url(hashlib.sha256(der).digest()),
    }  # fmt: skip
    jwk = OKPKey.import_key(key_pem)
    signed = jws.serialize_json({"protected": header}, payload, jwk, registry=_REGISTRY)
    return {"protected": signed["protected"], "signature": signed["signature"]}
