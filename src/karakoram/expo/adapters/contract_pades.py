"""PAdES baseline B-B signatures on the contract's PDF, made through pyHanko's interrupted
signing: the expo never holds a party's key.

1. `prepare_signature(pdf, cert)` appends an incremental update with an empty signature field
   value, reserves room for the CMS container, hashes the /ByteRange and builds the CMS signed
   attributes (content type, message digest, the ESS signing-certificate-v2 attribute binding the
   signer's certificate). The result, a `PendingSignature`, can be stored (`to_json`).
2. The party signs `pending.to_be_signed` (the DER of those signed attributes) with its own key:
   Ed25519 (pure EdDSA over the bytes) or ECDSA P-256 with SHA-256 (WebCrypto's
   `sign({name: "ECDSA", hash: "SHA-256"}, key, bytes)` gives r‖s, which is accepted too).
3. `finish_signature(pending, signature)` checks the signature against the certificate's public
   key (a signature by any other key is refused before it is put in) and writes the CMS into the
   reserved room. The next party prepares on the result: each signature is its own revision, and
   pyHanko's difference analysis sees the second as an allowed form-filling change to the first.
"""

from __future__ import annotations

import asyncio
import io
import zlib
from collections.abc import Sequence

from asn1crypto import cms, x509
from cryptography import x509 as cx509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, ed25519
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.misc import PdfError
from pyhanko.sign import signers
from pyhanko.sign.fields import SigSeedSubFilter
from pyhanko.sign.general import SigningError
from pyhanko.sign.signers.pdf_byterange import PreparedByteRangeDigest
from pyhanko.sign.signers.pdf_signer import PdfTBSDocument
from pyhanko_certvalidator.registry import SimpleCertificateStore

from karakoram.expo.services.contract_pdf import PdfSigningRefused, PendingSignature


def _store(certs: Sequence[x509.Certificate]) -> SimpleCertificateStore:
    """The certificates the CMS carries besides the signer's (the trader CA)."""
    store = SimpleCertificateStore()  # type: ignore[no-untyped-call]
    store.register_multiple(certs)
    return store


def _key_kind(cert_der: bytes) -> str:
    key = cx509.load_der_x509_certificate(cert_der).public_key()
    if isinstance(key, ed25519.Ed25519PublicKey):
        return "ed25519"
    if isinstance(key, ec.EllipticCurvePublicKey) and isinstance(key.curve, ec.SECP256R1):
        return "p256"
    raise PdfSigningRefused(
        "the certificate's key is neither Ed25519 nor ECDSA P-256", code="key_type_unsupported"
    )


def _digest_algorithm(kind: str) -> str:
    return "sha512" if kind == "ed25519" else "sha256"


async def _prepare(
    pdf: bytes,
    cert: x509.Certificate,
    chain: Sequence[x509.Certificate],
    field_name: str,
    md: str,
    reason: str | None,
) -> tuple[PreparedByteRangeDigest, cms.CMSAttributes, bytes]:
    ext = signers.ExternalSigner(
        signing_cert=cert,
        cert_registry=_store(chain),
        signature_value=256,  # a placeholder of the size the room is estimated with
    )
    meta = signers.PdfSignatureMetadata(
        field_name=field_name,
        md_algorithm=md,
        subfilter=SigSeedSubFilter.PADES,
        reason=reason,
    )
    writer = IncrementalPdfFileWriter(io.BytesIO(pdf), strict=False)
    pdf_signer = signers.PdfSigner(meta, signer=ext)
    digest, _tbs, output = await pdf_signer.async_digest_doc_for_signing(writer)
    attrs = await ext.signed_attrs(digest.document_digest, md, use_pades=True)
    output.seek(0)
    return digest, attrs, output.read()


async def async_prepare_signature(
    pdf: bytes,
    signer_cert: bytes,
    *,
    field_name: str,
    chain: Sequence[bytes] = (),
    reason: str | None = None,
) -> PendingSignature:
    """Reserve a PAdES signature in `pdf` for the holder of `signer_cert` (DER) and return what
    the party must sign. `chain` (DER, e.g. the node's trader CA) is embedded in the CMS."""
    kind = _key_kind(signer_cert)
    md = _digest_algorithm(kind)
    cert = x509.Certificate.load(signer_cert)
    others = [x509.Certificate.load(c) for c in chain]
    try:
        digest, attrs, prepared = await _prepare(pdf, cert, others, field_name, md, reason)
    except (PdfError, SigningError, zlib.error) as exc:
        raise PdfSigningRefused(f"the PDF cannot be signed: {exc}", code="pdf_unsignable") from exc
    return PendingSignature(
        field_name=field_name,
        prepared_pdf=prepared,
        signed_attrs=attrs.dump(),
        digest_algorithm=md,
        document_digest=digest.document_digest,
        reserved_start=digest.reserved_region_start,
        reserved_end=digest.reserved_region_end,
        signer_cert=signer_cert,
        chain=tuple(chain),
    )


def _as_der_signature(kind: str, signature: bytes) -> bytes:
    """ECDSA: WebCrypto gives r‖s (IEEE P1363, 64 bytes for P-256); CMS wants DER."""
    if kind == "p256" and len(signature) == 64:
        r, s = int.from_bytes(signature[:32], "big"), int.from_bytes(signature[32:], "big")
        return encode_dss_signature(r, s)
    return signature


def check_signature(signer_cert: bytes, data: bytes, signature: bytes) -> bytes:
    """Verify `signature` over `data` with the certificate's key; return it as CMS wants it."""
    kind = _key_kind(signer_cert)
    sig = _as_der_signature(kind, signature)
    key = cx509.load_der_x509_certificate(signer_cert).public_key()
    try:
        if isinstance(key, ed25519.Ed25519PublicKey):
            key.verify(sig, data)
        elif isinstance(key, ec.EllipticCurvePublicKey):
            key.verify(sig, data, ec.ECDSA(hashes.SHA256()))
    except (InvalidSignature, ValueError) as exc:
        raise PdfSigningRefused(
            "the signature was not made with the certified key over the bytes handed out",
            code="signature_key_mismatch",
        ) from exc
    return sig


async def _finish(pending: PendingSignature, signature: bytes) -> bytes:
    cert = x509.Certificate.load(pending.signer_cert)
    ext = signers.ExternalSigner(
        signing_cert=cert,
        cert_registry=_store([x509.Certificate.load(c) for c in pending.chain]),
        signature_value=signature,
    )
    attrs = cms.CMSAttributes.load(pending.signed_attrs)
    container = await ext.async_sign_prescribed_attributes(
        pending.digest_algorithm, signed_attrs=attrs
    )
    output = io.BytesIO(pending.prepared_pdf)
    digest = PreparedByteRangeDigest(
        document_digest=pending.document_digest,
        reserved_region_start=pending.reserved_start,
        reserved_region_end=pending.reserved_end,
    )
    await PdfTBSDocument.async_finish_signing(output, digest, container)
    return output.getvalue()


async def async_finish_signature(pending: PendingSignature, signature: bytes) -> bytes:
    """Put the party's signature in; refuse it (nothing written) unless the certified key
    made it."""
    sig = check_signature(pending.signer_cert, pending.signed_attrs, signature)
    return await _finish(pending, sig)


def prepare_signature(
    pdf: bytes,
    signer_cert: bytes,
    *,
    field_name: str,
    chain: Sequence[bytes] = (),
    reason: str | None = None,
) -> PendingSignature:
    """`async_prepare_signature` for callers outside an event loop (CLI, tests, threads)."""
    return asyncio.run(
        async_prepare_signature(pdf, signer_cert, field_name=field_name, chain=chain, reason=reason)
    )


def finish_signature(pending: PendingSignature, signature: bytes) -> bytes:
    """`async_finish_signature` for callers outside an event loop."""
    return asyncio.run(async_finish_signature(pending, signature))


def sign_to_be_signed(key_pem: bytes, data: bytes) -> bytes:
    """What `karakoram contract sign-pdf` does on the party's machine: sign the bytes the expo
    handed out (`PendingSignature.to_be_signed`) with the party's key (PEM): Ed25519, or ECDSA
    P-256 with SHA-256 (DER)."""
    from cryptography.hazmat.primitives import serialization

    key = serialization.load_pem_private_key(key_pem, None)
    if isinstance(key, ed25519.Ed25519PrivateKey):
        return key.sign(data)
    if isinstance(key, ec.EllipticCurvePrivateKey) and isinstance(key.curve, ec.SECP256R1):
        return key.sign(data, ec.ECDSA(hashes.SHA256()))
    raise ValueError("The key is neither Ed25519 nor ECDSA P-256.")
