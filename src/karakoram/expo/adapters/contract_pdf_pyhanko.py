"""`ContractPdf` with WeasyPrint (the rendition) and pyHanko (PAdES signatures, verification),
for the expo's bootstrap to hand to the contract services."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime

from karakoram.expo.services.contract_pdf import ContractPdf, PdfVerdict, PendingSignature


class PyHankoContractPdf:
    """WeasyPrint and pyHanko take most of a second to import: each method imports what it
    uses, so a process that never touches a PDF (every `karakoram` command but the contract's,
    the node's and the expo's start-up) does not pay for them."""

    def render(self, contract_json: bytes) -> bytes:
        from karakoram.expo.adapters.contract_pdf import render_contract_pdf

        return render_contract_pdf(contract_json)

    async def prepare(
        self, pdf: bytes, signer_cert: bytes, *, field_name: str, chain: Sequence[bytes] = ()
    ) -> PendingSignature:
        from karakoram.expo.adapters.contract_pades import async_prepare_signature

        return await async_prepare_signature(pdf, signer_cert, field_name=field_name, chain=chain)

    async def finish(self, pending: PendingSignature, signature: bytes) -> bytes:
        from karakoram.expo.adapters.contract_pades import async_finish_signature

        return await async_finish_signature(pending, signature)

    async def verify(
        self,
        pdf: bytes,
        trust_roots: Sequence[bytes],
        *,
        contract_json: bytes | None = None,
        signers: Sequence[str] | None = None,
        at: Mapping[str, datetime] | None = None,
    ) -> PdfVerdict:
        from karakoram.expo.adapters.contract_pdf_verify import async_verify_pdf

        return await async_verify_pdf(
            pdf, trust_roots, contract_json=contract_json, signers=signers, at=at
        )


def contract_pdf() -> ContractPdf:
    """The adapter, typed as the port (mypy checks that it is one)."""
    return PyHankoContractPdf()
