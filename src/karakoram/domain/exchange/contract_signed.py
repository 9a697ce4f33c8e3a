"""What a customs node checks of the signed contract a `contract_registered` carries (issue 19),
so that it does not take the expo's word for what its trader signed. Pure: the signature
member's cryptography is read by an adapter (`SignedMember`), the rules are here.

The message carries `signed_contract`, the general JWS JSON serialisation the expo holds:
`payload` (base64url of the contract document's RFC 8785 canonical bytes, format
`karakoram-contract/1`, as expo/domain/contract.py writes it) and `signatures`, the seller's
and the buyer's members (protected header with `x5c` and `sigT`; the expo's receipt in the
unprotected header). A node refuses the message, with one code each, when:

- it carries no signed contract (`contract_unsigned`) or one that does not read;
- the payload's sha256 is not `contract_hash` (`contract_hash_mismatch`);
- the contract id, traders, lines, Incoterms or shipments it says are not those the signed
  document says, mapped as the expo maps them (seller exports, buyer imports, lines numbered
  from 1, a line in several shipments split evenly): `contract_altered` naming the first
  difference;
- no member's certificate names this node's trader (`contract_not_signed_by_trader`), or its
  certificate was not issued by this node's trader CA (same code), was revoked (by this node's
  own records) at or before its `sigT` or the expo's receipt of it, whichever is later
  (`contract_certificate_revoked`), was not valid at its `sigT`
  (`contract_certificate_not_valid`), or its signature does not verify over the payload
  (`contract_signature_invalid`);
- the partner's member is missing, names another trader, or does not verify
  (`contract_signature_invalid`). The partner's certificate is checked for its signature and
  its name only: this node holds no other node's trader CA certificate or revocation list,
  so that its issuer is the partner's node rests on the expo, which checked it when the
  partner signed (contract_signatures.py at the expo).

`sigT` is the time the signer claims (covered by its signature); the expo checked each
certificate at the time it received the signature (its receipt's `received_at`, read here
without checking the receipt's own signature: the whole message is signed by the expo with the
same key, and was verified before). A signer backdating `sigT` with a key revoked since is
still refused, as this node knows its revocations at once while the expo knows them only
from the CRL it was last given.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from karakoram.domain.exchange.contract_bodies import ContractRegistered
from karakoram.domain.exchange.envelope import Refused

#: the contract document's format (expo/domain/contract.py FORMAT)
FORMAT = "karakoram-contract/1"
#: the refusal codes of a contract that is not as its traders signed it
CONTRACT_REFUSALS = frozenset(
    {
        "contract_unsigned",
        "contract_hash_mismatch",
        "contract_altered",
        "contract_signature_invalid",
        "contract_certificate_revoked",
        "contract_certificate_not_valid",
        "contract_not_signed_by_trader",
        "contract_unverifiable",
    }
)
_ROLES = {"exporter": "seller", "importer": "buyer"}
_LINE_FIELDS = ("hs_code", "origin", "unit", "currency")


def trader_urn(node: str, trader: str) -> str:
    """The name a trader's certificate is bound to (its SAN URI)."""
    return f"urn:karakoram:trader:{node}:{trader}"


@dataclass(frozen=True, slots=True)
class SignedMember:
    """One signature member as the adapter read it."""

    #: the trader URN of its leaf certificate (SAN), if any
    urn: str | None
    serial: int
    #: the leaf certificate verifies against this node's own trader CA certificate
    issued_here: bool
    not_before: datetime
    not_after: datetime
    #: `sigT` of its protected header
    signed_at: datetime | None
    #: its Ed25519 signature over the JWS signing input (protected, payload) verifies
    verifies: bool
    #: when the expo received it (its receipt in the unprotected header), if it says
    received_at: datetime | None = None


def _refused(code: str, body: ContractRegistered, what: str) -> Refused:
    return Refused(code, f"Contract {body.contract_id}: {what}")


def payload_of(body: ContractRegistered) -> tuple[bytes, dict[str, Any], list[Any]] | Refused:
    """The signed payload's bytes, its document and the signature members."""
    signed = body.signed_contract
    if not signed:
        return _refused("contract_unsigned", body, "the message carries no signed contract.")
    text, members = signed.get("payload"), signed.get("signatures")
    if not isinstance(text, str) or not isinstance(members, list):
        return _refused("contract_unsigned", body, "the signed contract is no JWS JSON.")
    try:
        payload = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
        doc = json.loads(payload)
    except (binascii.Error, ValueError):
        return _refused("contract_unsigned", body, "the signed payload is not base64url JSON.")
    if not isinstance(doc, dict) or doc.get("format") != FORMAT:
        return _refused("contract_unsigned", body, f"the signed payload is no {FORMAT}.")
    return payload, doc, members


def altered(body: ContractRegistered, payload: bytes, doc: Mapping[str, Any]) -> Refused | None:
    """Why the message is not the signed document: its hash, then the first field that
    differs."""
    if hashlib.sha256(payload).hexdigest() != body.contract_hash:
        return _refused(
            "contract_hash_mismatch", body, "the signed payload's sha256 is not the contract_hash."
        )
    try:
        difference = _difference(body, doc)
    except (KeyError, TypeError, ValueError, IndexError, StopIteration, InvalidOperation,
            ZeroDivisionError):  # fmt: skip
        difference = "the signed document is not a contract as the expo writes it"
    if difference:
        return _refused("contract_altered", body, f"{difference}.")
    return None


def _number(value: Any) -> Decimal:
    return Decimal(str(value))


def _difference(body: ContractRegistered, doc: Mapping[str, Any]) -> str | None:
    if body.contract_id != str(doc["contract"]):
        return "contract_id is not the signed contract's"
    for role, side in _ROLES.items():
        said, signed = body.trader(role), doc[side]
        wanted = {"trader": signed["trader_id"], "name": signed["name"],
                  "country": signed["country"], "node": signed["issuer"]}  # fmt: skip
        for key, value in wanted.items():
            if said.get(key) != value:
                return f"the {role}'s {key} is not the signed {side}'s"
    lines = doc["lines"]
    if len(body.lines) != len(lines):
        return "the lines are not the signed lines"
    for n, signed in enumerate(lines, start=1):
        said = body.line(n)
        for key in _LINE_FIELDS:
            if said.get(key) != signed[key]:
                return f"line {n}'s {key} is not the signed one"
        for key in ("quantity", "unit_price"):
            if _number(said.get(key)) != _number(signed[key]):
                return f"line {n}'s {key} is not the signed one"
    inco = doc["incoterms"]
    if body.incoterms.get("rule") != inco["rule"] or body.incoterms.get("place") != inco["place"]:
        return "the Incoterms are not the signed ones"
    return _shipment_difference(body, doc)


def _shipment_difference(body: ContractRegistered, doc: Mapping[str, Any]) -> str | None:
    signed = doc["shipments"]
    if len(body.shipments) != len(signed):
        return "the shipments are not the signed shipments"
    carried = Counter(n for s in signed for n in s["lines"])
    quantities = {n: _number(x["quantity"]) for n, x in enumerate(doc["lines"], start=1)}
    for i, (said, s) in enumerate(zip(body.shipments, signed, strict=True), start=1):
        if said.get("crossing") != s["crossing"]:
            return f"shipment {i}'s crossing is not the signed one"
        when = date.fromisoformat(str(said.get("date")))
        if s["earliest"] and when < date.fromisoformat(s["earliest"]):
            return f"shipment {i}'s date is before the signed earliest"
        if s["latest"] and when > date.fromisoformat(s["latest"]):
            return f"shipment {i}'s date is after the signed latest"
        parts = [(p.get("line"), _number(p.get("quantity"))) for p in said.get("lines", [])]
        expected = [(n, quantities[n] / carried[n]) for n in s["lines"]]
        if parts != expected:
            return f"shipment {i}'s lines are not the signed ones"
    return None


def our_signer_refusal(
    body: ContractRegistered, member: SignedMember | None, urn: str,
    revoked: Mapping[int, datetime],
) -> Refused | None:  # fmt: skip
    """Why the member of this node's trader (`urn`) proves nothing: none, not from this node's
    CA, revoked or not valid when it signed, or a signature that does not verify."""
    if member is None:
        return _refused("contract_not_signed_by_trader", body, f"no signature of {urn}.")
    if not member.issued_here:
        return _refused(
            "contract_not_signed_by_trader",
            body,
            f"the certificate of {urn} was not issued by this node's trader CA.",
        )
    if not member.verifies:
        return _refused(
            "contract_signature_invalid",
            body,
            f"the signature of {urn} does not verify over the signed payload.",
        )
    at = member.signed_at
    if at is None:
        return _refused(
            "contract_certificate_not_valid",
            body,
            f"the signature of {urn} gives no signing time (sigT).",
        )
    when = revoked.get(member.serial)
    latest = max(at, member.received_at or at)  # a backdated sigT does not hide a revocation
    if when is not None and when <= latest:
        return _refused(
            "contract_certificate_revoked",
            body,
            f"the certificate of {urn} was revoked at {when.isoformat()}.",
        )
    if not member.not_before <= at <= member.not_after:
        return _refused(
            "contract_certificate_not_valid",
            body,
            f"the certificate of {urn} is valid from {member.not_before.isoformat()} to "
            f"{member.not_after.isoformat()}, not at {at.isoformat()} when it signed.",
        )
    return None


def partner_refusal(
    body: ContractRegistered, member: SignedMember | None, urn: str
) -> Refused | None:
    """Why the partner's member (`urn`) proves nothing here: none, or no valid signature."""
    if member is None:
        return _refused("contract_signature_invalid", body, f"no signature of {urn}.")
    if not member.verifies:
        return _refused(
            "contract_signature_invalid",
            body,
            f"the signature of {urn} does not verify over the signed payload.",
        )
    return None
