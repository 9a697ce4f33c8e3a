"""The signed contract's PDF rendition, and each party's PAdES signature on it (issue 19).

The PDF is offered once both parties signed the final version in JWS: that is when the
contract stops changing (no version after it), so the PDF embeds exactly the bytes both
parties signed, and each party's certificate has already been checked once by the expo.
Revision 0 is the rendition of that version (made on first request and kept: the rendition
is not byte-reproducible, and every signature must sit on the same base). Then each party,
in any order, signs through interrupted signing:

1. `prepare_pdf`: the party names the certificate it signs with (the one of its JWS
   signature, or another its node's trader CA issued to it; checked as the JWS one is: bound
   to this trader, issued by its node's CA, valid now, not revoked). The expo reserves the
   signature on the latest revision and keeps the `PendingSignature`; the party gets the bytes
   to sign. The same request again answers the same bytes.
2. `finish_pdf`: the party's signature value; the expo refuses one not made by the
   certificate's key, puts it in and keeps the result as the next revision. If the other party
   signed in between, the prepared signature is stale: prepare again (on top of theirs).

The expo never holds a party's key."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import json
import ssl
from dataclasses import dataclass

from karakoram.domain.errors import Conflict, FieldError, ValidationFailed
from karakoram.expo.domain.contract import canonical, urn
from karakoram.expo.services.context import ExpoContext
from karakoram.expo.services.contract_pdf import (
    ContractPdf,
    PdfSigningRefused,
    PendingSignature,
)
from karakoram.expo.services.contract_records import (
    ContractVersion,
    DuplicateVersion,
    PdfRevision,
    PendingPdfSignature,
)
from karakoram.expo.services.contract_signatures import AlreadySigned, NotSigned, crypto_of
from karakoram.expo.services.contracts import contract_of
from karakoram.expo.services.ports import ExpoUnitOfWork
from karakoram.expo.services.records import Participant


class NoContractPdf(Conflict):
    code = "no_contract_pdf"


class NotPrepared(Conflict):
    """A signature value with no signature prepared for it."""

    code = "not_prepared"


class StalePdf(Conflict):
    """The other party signed the PDF since this signature was prepared."""

    code = "stale_pdf"


@dataclass(frozen=True, slots=True)
class Prepared:
    field_name: str
    base_revision: int
    to_be_signed: bytes
    digest_algorithm: str
    created: bool


@dataclass(frozen=True, slots=True)
class Finished:
    revision: PdfRevision
    created: bool
    complete: bool


def pdf_of(ctx: ExpoContext) -> ContractPdf:
    if ctx.pdf is None:
        raise NoContractPdf("The expo was started without its PDF rendition.")
    return ctx.pdf


def _signed_version(contract_id: int, who: Participant, uow: ExpoUnitOfWork) -> ContractVersion:
    c, _ = contract_of(contract_id, who, uow)
    latest = uow.versions(contract_id)[-1]
    if c.signed_at is None or len(uow.signatures(contract_id, latest.version)) < 2:
        raise NotSigned(
            f"Contract {contract_id} is not signed by both parties yet: its PDF is made from "
            "the signed version."
        )
    return latest


def _revisions(
    contract_id: int, v: ContractVersion, uow: ExpoUnitOfWork, ctx: ExpoContext
) -> list[PdfRevision]:
    """The PDF's revisions, rendering revision 0 first if there is none yet."""
    held = uow.pdf_revisions(contract_id)
    if held:
        return held
    pdf = pdf_of(ctx).render(canonical(v.document))
    first = PdfRevision(contract_id, 0, v.version, pdf, None, None, None, ctx.clock())
    uow.add_pdf_revision(first)
    return [first]


def latest_pdf(contract_id: int, who: Participant, ctx: ExpoContext) -> PdfRevision:
    """The latest revision of the signed contract's PDF (the rendition, until someone signs)."""
    with ctx.uow() as uow:
        uow.lock_contract(contract_id)
        v = _signed_version(contract_id, who, uow)
        held = _revisions(contract_id, v, uow, ctx)
        uow.commit()
    return held[-1]


def _role(v: ContractVersion, who: Participant) -> str:
    return "seller" if int(v.terms["seller"]) == who.id else "buyer"


@dataclass(frozen=True, slots=True)
class _Base:
    revision: PdfRevision
    cert_der: bytes
    chain: tuple[bytes, ...]
    field_name: str
    held: PendingPdfSignature | None


def _base(contract_id: int, who: Participant, cert: bytes | None, ctx: ExpoContext) -> _Base:
    crypto, _ = crypto_of(ctx)
    with ctx.uow() as uow:
        uow.lock_contract(contract_id)
        v = _signed_version(contract_id, who, uow)
        held = _revisions(contract_id, v, uow, ctx)
        if any(r.signed_by == who.id for r in held):
            raise AlreadySigned(f"You signed the PDF of contract {contract_id} already.")
        if cert is None:
            mine = [s for s in uow.signatures(contract_id, v.version) if s.participant_id == who.id]
            facts = crypto.read(mine[0].member)
        else:
            facts = crypto.read_certificate(cert)
        cas = [r for r in uow.trader_cas() if r.administration == who.issuer]
        crypto.check_certificate(
            facts, urn(who.issuer, who.trader_id), [r.cert_pem for r in cas],
            [r.crl_pem for r in cas if r.crl_pem], ctx.clock(),
        )  # fmt: skip
        pending = uow.pending_pdf_signature(contract_id, who.id)
        uow.commit()
    der = _x5c_der(facts.member)
    chain = tuple(ssl.PEM_cert_to_DER_cert(r.cert_pem) for r in cas)
    same = pending is not None and pending.base_revision == held[-1].revision
    same = same and pending is not None and pending.cert_sha256 == hashlib.sha256(der).hexdigest()
    return _Base(held[-1], der, chain, _role(v, who), pending if same else None)


def _x5c_der(member: dict[str, object]) -> bytes:
    """The DER of the certificate a (pseudo-)member carries in its protected header."""
    text = str(member["protected"])
    header = json.loads(base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)))
    return base64.b64decode(header["x5c"][0])


def _refused(exc: PdfSigningRefused, pointer: str) -> ValidationFailed:
    return ValidationFailed([FieldError(exc.code, pointer, str(exc))], str(exc))


async def prepare_pdf(
    contract_id: int, who: Participant, cert: bytes | None, ctx: ExpoContext
) -> Prepared:
    """Reserve `who`'s signature on the latest revision with `cert` (PEM or DER; default:
    the certificate of its JWS signature); the bytes it must sign."""
    port = pdf_of(ctx)
    base = await asyncio.to_thread(_base, contract_id, who, cert, ctx)
    if base.held is not None:
        p = PendingSignature.from_json(base.held.pending)
        return Prepared(p.field_name, base.revision.revision, p.to_be_signed, p.digest_algorithm,
                        created=False)  # fmt: skip
    try:
        pending = await port.prepare(
            base.revision.pdf, base.cert_der, field_name=base.field_name, chain=base.chain
        )
    except PdfSigningRefused as exc:
        raise _refused(exc, "/certificate") from exc
    record = PendingPdfSignature(
        contract_id, who.id, base.revision.revision, hashlib.sha256(base.cert_der).hexdigest(),
        pending.to_json(), ctx.clock(),
    )  # fmt: skip
    await asyncio.to_thread(_keep, record, ctx)
    return Prepared(pending.field_name, base.revision.revision, pending.to_be_signed,
                    pending.digest_algorithm, created=True)  # fmt: skip


def _keep(record: PendingPdfSignature, ctx: ExpoContext) -> None:
    with ctx.uow() as uow:
        uow.lock_contract(record.contract_id)
        if uow.pdf_revisions(record.contract_id)[-1].revision != record.base_revision:
            raise StalePdf("The other party signed the PDF meanwhile: prepare again.")
        uow.save_pending_pdf_signature(record)
        uow.commit()


def _pending(contract_id: int, who: Participant, signature: bytes, ctx: ExpoContext) -> (
    PendingPdfSignature | Finished
):  # fmt: skip
    with ctx.uow() as uow:
        _signed_version(contract_id, who, uow)
        held = uow.pdf_revisions(contract_id)
        pending = uow.pending_pdf_signature(contract_id, who.id)
    mine = [r for r in held if r.signed_by == who.id]
    if mine and mine[0].signature_sha256 == hashlib.sha256(signature).hexdigest():
        return Finished(held[-1], created=False, complete=_complete(held))
    if mine:
        raise AlreadySigned(f"You signed the PDF of contract {contract_id} already.")
    if pending is None:
        raise NotPrepared("Prepare your PDF signature first (POST …/pdf/prepare).")
    return pending


def _complete(held: list[PdfRevision]) -> bool:
    return len({r.signed_by for r in held if r.signed_by is not None}) == 2


def _store(
    p: PendingPdfSignature, field_name: str, pdf: bytes, signature: bytes, ctx: ExpoContext
) -> Finished:
    with ctx.uow() as uow:
        uow.lock_contract(p.contract_id)
        held = uow.pdf_revisions(p.contract_id)
        if held[-1].revision != p.base_revision:
            uow.drop_pending_pdf_signature(p.contract_id, p.participant_id)
            uow.commit()
            raise StalePdf("The other party signed the PDF meanwhile: prepare again.")
        new = PdfRevision(
            p.contract_id, p.base_revision + 1, held[-1].version, pdf, p.participant_id,
            field_name, hashlib.sha256(signature).hexdigest(), ctx.clock(),
        )  # fmt: skip
        try:
            uow.add_pdf_revision(new)
        except DuplicateVersion as exc:
            raise StalePdf("The other party signed the PDF meanwhile: prepare again.") from exc
        uow.drop_pending_pdf_signature(p.contract_id, p.participant_id)
        uow.commit()
    return Finished(new, created=True, complete=_complete([*held, new]))


async def finish_pdf(
    contract_id: int, who: Participant, signature: bytes, ctx: ExpoContext
) -> Finished:
    """Put `who`'s signature value into its prepared signature; the next revision. The same
    value again answers the revision it made."""
    port = pdf_of(ctx)
    found = await asyncio.to_thread(_pending, contract_id, who, signature, ctx)
    if isinstance(found, Finished):
        return found
    pending = PendingSignature.from_json(found.pending)
    try:
        pdf = await port.finish(pending, signature)
    except PdfSigningRefused as exc:
        raise _refused(exc, "/signature") from exc
    return await asyncio.to_thread(_store, found, pending.field_name, pdf, signature, ctx)
