"""Signing a contract and checking a signed one (issue 19).

Each party signs the latest version's canonical bytes with its own key, which the expo never
holds, and sends the signature member (`karakoram contract sign`). The expo checks it there
and then: the signature over those bytes, the certificate issued by the party's node CA to
that very trader, valid now and not revoked. It then signs a receipt of the moment it
received the signature (its own key), kept in the member's unprotected header. With both
signatures, the contract is signed and its file (general JWS JSON serialisation) is final.

`verify` checks such a file anywhere (the public page, `karakoram contract verify` offline):
payload canonical, both parties' signatures, their certificates at the receipts' times, and
the receipts against the expo's public key."""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from karakoram.domain.errors import Conflict
from karakoram.expo.domain.contract import canonical, urn
from karakoram.expo.domain.contract_signing import (
    SignatureRefused,
)
from karakoram.expo.services.context import ExpoContext
from karakoram.expo.services.contract_file import jws_file
from karakoram.expo.services.contract_handover import hand_over
from karakoram.expo.services.contract_records import ContractSignature, ContractVersion
from karakoram.expo.services.contracts import contract_of
from karakoram.expo.services.ports import ContractCrypto, ReceiptSigner
from karakoram.expo.services.records import Participant


class AlreadySigned(Conflict):
    """The party signed this version already, with another signature."""

    code = "already_signed"


class NotSigned(Conflict):
    """The contract's file is asked before both parties signed its latest version."""

    code = "not_signed"


class NoContractCrypto(Conflict):
    code = "no_contract_crypto"


@dataclass(frozen=True, slots=True)
class Signed:
    signature: ContractSignature
    created: bool
    complete: bool


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def crypto_of(ctx: ExpoContext) -> tuple[ContractCrypto, ReceiptSigner]:
    if ctx.contracts is None or ctx.receipts is None:
        raise NoContractCrypto("The expo was started without its contract signing.")
    return ctx.contracts, ctx.receipts


def signature_hash(member: Mapping[str, Any]) -> str:
    return hashlib.sha256(str(member.get("signature", "")).encode()).hexdigest()


def sign_contract(
    contract_id: int, version: int, who: Participant, member: Any, ctx: ExpoContext
) -> Signed:
    """Record `who`'s signature member on `version` (the latest) after checking it; the
    same member again answers the signature held."""
    crypto, expo = crypto_of(ctx)
    if not isinstance(member, Mapping):
        raise SignatureRefused("malformed_signature", "A JWS member: protected, signature.", "")
    facts = crypto.read(member)
    with ctx.uow() as uow:
        uow.lock_contract(contract_id)
        c, _ = contract_of(contract_id, who, uow)
        latest = uow.versions(contract_id)[-1]
        if version != latest.version:
            raise SignatureRefused(
                "old_version",
                f"Version {version} is not the latest: sign version {latest.version}.",
                "/version",
            )
        held = uow.signatures(contract_id, version)
        mine = [s for s in held if s.participant_id == who.id]
        if mine:
            if mine[0].member != facts.member:
                raise AlreadySigned(f"You signed version {version} already.")
            return Signed(mine[0], created=False, complete=len(held) == 2)
        now = ctx.clock()
        signer = urn(who.issuer, who.trader_id)
        crypto.check_signature(canonical(latest.document), facts)
        cas = [r for r in uow.trader_cas() if r.administration == who.issuer]
        crypto.check_certificate(
            facts, signer, [r.cert_pem for r in cas], [r.crl_pem for r in cas if r.crl_pem], now
        )
        receipt = expo.sign(_receipt_claims(latest, signer, facts.member, now))
        signature = ContractSignature(contract_id, version, who.id, facts.member, now, receipt)
        uow.add_signature(signature)
        complete = len(held) + 1 == 2
        if complete:
            uow.mark_signed(c.id, now)
        uow.commit()
    if complete:  # both signed: the customs nodes are told (contract_handover.py)
        hand_over(ctx, contract_id)
    return Signed(signature, created=True, complete=complete)


def _receipt_claims(
    v: ContractVersion, signer: str, member: Mapping[str, Any], at: datetime
) -> dict[str, Any]:
    return {
        "type": "contract_signature_received", "contract": v.contract_id,
        "version": v.version, "sha256": v.digest, "signer": signer,
        "signature_sha256": signature_hash(member), "received_at": at.isoformat(),
    }  # fmt: skip


def signed_file(contract_id: int, who: Participant, ctx: ExpoContext) -> dict[str, Any]:
    """The signed contract (general JWS JSON serialisation), once both parties signed."""
    with ctx.uow() as uow:
        c, _ = contract_of(contract_id, who, uow)
        latest = uow.versions(contract_id)[-1]
        held = uow.signatures(contract_id, latest.version)
    if c.signed_at is None or len(held) < 2:
        raise NotSigned(f"Contract {contract_id} is not signed by both parties yet.")
    return jws_file(latest, held)
