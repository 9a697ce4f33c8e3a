"""Checking a signed contract PDF, anywhere (issue 19): the public page and
`karakoram contract verify FILE.pdf` offline, with the nodes' trader CA certificates (and
revocation lists) as the only trust.

A PDF verifies when every PAdES signature is intact, made by its certificate's key and
chains to a trusted CA with nothing but a further signature added after it (the port's
checks); the embedded `contract.json` is a contract in RFC 8785 canonical form whose seller and
buyer each signed, and no one else; each certificate was issued by the signer's own node's CA
to that very trader and was valid, and not revoked, when it signed; and, when the contract is
known (the expo's record, or the signed JSON file given to the CLI), the attachment equals its
canonical bytes byte for byte."""

from __future__ import annotations

import asyncio
import json
import ssl
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from karakoram.expo.domain.contract import FORMAT, canonical
from karakoram.expo.domain.contract_signing import SignatureRefused
from karakoram.expo.services.context import ExpoContext
from karakoram.expo.services.contract_pdf import ContractPdf, PdfVerdict
from karakoram.expo.services.contract_pdf_flow import pdf_of
from karakoram.expo.services.contract_verify import expo_trust
from karakoram.expo.services.ports import ContractCrypto

_URN = "urn:karakoram:trader:"


@dataclass(frozen=True, slots=True)
class PdfReport:
    """The port's verdict, the contract found inside, and every problem (the port's and ours)."""

    verdict: PdfVerdict
    document: dict[str, Any] | None
    problems: tuple[str, ...] = field(default=())

    @property
    def ok(self) -> bool:
        return not self.problems


def _document(embedded: bytes | None) -> tuple[dict[str, Any] | None, list[str]]:
    if embedded is None:
        return None, []
    try:
        doc = json.loads(embedded)
    except ValueError:
        return None, ["attachment_not_a_contract"]
    if not isinstance(doc, dict) or doc.get("format") != FORMAT:
        return None, ["attachment_not_a_contract"]
    for role in ("seller", "buyer"):
        if not isinstance(doc.get(role), dict) or not isinstance(doc[role].get("urn"), str):
            return None, ["attachment_not_a_contract"]
    problems = [] if canonical(doc) == embedded else ["attachment_not_canonical"]
    return doc, problems


async def check_pdf(
    pdf: bytes,
    port: ContractPdf,
    crypto: ContractCrypto,
    ca_pems: Sequence[str],
    crl_pems: Sequence[str],
    *,
    contract_json: bytes | None = None,
) -> PdfReport:
    """The report on `pdf`; `contract_json`: the contract's canonical bytes, when known."""
    roots = [ssl.PEM_cert_to_DER_cert(p) for p in ca_pems]
    verdict = await port.verify(pdf, roots, contract_json=contract_json)
    doc, problems = _document(verdict.embedded_json)
    problems = [*verdict.problems, *problems]
    if doc is not None:
        parties = [str(doc[r]["urn"])[len(_URN) :] for r in ("seller", "buyer")]
        good = {c.trader_id for c in verdict.signatures if c.ok}
        problems += [f"signature_missing:{t}" for t in parties if t not in good]
        problems += [
            f"unexpected_signer:{c.trader_id or c.field_name}"
            for c in verdict.signatures
            if c.trader_id not in parties
        ]
    for c in verdict.signatures:
        moment = c.checked_at or c.claimed_time
        if c.trader_id is None or moment is None:
            continue
        try:
            facts = crypto.read_certificate(c.signer_cert)
            crypto.check_certificate(facts, _URN + c.trader_id, ca_pems, crl_pems, moment)
        except SignatureRefused as exc:
            problems.append(f"certificate_refused:{c.field_name}:{exc.code}")
    return PdfReport(verdict, doc, tuple(dict.fromkeys(problems)))


async def expo_check_pdf(pdf: bytes, ctx: ExpoContext) -> PdfReport:
    """The public page's check: with the nodes' CAs the expo holds, and against the expo's
    record of the contract (the attachment must be its signed version, byte for byte)."""
    crypto, trust = await asyncio.to_thread(expo_trust, ctx)
    report = await check_pdf(pdf, pdf_of(ctx), crypto, trust.ca_pems, trust.crl_pems)
    doc = report.document
    if doc is None:
        return report
    problems = list(report.problems)
    expected = await asyncio.to_thread(_signed_canonical, doc, ctx)
    if expected is None:
        problems.append("contract_not_signed")
    elif expected != report.verdict.embedded_json:
        problems.append("attachment_differs")
    return PdfReport(report.verdict, doc, tuple(dict.fromkeys(problems)))


def _signed_canonical(doc: dict[str, Any], ctx: ExpoContext) -> bytes | None:
    """The canonical bytes of the contract version `doc` names, if the expo holds it as the
    version both parties signed."""
    number, version = doc.get("contract"), doc.get("version")
    if not isinstance(number, int) or not isinstance(version, int):
        return None
    with ctx.uow() as uow:
        c = uow.contract(number)
        held = uow.versions(number) if c is not None else []
    if c is None or c.signed_at is None or not held or held[-1].version != version:
        return None
    return canonical(held[-1].document)
