"""Attestation signatures checked with the exchange's own JWS code (`adapters/exchange/
signing.py`): the same compact JWS, Ed25519 and key lookup by `kid` as partner messages."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from karakoram.adapters.exchange import signing
from karakoram.domain.attestation import AttestationRefused
from karakoram.domain.exchange.envelope import DecodedMessage, Refused
from karakoram.expo.services.records import PartnerKey

#: the exchange's refusal codes, as the expo names them to a participant
_CODES = {
    "malformed": "attestation_malformed",
    "too_large": "attestation_malformed",
    "unknown_key": "attestation_unknown_key",
    "key_not_valid": "attestation_unknown_key",
    "unsupported_critical": "attestation_malformed",
    "bad_signature": "attestation_forged",
}


def _refused(exc: Refused) -> AttestationRefused:
    return AttestationRefused(exc.detail, code=_CODES.get(exc.code, "attestation_forged"))


class JwsAttestationCrypto:
    def decode(self, token: str) -> DecodedMessage:
        try:
            return signing.decode(token.strip())
        except Refused as exc:
            raise _refused(exc) from exc

    def verify(
        self, message: DecodedMessage, keys: Sequence[PartnerKey], issuer: str, at: datetime
    ) -> None:
        trusted = [signing.TrustedKey(k.kid, k.jwk, k.valid_from, k.valid_to) for k in keys]
        try:
            signing.check_signature(message, trusted, issuer, at)
        except Refused as exc:
            raise _refused(exc) from exc
