"""Ed25519 keys, JWS signatures over RFC 8785 canonical JSON (joserfc, cryptography, rfc8785).

A message travels as a compact JWS: header `{"alg": "Ed25519", "kid": ...}`, payload the
canonical JSON of the envelope. A receipt is a JWS over `{message_id, digest, receiver,
received_at}`, where digest is the SHA-256 of the exact JWS received.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import rfc8785
from joserfc import jws
from joserfc.errors import JoseError
from joserfc.jwk import OKPKey

from karakoram.domain.exchange.envelope import Refused

ALG = "Ed25519"
MAX_TOKEN_BYTES = 1_000_000


def digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def new_key(kid: str) -> OKPKey:
    return OKPKey.generate_key("Ed25519", parameters={"kid": kid})


def save_private_key(key: OKPKey, path: Path) -> None:
    """Write the private key as PEM, readable by the owner only (0600), never world-readable."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as out:
        out.write(key.as_pem(private=True))
    os.chmod(path, 0o600)


def load_private_key(path: Path, kid: str) -> OKPKey:
    mode = path.stat().st_mode & 0o777
    if mode & 0o077:
        raise PermissionError(f"{path} is readable by others (mode {mode:o}); chmod 600 it.")
    return OKPKey.import_key(path.read_bytes(), parameters={"kid": kid})


def public_jwk(key: OKPKey) -> dict[str, Any]:
    return dict(key.as_dict(private=False))


@dataclass(frozen=True, slots=True)
class Signer:
    key: OKPKey
    kid: str

    def sign(self, payload: dict[str, Any]) -> str:
        header = {"alg": ALG, "kid": self.kid}
        return jws.serialize_compact(header, rfc8785.dumps(payload), self.key, algorithms=[ALG])


@dataclass(frozen=True, slots=True)
class TrustedKey:
    kid: str
    jwk: dict[str, Any]
    valid_from: datetime
    valid_to: datetime | None


def unverified_header_and_payload(token: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """Header and payload before verification, to find the sender's key; never trusted."""
    if len(token) > MAX_TOKEN_BYTES:
        raise Refused("too_large", f"The message is over {MAX_TOKEN_BYTES:,} bytes.")
    try:
        obj = jws.extract_compact(token.encode())
        payload = json.loads(obj.payload)
    except (JoseError, ValueError, TypeError) as exc:
        raise Refused("malformed", f"Not a compact JWS with a JSON payload: {exc}") from exc
    if not isinstance(payload, dict):
        raise Refused("malformed", "The payload is not a JSON object.")
    return dict(obj.headers()), payload


def verify(token: str, keys: list[TrustedKey], sender: str, at: datetime) -> dict[str, Any]:
    """The verified payload; `Refused` says which check failed."""
    header, _ = unverified_header_and_payload(token)
    kid = header.get("kid")
    key = next((k for k in keys if k.kid == kid), None)
    if key is None:
        raise Refused("unknown_key", f"{sender} has no key {kid!r} registered here.")
    if at < key.valid_from or (key.valid_to is not None and at > key.valid_to):
        raise Refused("key_not_valid", f"Key {kid} of {sender} was not valid at {at}.")
    try:
        obj = jws.deserialize_compact(token, OKPKey.import_key(key.jwk), algorithms=[ALG])
    except JoseError as exc:
        raise Refused("bad_signature", f"The signature does not verify with {kid}.") from exc
    payload = json.loads(obj.payload)
    assert isinstance(payload, dict)
    return payload


class JwsCrypto:
    """`MessageCrypto` over this module: the node's own key signs, partners' keys verify."""

    def __init__(self, signer: Signer) -> None:
        self._signer = signer

    def sign(self, payload: dict[str, Any]) -> str:
        return self._signer.sign(payload)

    def peek(self, token: str) -> dict[str, Any]:
        return unverified_header_and_payload(token)[1]

    def verify(self, token: str, keys: list[Any], sender: str, at: datetime) -> dict[str, Any]:
        trusted = [TrustedKey(k.kid, k.jwk, k.valid_from, k.valid_to) for k in keys]
        return verify(token, trusted, sender, at)

    def digest(self, token: str) -> str:
        return digest(token)
