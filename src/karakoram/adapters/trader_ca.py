"""The node's small certificate authority for its traders' signing keys (cryptography's x509).

Its Ed25519 key and self-signed certificate live beside the node's exchange key (PEM, mode
0600; made there the first time a trader's key is certified). A trader proves it holds a key
with a certificate signing request signed by that key; the certificate binds the key to the
trader by a SAN URI `urn:karakoram:trader:<administration>:<trader id>` (and CN = trader id,
O = administration), for a short validity. Revoked certificates are listed in a CRL the CA
signs, which anyone (the expo too) can check against the CA's certificate.
"""

from __future__ import annotations

import hashlib
import os
from datetime import datetime, timedelta
from pathlib import Path

from cryptography import x509
from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from karakoram.services.trader_keys import KeyRequest, KeyRequestRefused

#: how long the CA's own certificate is valid
CA_YEARS = 10


def _pem(cert: x509.Certificate) -> str:
    return cert.public_bytes(serialization.Encoding.PEM).decode()


def _write_private(path: Path, data: bytes) -> None:
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as f:
        f.write(data)


class X509TraderCa:
    """Issues and revokes traders' certificates with the CA key it holds."""

    def __init__(self, key: Ed25519PrivateKey, cert: x509.Certificate) -> None:
        self._key, self._cert = key, cert

    @classmethod
    def create(cls, administration: str, now: datetime) -> X509TraderCa:
        key = Ed25519PrivateKey.generate()
        name = x509.Name([
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, administration),
            x509.NameAttribute(NameOID.COMMON_NAME, f"{administration} trader CA"),
        ])  # fmt: skip
        ski = x509.SubjectKeyIdentifier.from_public_key(key.public_key())
        cert = (
            x509.CertificateBuilder()
            .subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - timedelta(minutes=5))
            .not_valid_after(now + timedelta(days=365 * CA_YEARS))
            .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
            .add_extension(x509.KeyUsage(False, False, False, False, False, True, True, False,
                                         False), critical=True)
            .add_extension(ski, critical=False)
            .sign(key, None)
        )  # fmt: skip
        return cls(key, cert)

    @classmethod
    def load_or_create(
        cls, key_path: Path, cert_path: Path, administration: str, now: datetime
    ) -> X509TraderCa:
        """The CA kept at these paths, made there on first use."""
        if not key_path.exists():
            made = cls.create(administration, now)
            _write_private(
                key_path,
                made._key.private_bytes(
                    serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                    serialization.NoEncryption(),
                ),
            )  # fmt: skip
            cert_path.write_text(_pem(made._cert))
            return made
        key = serialization.load_pem_private_key(key_path.read_bytes(), None)
        assert isinstance(key, Ed25519PrivateKey)
        return cls(key, x509.load_pem_x509_certificate(cert_path.read_bytes()))

    def certificate_pem(self) -> str:
        return _pem(self._cert)

    @staticmethod
    def read_request(csr_pem: str) -> KeyRequest:
        """The public key a CSR proves possession of, and the trader names it asks for."""
        try:
            csr = x509.load_pem_x509_csr(csr_pem.encode())
        except (ValueError, UnsupportedAlgorithm) as exc:
            raise KeyRequestRefused("not_a_csr", "Not a PEM certificate signing request.") from exc
        key = csr.public_key()
        if not isinstance(key, Ed25519PublicKey):
            raise KeyRequestRefused("unsupported_key", "The key must be an Ed25519 key.")
        try:
            valid = csr.is_signature_valid
        except (InvalidSignature, UnsupportedAlgorithm):
            valid = False
        if not valid:
            raise KeyRequestRefused(
                "no_proof_of_possession", "The request is not signed by the key it carries."
            )
        raw = key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
        names = [a.value for a in csr.subject.get_attributes_for_oid(NameOID.COMMON_NAME)]
        try:
            san = csr.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
            names += [str(u) for u in san.get_values_for_type(x509.UniformResourceIdentifier)]
        except x509.ExtensionNotFound:
            pass
        return KeyRequest(hashlib.sha256(raw).hexdigest(), raw, tuple(str(n) for n in names))

    def issue(
        self, request: KeyRequest, administration: str, trader_id: str, serial: int,
        not_before: datetime, not_after: datetime,
    ) -> str:  # fmt: skip
        """A certificate (PEM) binding `request`'s key to the trader."""
        urn = f"urn:karakoram:trader:{administration}:{trader_id}"
        public = Ed25519PublicKey.from_public_bytes(request.public_key)
        subject = x509.Name([
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, administration),
            x509.NameAttribute(NameOID.COMMON_NAME, trader_id),
        ])  # fmt: skip
        ca_ski = self._cert.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value
        cert = (
            x509.CertificateBuilder()
            .subject_name(subject).issuer_name(self._cert.subject).public_key(public)
            .serial_number(serial).not_valid_before(not_before).not_valid_after(not_after)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(x509.KeyUsage(True, True, False, False, False, False, False, False,
                                         False), critical=True)
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.EMAIL_PROTECTION]),
                           critical=False)
            .add_extension(x509.SubjectAlternativeName([x509.UniformResourceIdentifier(urn)]),
                           critical=False)
            .add_extension(
                x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(ca_ski),
                critical=False,
            )
            .sign(self._key, None)
        )  # fmt: skip
        return _pem(cert)

    def revocation_list(
        self, revoked: list[tuple[int, datetime]], now: datetime, next_update: datetime
    ) -> str:
        """The CA's CRL (PEM) of `revoked` (serial, when), signed now."""
        builder = (
            x509.CertificateRevocationListBuilder()
            .issuer_name(self._cert.subject).last_update(now).next_update(next_update)
        )  # fmt: skip
        for serial, at in revoked:
            builder = builder.add_revoked_certificate(
                x509.RevokedCertificateBuilder().serial_number(serial).revocation_date(at).build()
            )
        return builder.sign(self._key, None).public_bytes(serialization.Encoding.PEM).decode()


class LazyTraderCa:
    """The CA at its paths, loaded (or made) the first time it is needed: a node that never
    certifies a trader's key never makes one."""

    def __init__(self, key_path: Path, cert_path: Path, administration: str) -> None:
        self._paths, self._administration = (key_path, cert_path), administration
        self._ca: X509TraderCa | None = None

    def _get(self, now: datetime) -> X509TraderCa:
        if self._ca is None:
            self._ca = X509TraderCa.load_or_create(*self._paths, self._administration, now)
        return self._ca

    def certificate_pem(self, now: datetime) -> str:
        return self._get(now).certificate_pem()

    def made_certificate_pem(self) -> str | None:
        """The CA's certificate if it was made (never makes one): what a contract's signer's
        certificate must have been issued by."""
        if self._ca is not None:
            return self._ca.certificate_pem()
        cert_path = self._paths[1]
        return cert_path.read_text() if cert_path.exists() else None

    def read_request(self, csr_pem: str) -> KeyRequest:
        return X509TraderCa.read_request(csr_pem)

    def issue(
        self, request: KeyRequest, trader_id: str, serial: int, not_before: datetime,
        not_after: datetime,
    ) -> str:  # fmt: skip
        ca = self._get(not_before)
        return ca.issue(request, self._administration, trader_id, serial, not_before, not_after)

    def revocation_list(
        self, revoked: list[tuple[int, datetime]], now: datetime, next_update: datetime
    ) -> str:
        return self._get(now).revocation_list(revoked, now, next_update)


def new_trader_key(key_path: Path, trader_id: str) -> str:
    """`karakoram keys new-trader`: a new Ed25519 key saved at `key_path` (0600; refused if the file
    exists) and the CSR (PEM, CN = the trader id) by which it asks the node to certify it."""
    key = Ed25519PrivateKey.generate()
    _write_private(
        key_path,
        key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        ),
    )  # fmt: skip
    csr = (
        x509.CertificateSigningRequestBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, trader_id)]))
        .sign(key, None)
    )
    return csr.public_bytes(serialization.Encoding.PEM).decode()
