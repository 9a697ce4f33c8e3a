"""The compact JWS the nodes exchange, read and checked without joserfc's general machinery.

Every message, receipt and delivery proof is `{"alg": "Ed25519", "kid": ...}` over a JSON
object. For a token of exactly that form this module does what joserfc does for it, once per
token and in fewer steps: the same size limits, the same strict base64url, the signature
checked over the same signing input with the same Ed25519 key (imported by joserfc, once per
key). Anything else (another header, a payload only the standard `json` parses, a key
joserfc would refuse) answers None and `signing.py` takes joserfc's path, so what is
accepted, refused and said about it does not change. Signing with it gives the bytes joserfc
gives (Ed25519 signatures are deterministic): tests/unit/test_compact_jws.py compares them.
"""

from __future__ import annotations

import binascii
from dataclasses import dataclass
from typing import Any

import orjson
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from joserfc.jwk import OKPKey
from joserfc.util import json_b64encode, urlsafe_b64decode, urlsafe_b64encode

ALG = "Ed25519"
#: joserfc's default limits (`JWSRegistry`): a longer segment is its error, so its path
_HEADER_MAX, _PAYLOAD_MAX, _SIGNATURE_MAX = 512, 128_000, 1024


@dataclass(frozen=True, slots=True)
class Segments:
    """What a signature check needs of a token read here: the signing input and signature."""

    signing_input: bytes
    signature: bytes


def read(token: str) -> tuple[dict[str, Any], Any, Segments] | None:
    """Header, payload and segments of a token of the exchange's simple form; None otherwise
    (the caller reads it the general way, with the errors that way gives)."""
    try:
        raw = token.encode("ascii")
    except UnicodeEncodeError:
        return None
    if len(raw) > _HEADER_MAX + _PAYLOAD_MAX + _SIGNATURE_MAX:
        return None
    parts = raw.split(b".")
    if len(parts) != 3:
        return None
    head, body, signature = parts
    if not body or len(head) > _HEADER_MAX or len(body) > _PAYLOAD_MAX:
        return None
    if len(signature) > _SIGNATURE_MAX:
        return None
    try:
        header = orjson.loads(urlsafe_b64decode(head))
        if type(header) is not dict or "alg" not in header or "b64" in header:
            return None  # no alg: joserfc's error; b64 (RFC 7797): its reading
        payload = orjson.loads(urlsafe_b64decode(body))
    except (ValueError, binascii.Error):  # orjson.JSONDecodeError is a ValueError
        return None
    return header, payload, Segments(head + b"." + body, signature)


def simple_header(header: dict[str, Any]) -> bool:
    """The header every node writes: Ed25519 and a key id, nothing else to check."""
    return len(header) == 2 and header.get("alg") == ALG and type(header.get("kid")) is str


def verifying_key(key: OKPKey) -> Ed25519PublicKey | None:
    """The Ed25519 key joserfc would verify with; None when it would refuse or use another."""
    if key.key_type != "OKP" or key.curve_name != ALG:
        return None
    try:
        op = key.get_op_key("verify")
    except Exception:
        return None
    return op if isinstance(op, Ed25519PublicKey) else None


def verify(key: Ed25519PublicKey, segments: Segments) -> bool:
    """What joserfc's `verify_compact` answers for an Ed25519 key."""
    try:
        signature = urlsafe_b64decode(segments.signature)
    except (TypeError, ValueError):
        return False
    try:
        key.verify(signature, segments.signing_input)
    except InvalidSignature:
        return False
    return True


class FastSigner:
    """Signs as `jws.serialize_compact({"alg": "Ed25519", "kid": kid}, payload, key)` does."""

    __slots__ = ("_head", "_key")

    def __init__(self, key: Ed25519PrivateKey, kid: str) -> None:
        self._key = key
        self._head = json_b64encode({"alg": ALG, "kid": kid}) + b"."

    @classmethod
    def of(cls, key: OKPKey, kid: str) -> FastSigner | None:
        """None when joserfc would not sign with `key` as Ed25519 (its path raises then)."""
        if key.key_type != "OKP" or key.curve_name != ALG:
            return None
        try:
            op = key.get_op_key("sign")
        except Exception:
            return None
        return cls(op, kid) if isinstance(op, Ed25519PrivateKey) else None

    def sign(self, payload: bytes) -> str:
        signing_input = self._head + urlsafe_b64encode(payload)
        signature = urlsafe_b64encode(self._key.sign(signing_input))
        return (signing_input + b"." + signature).decode("ascii")
