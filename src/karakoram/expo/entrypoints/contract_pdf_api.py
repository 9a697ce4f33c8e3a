"""The signed contract's PDF routes (issue 19): fetch the PDF (the rendition of the version
both parties signed, then with their PAdES signatures), prepare a party's signature and send
its value (interrupted signing: the key stays with the party), and, open to anyone, check a
PDF. Thin: parse, call `expo/services/contract_pdf_flow.py` and `contract_pdf_check.py`."""

from __future__ import annotations

import base64
import binascii
from typing import Any

from fastapi import APIRouter, Request, Response
from pydantic import BaseModel, ConfigDict, Field

from karakoram.domain.errors import FieldError, ValidationFailed
from karakoram.expo.entrypoints.deps import CtxDep, ParticipantDep
from karakoram.expo.services import contract_pdf_flow
from karakoram.expo.services.contract_pdf import PdfSignatureCheck
from karakoram.expo.services.contract_pdf_check import PdfReport, expo_check_pdf

router = APIRouter(tags=["contracts"])
#: the largest PDF the expo checks
MAX_PDF = 8 * 1024 * 1024
_CERT = "-----BEGIN CERTIFICATE-----\nMIIB…\n-----END CERTIFICATE-----\n"


class PrepareIn(BaseModel):
    certificate: str | None = Field(
        None,
        description="The certificate you sign the PDF with (PEM), issued by your node's trader "
        "CA; default: the one of your JWS signature.",
    )
    model_config = ConfigDict(json_schema_extra={"examples": [{}, {"certificate": _CERT}]})


class PreparedOut(BaseModel):
    field_name: str = Field(description="Your signature field in the PDF (seller or buyer).")
    base_revision: int = Field(description="The PDF revision your signature is made on.")
    to_be_signed: str = Field(
        description="Base64 of the bytes to sign (the DER of the CMS signed attributes): "
        "Ed25519, or ECDSA P-256 with SHA-256."
    )
    digest_algorithm: str = Field(description="sha512 (Ed25519) or sha256 (P-256).")
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {"field_name": "seller", "base_revision": 0, "to_be_signed": "MYIBNDAYBgkq…",
                 "digest_algorithm": "sha512"}
            ]
        }
    )  # fmt: skip


class SignatureIn(BaseModel):
    signature: str = Field(description="Base64 of your signature over `to_be_signed`.")
    model_config = ConfigDict(json_schema_extra={"examples": [{"signature": "q3Vd…8AQ=="}]})


class PdfSignedOut(BaseModel):
    revision: int = Field(description="The PDF revision your signature made.")
    field_name: str | None
    complete: bool = Field(description="Both parties have signed the PDF.")
    model_config = ConfigDict(
        json_schema_extra={"examples": [{"revision": 2, "field_name": "buyer", "complete": True}]}
    )


class PdfSignatureOut(BaseModel):
    field_name: str
    trader_id: str | None
    signer: str
    claimed_time: str | None
    intact: bool
    valid: bool
    trusted: bool
    modifications: str


class PdfVerdictOut(BaseModel):
    valid: bool
    contract: dict[str, object] | None
    json_matches: bool | None = Field(
        description="contract.json equals the expo's signed version byte for byte."
    )
    signatures: list[PdfSignatureOut]
    problems: list[str] = Field(description="Codes, e.g. signature_not_intact:seller.")
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {"valid": False, "contract": {"contract": 7, "version": 2}, "json_matches": True,
                 "signatures": [], "problems": ["signature_not_intact:seller"]}
            ]
        }
    )  # fmt: skip

    @classmethod
    def of(cls, r: PdfReport) -> PdfVerdictOut:
        sigs = [_signature(s) for s in r.verdict.signatures]
        known = r.document is not None and "contract_not_signed" not in r.problems
        matches = "attachment_differs" not in r.problems if known else None
        return cls(valid=r.ok, contract=r.document, json_matches=matches, signatures=sigs,
                   problems=list(r.problems))  # fmt: skip


def _signature(s: PdfSignatureCheck) -> PdfSignatureOut:
    return PdfSignatureOut(
        field_name=s.field_name, trader_id=s.trader_id, signer=s.signer_subject,
        claimed_time=None if s.claimed_time is None else s.claimed_time.isoformat(),
        intact=s.intact, valid=s.valid, trusted=s.trusted, modifications=s.modifications,
    )  # fmt: skip


_PDF: dict[int | str, dict[str, Any]] = {
    200: {"content": {"application/pdf": {}}, "description": "The PDF."}
}


@router.get("/contracts/{contract_id}/pdf", response_class=Response, responses=_PDF)
def pdf(contract_id: int, ctx: CtxDep, who: ParticipantDep) -> Response:
    """The signed contract as PDF/A-3 with its canonical JSON attached byte for byte, and the
    parties' PAdES signatures made so far (409 `not_signed` before both signed in JWS)."""
    found = contract_pdf_flow.latest_pdf(contract_id, who, ctx)
    name = f"contract-{contract_id}-v{found.version}.pdf"
    return Response(
        found.pdf, media_type="application/pdf",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )  # fmt: skip


@router.post("/contracts/{contract_id}/pdf/prepare", response_model=PreparedOut)
async def prepare(
    contract_id: int, body: PrepareIn, response: Response, ctx: CtxDep, who: ParticipantDep
) -> PreparedOut:
    """Reserve your PAdES signature on the latest PDF with your certificate (201); the bytes
    to sign with your key. The same request again answers the same bytes (200)."""
    cert = body.certificate.encode() if body.certificate else None
    done = await contract_pdf_flow.prepare_pdf(contract_id, who, cert, ctx)
    response.status_code = 201 if done.created else 200
    return PreparedOut(
        field_name=done.field_name, base_revision=done.base_revision,
        to_be_signed=base64.b64encode(done.to_be_signed).decode(),
        digest_algorithm=done.digest_algorithm,
    )  # fmt: skip


@router.post("/contracts/{contract_id}/pdf/signature", response_model=PdfSignedOut)
async def finish(
    contract_id: int, body: SignatureIn, response: Response, ctx: CtxDep, who: ParticipantDep
) -> PdfSignedOut:
    """Your signature over the prepared bytes (201): checked with your certificate's key, put
    in; the PDF's next revision. The same signature again answers it (200)."""
    try:
        value = base64.b64decode(body.signature, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise ValidationFailed(
            [FieldError("not_base64", "/signature", "The signature must be base64.")]
        ) from exc
    done = await contract_pdf_flow.finish_pdf(contract_id, who, value, ctx)
    response.status_code = 201 if done.created else 200
    return PdfSignedOut(
        revision=done.revision.revision, field_name=done.revision.field_name,
        complete=done.complete,
    )  # fmt: skip


@router.post(
    "/contracts/verify-pdf", response_model=PdfVerdictOut,
    openapi_extra={"requestBody": {"content": {"application/pdf": {"schema": {
        "type": "string", "format": "binary"}}}, "required": True}},
)  # fmt: skip
async def check(request: Request, ctx: CtxDep) -> PdfVerdictOut:
    """Check a signed contract PDF (no sign-in): both PAdES signatures, the certificates up to
    the nodes' CAs, and that contract.json is the signed contract byte for byte."""
    body = await request.body()
    if len(body) > MAX_PDF:
        raise ValidationFailed([FieldError("too_large", "", "The PDF is larger than 8 MB.")])
    return PdfVerdictOut.of(await expo_check_pdf(body, ctx))
