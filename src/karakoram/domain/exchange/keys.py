"""A partner's public key as the partner hands it over: an Ed25519 public JWK (RFC 8037)."""

from __future__ import annotations

import base64
import binascii
from collections.abc import Mapping
from typing import Any

from karakoram.domain.errors import KarakoramError


class NotAPublicKey(KarakoramError):
    """What was given as a partner's key is not an Ed25519 public JWK."""

    title = "Not a partner's public key"


def public_jwk(data: Any) -> dict[str, Any]:
    """`data` checked to be an OKP Ed25519 public JWK (never a private one), as a dict."""
    if not isinstance(data, Mapping):
        raise NotAPublicKey("A JWK is a JSON object.")
    if "d" in data:
        raise NotAPublicKey("That is a private key; ask the partner for its public key.")
    if data.get("kty") != "OKP" or data.get("crv") != "Ed25519":
        raise NotAPublicKey(
            f"Not an Ed25519 key (kty {data.get('kty')!r}, crv {data.get('crv')!r}): "
            "partners sign with Ed25519 (kty OKP)."
        )
    if _key_bytes(data.get("x")) != 32:
        raise NotAPublicKey("The JWK's x is not a 32-byte Ed25519 public key (base64url).")
    return dict(data)


def _key_bytes(x: Any) -> int:
    """How many bytes the base64url value `x` holds; -1 when it is not base64url."""
    if not isinstance(x, str):
        return -1
    try:
        return len(base64.urlsafe_b64decode(x + "=" * (-len(x) % 4)))
    except (binascii.Error, ValueError):
        return -1
