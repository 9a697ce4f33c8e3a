"""Attestation signatures checked with the exchange's own JWS code (`adapters/exchange/
signing.py`): the same compact JWS, Ed25519 and key lookup by `kid` as partner messages."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from joserfc.jwk import OKPKey

from karakoram.adapters.exchange import signing
from karakoram.domain.attestation import AttestationRefused
from karakoram.domain.exchange.envelope import DecodedMessage, Refused
from karakoram.expo.domain.thread import ReceiptRefused
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


#: receipts carry no validity window: the expo's key proves them for as long as it is kept
_ALWAYS = datetime(1970, 1, 1, tzinfo=UTC)


class JwsReceiptSigner:
    """The expo's Ed25519 key signs each thread receipt as a compact JWS over canonical JSON
    (the exchange's code); `public_key` is what a party verifies them with, also offline."""

    def __init__(self, key: OKPKey, kid: str) -> None:
        self._signer = signing.Signer(key, kid)

    @classmethod
    def from_file(cls, path: Path, kid: str) -> JwsReceiptSigner:
        """The key at `path` (PEM, mode 0600), made there on first use."""
        if not path.exists():
            signing.save_private_key(signing.new_key(kid), path)
        return cls(signing.load_private_key(path, kid), kid)

    @classmethod
    def ephemeral(cls, kid: str) -> JwsReceiptSigner:
        return cls(signing.new_key(kid), kid)

    def sign(self, payload: dict[str, Any]) -> str:
        return self._signer.sign(payload)

    def public_key(self) -> dict[str, Any]:
        return {**signing.public_jwk(self._signer.key), "kid": self._signer.kid}

    def verify(self, token: str) -> dict[str, Any]:
        return verify_receipt(token, self.public_key())

    def exchange_crypto(self) -> signing.JwsCrypto:
        """The same key as the exchange's `MessageCrypto`: it signs the receipts of the
        nodes' messages, and nodes' keys verify what they send."""
        return signing.JwsCrypto(self._signer)


def verify_receipt(token: str, jwk: dict[str, Any]) -> dict[str, Any]:
    """The payload of a receipt signed with the key of public `jwk`; `ReceiptRefused` else."""
    kid = str(jwk.get("kid", ""))
    try:
        return signing.verify(
            token.strip(), [signing.TrustedKey(kid, jwk, _ALWAYS, None)], "expo", _ALWAYS
        )
    except Refused as exc:
        raise ReceiptRefused(exc.detail) from exc


class PublicReceiptKey:
    """The expo's public key alone, as a party holds it: verifies receipts, signs none."""

    def __init__(self, jwk: dict[str, Any]) -> None:
        self._jwk = dict(jwk)

    def sign(self, payload: dict[str, Any]) -> str:
        raise ReceiptRefused("A public key signs nothing.")

    def public_key(self) -> dict[str, Any]:
        return dict(self._jwk)

    def verify(self, token: str) -> dict[str, Any]:
        return verify_receipt(token, self._jwk)
