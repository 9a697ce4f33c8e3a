"""Offline verification of a signed contract PDF: every PAdES signature (intact, made by the key
of its certificate, the certificate chaining to one of the given roots, nothing but further
signatures added after it), whose trader each certificate names, and the embedded
`contract.json` compared byte for byte with the contract.

Nothing is fetched: no OCSP, no CRL, no AIA chasing (`allow_fetching=False`); the trust roots
are the customs nodes' trader CAs, given by the caller. Certificates are checked at the time
given per signature field (the expo's countersigned receipt time, when the caller has it) or
else at the time the signer's software wrote into the signature (/M), which is only a claim.
"""

from __future__ import annotations

import asyncio
import io
import zlib
from collections.abc import Mapping, Sequence
from datetime import datetime
from pathlib import Path

from asn1crypto import x509
from cryptography import x509 as cx509
from cryptography.hazmat.primitives.serialization import Encoding
from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.misc import PdfError
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.diff_analysis import ModificationLevel
from pyhanko.sign.validation import async_validate_pdf_signature
from pyhanko.sign.validation.errors import SignatureValidationError
from pyhanko.sign.validation.pdf_embedded import EmbeddedPdfSignature
from pyhanko.sign.validation.status import SignatureCoverageLevel
from pyhanko_certvalidator import ValidationContext

from karakoram.expo.adapters.contract_pdf import ATTACHMENT_NAME
from karakoram.expo.services.contract_pdf import PdfSignatureCheck, PdfVerdict

#: what reading a damaged PDF raises: pyHanko's own errors, zlib's for a corrupt (object)
#: stream, which pyHanko decompresses lazily, and lookups in structures that are not there
_MALFORMED = (PdfError, zlib.error, ValueError, KeyError, TypeError, IndexError, AttributeError)

#: the SAN URI that binds a certificate to a trader
TRADER_URN = "urn:karakoram:trader:"


def trader_id_of(cert_der: bytes) -> str | None:
    cert = cx509.load_der_x509_certificate(cert_der)
    try:
        san = cert.extensions.get_extension_for_class(cx509.SubjectAlternativeName).value
    except cx509.ExtensionNotFound:
        return None
    for uri in san.get_values_for_type(cx509.UniformResourceIdentifier):
        if uri.startswith(TRADER_URN) and len(uri) > len(TRADER_URN):
            return uri[len(TRADER_URN) :]
    return None


def _embedded_files(reader: PdfFileReader) -> dict[str, generic.DictionaryObject]:
    """name → file specification, from the catalogue's /Names /EmbeddedFiles (flat or kids)."""
    found: dict[str, generic.DictionaryObject] = {}
    names = reader.root.get("/Names")
    tree = names.get("/EmbeddedFiles") if names is not None else None

    def walk(node: generic.DictionaryObject, depth: int) -> None:
        if depth > 16:  # a name tree deeper than this is not one WeasyPrint wrote
            return
        pairs = node.get("/Names")
        if pairs is not None:
            for i in range(0, len(pairs) - 1, 2):
                found[str(pairs[i])] = pairs.get_object()[i + 1].get_object()
        for kid in node.get("/Kids") or []:
            walk(kid.get_object(), depth + 1)

    if tree is not None:
        walk(tree.get_object(), 0)
    return found


def embedded_json(reader: PdfFileReader) -> bytes | None:
    spec = _embedded_files(reader).get(ATTACHMENT_NAME)
    if spec is None:
        return None
    ef = spec.get("/EF")
    if ef is None or "/F" not in ef:
        return None
    stream = ef["/F"].get_object()
    data: bytes = stream.data
    return data


def embedded_json_of(pdf: bytes) -> bytes | None:
    """The `contract.json` attachment of `pdf` (latest revision), or None."""
    return embedded_json(PdfFileReader(io.BytesIO(pdf), strict=False))


def _level(status_level: ModificationLevel | None) -> str:
    return "unknown" if status_level is None else status_level.name.lower()


async def _check(
    sig: EmbeddedPdfSignature, roots: Sequence[x509.Certificate], at: datetime | None
) -> PdfSignatureCheck:
    name = str(sig.field_name)
    cert = sig.signer_cert
    cert_der = cert.dump()
    claimed = sig.self_reported_timestamp
    moment = at or claimed
    context = ValidationContext(
        trust_roots=list(roots), allow_fetching=False, revocation_mode="soft-fail", moment=moment
    )
    problems: list[str] = []
    try:
        status = await async_validate_pdf_signature(sig, signer_validation_context=context)
    except (SignatureValidationError, *_MALFORMED) as exc:
        return PdfSignatureCheck(
            name, trader_id_of(cert_der), cert.subject.human_friendly, cert_der, claimed, moment,
            intact=False, valid=False, trusted=False, modifications="unknown", coverage="unknown",
            problems=(f"signature_unreadable:{name}:{exc}",),
        )  # fmt: skip
    level = status.modification_level
    if not status.intact:
        problems.append(f"signature_not_intact:{name}")
    elif not status.valid:
        problems.append(f"signature_invalid:{name}")
    if not status.trusted:
        problems.append(f"certificate_untrusted:{name}")
    if status.coverage not in (
        SignatureCoverageLevel.ENTIRE_FILE,
        SignatureCoverageLevel.ENTIRE_REVISION,
    ) or level not in (ModificationLevel.NONE, ModificationLevel.FORM_FILLING):
        problems.append(f"modified_after_signature:{name}")
    trader = trader_id_of(cert_der)
    if trader is None:
        problems.append(f"certificate_names_no_trader:{name}")
    return PdfSignatureCheck(
        field_name=name,
        trader_id=trader,
        signer_subject=cert.subject.human_friendly,
        signer_cert=cert_der,
        claimed_time=claimed,
        checked_at=moment,
        intact=status.intact,
        valid=status.valid,
        trusted=status.trusted,
        modifications=_level(level),
        coverage="unknown" if status.coverage is None else status.coverage.name.lower(),
        problems=tuple(problems),
    )


async def async_verify_pdf(
    pdf: bytes,
    trust_roots: Sequence[bytes],
    *,
    contract_json: bytes | None = None,
    signers: Sequence[str] | None = None,
    at: Mapping[str, datetime] | None = None,
) -> PdfVerdict:
    """Verify a signed contract PDF. `trust_roots`: DER certificates of the trader CAs.
    `contract_json`: the contract, compared byte for byte with the attachment. `signers`: the
    trader ids that must each have a good signature (e.g. both parties), and no one else.
    `at`: field name → the time to check that field's certificate at (default: the time the
    signature claims)."""
    try:
        reader = PdfFileReader(io.BytesIO(pdf), strict=False)
        sigs = list(reader.embedded_regular_signatures)
        attached = embedded_json(reader)
    except _MALFORMED as exc:
        return PdfVerdict((), None, None, (f"pdf_unreadable:{exc}",))
    roots = [x509.Certificate.load(r) for r in trust_roots]
    when = at or {}
    try:  # a signature dictionary or CMS too broken to read
        checks = tuple([await _check(s, roots, when.get(str(s.field_name))) for s in sigs])
    except (SignatureValidationError, *_MALFORMED) as exc:
        return PdfVerdict((), attached, None, (f"pdf_unreadable:{exc}",))
    problems = [p for c in checks for p in c.problems]
    if not checks:
        problems.append("no_signatures")
    elif checks[-1].coverage != "entire_file":  # bytes a reader ignores, but nobody signed
        problems.append(f"bytes_after_last_signature:{checks[-1].field_name}")
    if attached is None:
        problems.append("attachment_missing")
    matches = None if contract_json is None else attached == contract_json
    if matches is False:
        problems.append("attachment_differs")
    if signers is not None:
        good = {c.trader_id for c in checks if c.ok}
        problems.extend(f"signature_missing:{t}" for t in signers if t not in good)
        problems.extend(
            f"unexpected_signer:{c.trader_id or c.field_name}"
            for c in checks
            if c.trader_id not in signers
        )
    return PdfVerdict(checks, attached, matches, tuple(problems))


def verify_pdf(
    pdf: bytes,
    trust_roots: Sequence[bytes],
    *,
    contract_json: bytes | None = None,
    signers: Sequence[str] | None = None,
    at: Mapping[str, datetime] | None = None,
) -> PdfVerdict:
    """`async_verify_pdf` for callers outside an event loop (the CLI, tests, threads)."""
    return asyncio.run(
        async_verify_pdf(pdf, trust_roots, contract_json=contract_json, signers=signers, at=at)
    )


def _load_cert(path: Path) -> bytes:
    data = path.read_bytes()
    if b"-----BEGIN" in data:
        return cx509.load_pem_x509_certificate(data).public_bytes(Encoding.DER)
    return data


def verify_pdf_file(
    pdf_path: Path, roots: Sequence[Path], contract_path: Path | None = None
) -> PdfVerdict:
    """The CLI's hook: files in (roots as PEM or DER), a verdict out."""
    contract = contract_path.read_bytes() if contract_path is not None else None
    return verify_pdf(pdf_path.read_bytes(), [_load_cert(p) for p in roots], contract_json=contract)


def describe(verdict: PdfVerdict) -> list[str]:
    """The verdict as lines for a terminal."""
    lines = ["PDF: " + ("verified" if verdict.ok else "REFUSED")]
    for s in verdict.signatures:
        lines.append(
            f"  {s.field_name}: trader {s.trader_id or '?'} ({s.signer_subject}); "
            f"intact={s.intact} valid={s.valid} trusted={s.trusted} "
            f"after it: {s.modifications}; signed (claimed) {s.claimed_time}"
        )
    if verdict.json_matches is not None:
        lines.append(f"  contract.json equals the contract: {verdict.json_matches}")
    lines.extend(f"  problem: {p}" for p in verdict.problems)
    return lines
