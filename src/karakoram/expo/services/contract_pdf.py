"""The contract's PDF rendition as the expo's services see it: render it, reserve a party's
signature and hand out the bytes to sign, put the party's signature in, verify the result. The
adapter (`expo/adapters/contract_pdf_pyhanko.py`: WeasyPrint and pyHanko) implements
`ContractPdf`; these records are what crosses the boundary, plain data that can be stored."""

from __future__ import annotations

import base64
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol


class PdfSigningRefused(ValueError):
    """A signature could not be prepared or put in; `code` names why."""

    def __init__(self, detail: str, *, code: str) -> None:
        super().__init__(detail)
        self.code = code


@dataclass(frozen=True)
class PendingSignature:
    """What the expo keeps between handing out the bytes to sign and receiving the signature."""

    field_name: str
    #: the PDF with the reserved (still empty) /Contents of this signature
    prepared_pdf: bytes
    #: DER of the CMS signed attributes: the bytes the party signs
    signed_attrs: bytes
    #: "sha256" for P-256, "sha512" for Ed25519 (RFC 8419)
    digest_algorithm: str
    document_digest: bytes
    reserved_start: int
    reserved_end: int
    signer_cert: bytes
    chain: tuple[bytes, ...] = ()

    @property
    def to_be_signed(self) -> bytes:
        return self.signed_attrs

    def to_json(self) -> str:
        def b64(b: bytes) -> str:
            return base64.b64encode(b).decode("ascii")

        return json.dumps(
            {
                "field_name": self.field_name,
                "prepared_pdf": b64(self.prepared_pdf),
                "signed_attrs": b64(self.signed_attrs),
                "digest_algorithm": self.digest_algorithm,
                "document_digest": b64(self.document_digest),
                "reserved_start": self.reserved_start,
                "reserved_end": self.reserved_end,
                "signer_cert": b64(self.signer_cert),
                "chain": [b64(c) for c in self.chain],
            },
            sort_keys=True,
        )

    @classmethod
    def from_json(cls, text: str) -> PendingSignature:
        d: dict[str, Any] = json.loads(text)
        dec = base64.b64decode
        return cls(
            field_name=d["field_name"],
            prepared_pdf=dec(d["prepared_pdf"]),
            signed_attrs=dec(d["signed_attrs"]),
            digest_algorithm=d["digest_algorithm"],
            document_digest=dec(d["document_digest"]),
            reserved_start=int(d["reserved_start"]),
            reserved_end=int(d["reserved_end"]),
            signer_cert=dec(d["signer_cert"]),
            chain=tuple(dec(c) for c in d["chain"]),
        )


@dataclass(frozen=True)
class PdfSignatureCheck:
    field_name: str
    #: from the certificate's SAN URI urn:karakoram:trader:<id>; None when it names no trader
    trader_id: str | None
    signer_subject: str
    signer_cert: bytes
    #: the time the signer's software wrote into the signature dictionary (/M): a claim
    claimed_time: datetime | None
    #: when the certificate was checked
    checked_at: datetime | None
    #: the signed byte ranges still hash to the signed digest
    intact: bool
    #: the signature verifies with the certificate's key
    valid: bool
    #: the certificate chains to a trust root and was valid when checked
    trusted: bool
    #: "none" (the last signature) or "form_filling" (further signatures added) are fine
    modifications: str
    #: "entire_file" (the last signature), "entire_revision" (an earlier one), or less
    coverage: str
    problems: tuple[str, ...]

    @property
    def ok(self) -> bool:
        return not self.problems


@dataclass(frozen=True)
class PdfVerdict:
    signatures: tuple[PdfSignatureCheck, ...]
    #: the attachment contract.json, as found (None when absent)
    embedded_json: bytes | None
    #: None when no contract was given to compare with
    json_matches: bool | None
    #: codes, each "<code>" or "<code>:<field or trader>"; empty means the PDF verifies
    problems: tuple[str, ...] = field(default=())

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def trader_ids(self) -> tuple[str, ...]:
        return tuple(s.trader_id for s in self.signatures if s.trader_id)


class ContractPdf(Protocol):
    def render(self, contract_json: bytes) -> bytes:
        """The unsigned PDF with `contract_json` attached byte for byte as contract.json."""
        ...

    async def prepare(
        self, pdf: bytes, signer_cert: bytes, *, field_name: str, chain: Sequence[bytes] = ()
    ) -> PendingSignature:
        """Reserve `signer_cert`'s (DER) signature; `.to_be_signed` goes to the party."""
        ...

    async def finish(self, pending: PendingSignature, signature: bytes) -> bytes:
        """The PDF with the party's signature in; `PdfSigningRefused` if the certified key
        did not make it."""
        ...

    async def verify(
        self,
        pdf: bytes,
        trust_roots: Sequence[bytes],
        *,
        contract_json: bytes | None = None,
        signers: Sequence[str] | None = None,
        at: Mapping[str, datetime] | None = None,
    ) -> PdfVerdict: ...
