"""Customs nodes the expo trusts, and the traders they vouch for.

A trader becomes a participant only with an attestation whose signature verifies with the
issuing node's registered key: the claims (name, country, AEO status) are read from the signed
payload, never from anything typed. Registering again (a renewed attestation) updates the same
participant and gives it a new API key; the old one stops working.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from karakoram.domain.attestation import AttestationRefused, check_time, parse_claims
from karakoram.domain.errors import AuthenticationFailed, FieldError, ValidationFailed
from karakoram.domain.exchange.keys import public_jwk
from karakoram.expo.services.context import ExpoContext
from karakoram.expo.services.records import (
    DuplicateParticipant,
    ExpoPartner,
    Participant,
    PartnerKey,
)


def add_partner(
    administration: str,
    country: str,
    name: str | None,
    kid: str,
    jwk: Any,
    ctx: ExpoContext,
    valid_from: datetime | None = None,
) -> ExpoPartner:
    """Trust a customs node's attestations signed with key `kid` (an Ed25519 public JWK)."""
    errors = []
    if not administration.strip() or len(administration) > 35:
        errors.append(FieldError("required", "/administration", "1 to 35 characters."))
    if country.upper() not in ctx.codes.countries:
        errors.append(FieldError("unknown_country", "/country", "An ISO 3166 alpha-2 code."))
    if not kid.strip() or len(kid) > 100:
        errors.append(FieldError("required", "/kid", "1 to 100 characters."))
    if errors:
        raise ValidationFailed(errors)
    key = PartnerKey(kid, public_jwk(jwk), valid_from or ctx.clock(), None)
    partner = ExpoPartner(administration.strip(), country.upper(), name or administration)
    with ctx.uow() as uow:
        uow.add_partner(partner, key)
        uow.commit()
    return partner


@dataclass(frozen=True, slots=True)
class Registered:
    participant: Participant
    api_key: str
    created: bool


def key_hash(api_key: str, ctx: ExpoContext) -> str:
    return hmac.new(ctx.key_secret, api_key.encode(), hashlib.sha256).hexdigest()


def register_participant(token: str, ctx: ExpoContext) -> Registered:
    """Verify `token` (an attestation) and register or renew its trader as a participant."""
    now = ctx.clock()
    message = ctx.crypto.decode(token)
    issuer = message.payload.get("iss")
    if not isinstance(issuer, str) or not issuer:
        raise AttestationRefused("The attestation names no issuer.", code="attestation_malformed")
    with ctx.uow() as uow:
        keys = uow.partner_keys(issuer)
        if not keys:
            raise AttestationRefused(
                f"{issuer[:40]!r} is no customs node this expo trusts.",
                code="attestation_unknown_issuer",
            )
        ctx.crypto.verify(message, keys, issuer, now)
        attestation = parse_claims(message.payload)
        check_time(attestation, now, ctx.attestation_lag)
        known = uow.participant(attestation.issuer, attestation.trader_id)
        api_key = ctx.new_key()
        try:
            saved = uow.save_participant(attestation, key_hash(api_key, ctx), now)
        except DuplicateParticipant:  # a concurrent registration won: renew it instead
            known = uow.participant(attestation.issuer, attestation.trader_id)
            saved = uow.save_participant(attestation, key_hash(api_key, ctx), now)
        uow.commit()
    return Registered(saved, api_key, created=known is None)


def authenticate(api_key: str | None, ctx: ExpoContext) -> Participant:
    """The participant an API key belongs to, while its attestation is valid."""
    if not api_key:
        raise AuthenticationFailed("This needs a participant's API key (register first).")
    return authenticate_hash(key_hash(api_key, ctx), ctx)


def authenticate_hash(hashed: str, ctx: ExpoContext) -> Participant:
    """The participant whose API key hashes to `hashed` (a signed-in browser's session)."""
    with ctx.uow() as uow:
        found = uow.participant_by_key(hashed)
    if found is None:
        raise AuthenticationFailed("Unknown or replaced API key.")
    if found.expires_at <= ctx.clock() - ctx.attestation_lag:
        raise AttestationRefused(
            f"Your attestation from {found.issuer} expired at {found.expires_at.isoformat()}: "
            "register again with a new one.",
            code="attestation_expired",
        )
    return found
