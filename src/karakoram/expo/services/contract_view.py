"""A contract to read (issue 19, "Signed agreements"): one version as its parties, their
customs officers and anyone they show it to would read it on the contract page: the parties
as their nodes attested them, the Incoterms rule, the lines with their HS descriptions and
values (totals per currency), the delivery schedule; each party's signature with its
certificate and the verdict of the same check as the public verification page
(`contract_verify.verify`); and, once the expo handed it to the customs nodes, the contract's
hash, each shipment's UCR and what the nodes told back of it (declared, cleared).
Members only, as every contract read (`contracts.contract_of`)."""

from __future__ import annotations

import base64
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

from karakoram.domain.errors import NotFound
from karakoram.expo.domain.contract import amount, canonical
from karakoram.expo.domain.contract_signing import RECEIVED, SignatureRefused, SignerCheck
from karakoram.expo.domain.deals import stage_of
from karakoram.expo.services.context import ExpoContext
from karakoram.expo.services.contract_handover import signed_contract
from karakoram.expo.services.contract_records import (
    ContractRecord,
    ContractSignature,
    ContractVersion,
)
from karakoram.expo.services.contract_register import ucr_of
from karakoram.expo.services.contract_signatures import NoContractCrypto
from karakoram.expo.services.contract_verify import expo_trust, verify
from karakoram.expo.services.contracts import contract_of
from karakoram.expo.services.ports import ExpoUnitOfWork
from karakoram.expo.services.records import Participant


@dataclass(frozen=True, slots=True)
class SignatureView:
    """A party's signature on the version: its certificate, when the expo received it, and
    the verdict (`problem` None: valid)."""

    subject: str | None
    serial: str | None
    issuer: str | None
    not_before: datetime | None
    not_after: datetime | None
    received_at: datetime
    problem: str | None
    checked: bool


@dataclass(frozen=True, slots=True)
class PartyView:
    role: str
    name: str
    trader_id: str
    node: str
    country: str
    aeo: bool
    signature: SignatureView | None


@dataclass(frozen=True, slots=True)
class LineView:
    number: int
    hs_code: str
    hs_text: str
    descriptions: dict[str, str]
    origin: str
    quantity: str
    unit: str
    unit_price: str
    currency: str
    value: Decimal

    @property
    def amount(self) -> str:
        return amount(self.value)


@dataclass(frozen=True, slots=True)
class ShipmentView:
    number: int
    ref: str
    earliest: str | None
    latest: str | None
    crossing: str
    lines: list[int]
    ucr: str | None = None
    #: 0 registered, 1 declared, 2 cleared (expo/domain/deals.py `stage_of`)
    stage: int | None = None
    #: what the nodes told: (declaration type, status)
    told: list[tuple[str, str]] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class ContractView:
    contract: ContractRecord
    version: ContractVersion
    latest: int
    parties: list[PartyView]
    lines: list[LineView]
    #: per currency, the sum of the lines' amounts (written as the document writes amounts)
    totals: dict[str, str]
    shipments: list[ShipmentView]
    incoterms: dict[str, str]
    payment_terms: str
    governing_terms: str
    #: the parties still to sign this version (empty once both did)
    to_sign: list[PartyView]
    #: problems of the file as a whole (the verification page's), when it was checked
    problems: list[str]
    #: the signed contract's hash at the customs nodes, once registered
    registered_hash: str | None


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _checks(
    v: ContractVersion, held: list[ContractSignature], ctx: ExpoContext
) -> tuple[dict[str, SignerCheck], list[str]] | None:
    """The verification page's verdict on this version with the signatures held, by role;
    None when the expo runs without its contract signing."""
    if not held:
        return {}, []
    try:
        crypto, trust = expo_trust(ctx)
    except NoContractCrypto:
        return None
    members = [{**s.member, "header": {RECEIVED: s.receipt}} for s in held]
    verdict = verify({"payload": _b64url(canonical(v.document)), "signatures": members},
                     crypto, trust)  # fmt: skip
    return {s.role: s for s in verdict.signers}, verdict.problems


def _signature(s: ContractSignature, check: SignerCheck | None, ctx: ExpoContext) -> SignatureView:
    try:
        cert = ctx.contracts.read(s.member).certificate if ctx.contracts is not None else None
    except SignatureRefused:
        cert = None
    return SignatureView(
        cert.subject if cert else None, format(cert.serial, "X") if cert else None,
        cert.issuer if cert else None, cert.not_before if cert else None,
        cert.not_after if cert else None, s.received_at,
        check.problem if check is not None else None, check is not None,
    )  # fmt: skip


def _hs_text(code: str, names: dict[str, str]) -> str:
    bare = code.replace(".", "")
    return names.get(code) or names.get(bare) or names.get(f"{bare[:4]}.{bare[4:]}") or ""


def _shipments(
    doc: dict[str, Any], record: ContractRecord, v: ContractVersion, held_hash: str | None,
    uow: ExpoUnitOfWork,
) -> list[ShipmentView]:  # fmt: skip
    plain = [
        ShipmentView(n, str(s.get("ref") or ""), s.get("earliest"), s.get("latest"),
                     str(s.get("crossing", "")), list(s.get("lines", [])))
        for n, s in enumerate(doc.get("shipments", []), start=1)
    ]  # fmt: skip
    if held_hash is None or record.signed_at is None:
        return plain
    contract = signed_contract(doc, record.signed_at)
    told: dict[str, set[tuple[str, str]]] = {}
    for r in uow.clearance_results():
        told.setdefault(r.ucr, set()).add((r.declaration_type, r.status))
    out = []
    for s in plain:
        ucr = ucr_of(contract, held_hash, s.number)
        stage, seen = stage_of(ucr, told), sorted(told.get(ucr, set()))
        out.append(ShipmentView(s.number, s.ref, s.earliest, s.latest, s.crossing, s.lines,
                                ucr, stage, seen))  # fmt: skip
    return out


def contract_view(
    contract_id: int, who: Participant, ctx: ExpoContext, number: int | None = None
) -> ContractView:
    """Version `number` of the contract (default: the latest) to read, for one of its
    parties (anyone else: 404)."""
    with ctx.uow() as uow:
        record, thread = contract_of(contract_id, who, uow)
        versions = uow.versions(contract_id)
        found = [v for v in versions if number is None or v.version == number]
        if not found:
            raise NotFound(f"Contract {contract_id} has no version {number}.")
        v = found[-1]
        held = uow.signatures(contract_id, v.version)
        names = uow.subheadings()
        final = record.signed_at is not None and v.version == versions[-1].version
        held_hash = uow.contract_hash(str(contract_id)) if final else None
        shipments = _shipments(v.document, record, v, held_hash, uow)
    doc = v.document
    checks = _checks(v, held, ctx)
    seller = int(v.terms["seller"])
    ids = {"seller": seller, "buyer": thread.buyer_id if seller == thread.exhibitor_id
           else thread.exhibitor_id}  # fmt: skip
    parties = []
    for role in ("seller", "buyer"):
        p = doc[role]
        mine = [s for s in held if s.participant_id == ids[role]]
        check = checks[0].get(role) if checks is not None else None
        signature = _signature(mine[0], check, ctx) if mine else None
        parties.append(
            PartyView(role, str(p["name"]), str(p["trader_id"]), str(p["issuer"]),
                      str(p["country"]), bool(p.get("aeo")), signature)
        )  # fmt: skip
    lines = [
        LineView(n, str(x["hs_code"]), _hs_text(str(x["hs_code"]), names),
                 dict(x["description"]) if isinstance(x["description"], dict)
                 else {"en": str(x["description"])},
                 str(x["origin"]), str(x["quantity"]), str(x["unit"]), str(x["unit_price"]),
                 str(x["currency"]), Decimal(str(x["quantity"])) * Decimal(str(x["unit_price"])))
        for n, x in enumerate(doc["lines"], start=1)
    ]  # fmt: skip
    sums: dict[str, Decimal] = {}
    for line in lines:
        sums[line.currency] = sums.get(line.currency, Decimal(0)) + line.value
    totals = {currency: amount(total) for currency, total in sums.items()}
    return ContractView(
        record, v, versions[-1].version, parties, lines, totals, shipments,
        dict(doc.get("incoterms", {})), str(doc.get("payment_terms", "")),
        str(doc.get("governing_terms", "")), [p for p in parties if p.signature is None],
        checks[1] if checks is not None else [], held_hash,
    )  # fmt: skip
