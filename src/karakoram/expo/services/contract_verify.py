"""Checking a signed contract file, anywhere: the expo's public page and
`karakoram contract verify` offline, with the nodes' CA certificates (and revocation lists)
and the expo's public key as the only trust.

A file is valid when its payload is a contract in RFC 8785 canonical form; the seller and the
buyer each signed exactly that payload with a key their own node certified to them; the expo's
receipt of each signature verifies and names this contract, this payload, this signer and this
signature; and each certificate was valid, and not revoked, at the time of its receipt.
Every problem is listed, each in a sentence."""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from karakoram.expo.domain.contract import FORMAT, canonical
from karakoram.expo.domain.contract_signing import (
    RECEIVED,
    SignatureFacts,
    SignatureRefused,
    SignerCheck,
    Verdict,
)
from karakoram.expo.domain.thread import ReceiptRefused
from karakoram.expo.services.context import ExpoContext
from karakoram.expo.services.contract_signatures import crypto_of, signature_hash
from karakoram.expo.services.ports import ContractCrypto, ReceiptSigner

_NOT_A_CONTRACT = "This is not a signed contract (a JWS JSON serialisation: payload, signatures)."


@dataclass(frozen=True, slots=True)
class Trust:
    """What a verifier trusts: the nodes' trader CA certificates, their revocation lists and
    the expo's public key (its receipts)."""

    ca_pems: Sequence[str]
    crl_pems: Sequence[str]
    expo: ReceiptSigner


def expo_trust(ctx: ExpoContext) -> tuple[ContractCrypto, Trust]:
    """What the expo checks a signed file with: the nodes' CAs and CRLs it holds, its key."""
    crypto, expo = crypto_of(ctx)
    with ctx.uow() as uow:
        cas = uow.trader_cas()
    return crypto, Trust([c.cert_pem for c in cas], [c.crl_pem for c in cas if c.crl_pem], expo)


def _payload(obj: Any) -> tuple[bytes, dict[str, Any]] | str:
    if not isinstance(obj, Mapping) or not isinstance(obj.get("payload"), str):
        return _NOT_A_CONTRACT
    if not isinstance(obj.get("signatures"), list):
        return _NOT_A_CONTRACT
    text = obj["payload"]
    try:
        payload = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
        doc = json.loads(payload)
    except (binascii.Error, ValueError):
        return "The payload is not base64url-encoded JSON."
    if not isinstance(doc, dict) or doc.get("format") != FORMAT:
        return f"The payload is not a contract ({FORMAT})."
    for role in ("seller", "buyer"):
        if not isinstance(doc.get(role), dict) or not isinstance(doc[role].get("urn"), str):
            return f"The contract names no {role}."
    return payload, doc


def verify(obj: Any, crypto: ContractCrypto, trust: Trust) -> Verdict:
    """The verdict on a signed contract file (as `signed_file` gives it)."""
    read = _payload(obj)
    if isinstance(read, str):
        return Verdict(None, [], [read])
    payload, doc = read
    problems = []
    if canonical(doc) != payload:
        problems.append("The payload is not in RFC 8785 canonical form.")
    found: dict[str | None, tuple[SignatureFacts, Mapping[str, Any]]] = {}
    for i, member in enumerate(obj["signatures"]):
        try:
            facts = crypto.read(member if isinstance(member, Mapping) else {})
        except SignatureRefused as exc:
            problems.append(f"Signature {i + 1}: {exc.detail}")
            continue
        found[facts.certificate.urn] = (facts, member)
    signers = []
    for role in ("seller", "buyer"):
        party = doc[role]
        held = found.pop(party["urn"], None)
        if held is None:
            name = str(party.get("name", ""))
            signers.append(
                SignerCheck(
                    party["urn"], name, role, None, None, None, f"No signature of the {role}."
                )
            )
            continue
        signers.append(_signer(role, party, held, payload, doc, crypto, trust))
    problems += [f"A signature by {u!r}, who is no party to the contract." for u in found]
    return Verdict(doc, signers, problems)


def _signer(
    role: str, party: Mapping[str, Any], held: tuple[SignatureFacts, Mapping[str, Any]],
    payload: bytes, doc: Mapping[str, Any], crypto: ContractCrypto, trust: Trust,
) -> SignerCheck:  # fmt: skip
    facts, member = held
    claimed = facts.claimed_at.isoformat() if facts.claimed_at else None
    received: str | None = None
    try:
        crypto.check_signature(payload, facts)
        claims = _receipt(member, trust.expo)
        received = str(claims.get("received_at"))
        expected = {
            "contract": doc.get("contract"), "version": doc.get("version"),
            "sha256": hashlib.sha256(payload).hexdigest(), "signer": party["urn"],
            "signature_sha256": signature_hash(member),
        }  # fmt: skip
        wrong = [k for k, v in expected.items() if claims.get(k) != v]
        if wrong:
            raise SignatureRefused(
                "receipt_mismatch",
                f"The expo's receipt is of another {wrong[0].replace('_', ' ')}.",
            )
        at = datetime.fromisoformat(received)
        crypto.check_certificate(facts, party["urn"], trust.ca_pems, trust.crl_pems, at)
    except SignatureRefused as exc:
        return _check(role, party, facts, claimed, received, exc.detail)
    except ValueError:
        return _check(role, party, facts, claimed, received, "The receipt's time is no time.")
    return _check(role, party, facts, claimed, received, None)


def _check(
    role: str, party: Mapping[str, Any], facts: SignatureFacts, claimed: str | None,
    received: str | None, problem: str | None,
) -> SignerCheck:  # fmt: skip
    return SignerCheck(
        str(party["urn"]), str(party.get("name", "")), role, facts.certificate.serial, claimed,
        received, problem,
    )  # fmt: skip


def _receipt(member: Mapping[str, Any], expo: ReceiptSigner) -> dict[str, Any]:
    header = member.get("header")
    token = header.get(RECEIVED) if isinstance(header, Mapping) else None
    if not isinstance(token, str):
        raise SignatureRefused("no_receipt", "The signature carries no receipt of the expo.")
    try:
        return expo.verify(token)
    except ReceiptRefused as exc:
        raise SignatureRefused("receipt_forged", f"The receipt is not the expo's: {exc}") from exc
