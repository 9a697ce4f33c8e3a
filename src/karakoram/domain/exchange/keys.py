"""What a partner hands over: its public key, an Ed25519 public JWK (RFC 8037), and the base
URL of its node (https, except on this machine's loopback)."""

from __future__ import annotations

import base64
import binascii
import ipaddress
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

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


class NotAPartnerUrl(KarakoramError):
    """A partner's base URL that messages may not be sent to (plain http off loopback, ...)."""

    title = "Not a partner URL"


def partner_url(url: str) -> str:
    """`url` checked to be an https URL, or an http one on loopback (127.0.0.0/8, ::1,
    localhost): signed messages are not secret, but what they say of traders is, and a
    partner's answers must come from the partner."""
    try:
        parts = urlsplit(url.strip())
        host = parts.hostname
    except ValueError as exc:
        raise NotAPartnerUrl(f"{url[:80]!r} is not a URL: {exc}.") from exc
    if parts.scheme not in ("http", "https") or not host:
        raise NotAPartnerUrl(
            f"{url[:80]!r} is not a URL a partner is reached at: https://host[:port] "
            "(plain http only on loopback)."
        )
    if parts.scheme == "http" and not _loopback(host):
        raise NotAPartnerUrl(
            f"{url[:80]} is plain http to {host}: a partner outside this machine is reached over "
            f"https only (give https://{host}{parts.path or ''} and its TLS certificate)."
        )
    return url.strip()


def _loopback(host: str) -> bool:
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


@dataclass(frozen=True, slots=True)
class ClientIdentity:
    """Who a verified TLS client certificate names: its subject (RFC 4514) and SHA-256."""

    subject: str
    fingerprint: str


@dataclass(frozen=True, slots=True)
class ClientBinding:
    """The client certificate a partner must present (subject, fingerprint, or both)."""

    subject: str | None = None
    fingerprint: str | None = None

    def matches(self, client: ClientIdentity) -> bool:
        if self.subject is not None and self.subject != client.subject:
            return False
        if self.fingerprint is not None and _hex(self.fingerprint) != _hex(client.fingerprint):
            return False
        return self.subject is not None or self.fingerprint is not None


def _hex(fingerprint: str) -> str:
    return fingerprint.replace(":", "").strip().lower()
