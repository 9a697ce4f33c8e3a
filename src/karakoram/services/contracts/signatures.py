"""The signed contract a `contract_registered` carries, checked at this node before anything
of it is kept (issue 19): the message is the document both traders signed, this node's trader
signed it with a key this node certified (not revoked, valid when it signed), and the partner's
signature verifies and names the other trader (domain/exchange/contract_signed.py says why a
partner's CA is not checked here)."""

from __future__ import annotations

from typing import Any, Protocol

from karakoram.domain.exchange.contract_bodies import ContractRegistered
from karakoram.domain.exchange.contract_signed import (
    SignedMember,
    altered,
    our_signer_refusal,
    partner_refusal,
    payload_of,
    trader_urn,
)
from karakoram.domain.exchange.envelope import Refused
from karakoram.services.ports import UnitOfWork


class ContractSignatures(Protocol):
    """Reads a signature member: its certificate, whether this node's trader CA issued it,
    its signing time, whether it verifies over `payload` (adapters/contract_signatures.py)."""

    def read(self, member: Any, payload: bytes) -> SignedMember | None: ...


def signature_refusal(
    uow: UnitOfWork, me: str, body: ContractRegistered, reader: ContractSignatures | None
) -> Refused | None:
    """Why this node does not take the contract as its traders signed it; None when it does."""
    if reader is None:
        return Refused(
            "contract_unverifiable", "This node has no trader CA to check contract signatures with."
        )
    read = payload_of(body)
    if isinstance(read, Refused):
        return read
    payload, doc, members = read
    refused = altered(body, payload, doc)
    if refused is not None:
        return refused
    found: dict[str | None, SignedMember] = {}
    for member in members:
        facts = reader.read(member, payload)
        if facts is None:
            return Refused(
                "contract_signature_invalid",
                f"Contract {body.contract_id}: a signature member does not read.",
            )
        found.setdefault(facts.urn, facts)
    revoked = dict(uow.trader_certs.revoked())
    for trader in body.traders:
        urn = trader_urn(str(trader["node"]), str(trader["trader"]))
        if trader["node"] == me:
            refused = our_signer_refusal(body, found.get(urn), urn, revoked)
        else:
            refused = partner_refusal(body, found.get(urn), urn)
        if refused is not None:
            return refused
    return None
