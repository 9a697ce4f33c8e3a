"""Ed25519 keys, JWS signatures over RFC 8785 canonical JSON (joserfc, cryptography, rfc8785).

A message travels as a compact JWS: header `{"alg": "Ed25519", "kid": ...}`, payload the
canonical JSON of the envelope. A receipt is a JWS over `{message_id, digest, receiver,
received_at}`, where digest is the SHA-256 of the exact JWS received.

Tokens of that form are read, checked and written by `compact.py` (the same bytes, checks and
answers, in a fraction of the time), canonical JSON by `services/canonical_json.py` (orjson
where it writes `rfc8785`'s bytes); anything else takes joserfc's and `rfc8785`'s own path.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from joserfc import jws
from joserfc.errors import JoseError
from joserfc.jwk import OKPKey

from karakoram.adapters.exchange import compact
from karakoram.domain.exchange.envelope import MAX_MESSAGE_BYTES, DecodedMessage, Refused
from karakoram.services import canonical_json

ALG = "Ed25519"


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
    _fast: compact.FastSigner | None = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_fast", compact.FastSigner.of(self.key, self.kid))

    def sign(self, payload: dict[str, Any]) -> str:
        data = canonical_json.dumps(payload)
        if self._fast is not None:
            return self._fast.sign(data)
        header = {"alg": ALG, "kid": self.kid}
        return jws.serialize_compact(header, data, self.key, algorithms=[ALG])


@dataclass(frozen=True, slots=True)
class TrustedKey:
    kid: str
    jwk: dict[str, Any]
    valid_from: datetime
    valid_to: datetime | None


def decode(token: str) -> DecodedMessage:
    """Header and payload before verification, to find the sender's key; never trusted."""
    if len(token) > MAX_MESSAGE_BYTES:
        raise Refused("too_large", f"The message is over {MAX_MESSAGE_BYTES:,} bytes.")
    fast = compact.read(token)
    if fast is not None and isinstance(fast[1], dict):
        header, payload, segments = fast
        return DecodedMessage(token, header, payload, segments)
    try:
        obj = jws.extract_compact(token.encode())
        payload = json.loads(obj.payload)
    except (JoseError, ValueError, TypeError) as exc:
        raise Refused("malformed", f"Not a compact JWS with a JSON payload: {exc}") from exc
    if not isinstance(payload, dict):
        raise Refused("malformed", "The payload is not a JSON object.")
    if not isinstance(obj.headers(), dict):  # `["alg"]` passes joserfc's "alg" in header
        raise Refused("malformed", "The header is not a JSON object.")
    return DecodedMessage(token, dict(obj.headers()), payload, obj)


def check_signature(
    message: DecodedMessage, keys: list[TrustedKey], signer: str, at: datetime
) -> None:
    """`Refused` unless one of `signer`'s keys, valid at `at`, signed `message`."""
    kid = message.kid
    key = next((k for k in keys if k.kid == kid), None)
    if key is None:
        raise Refused("unknown_key", f"{signer} has no key {kid!r} registered here.")
    if at < key.valid_from or (key.valid_to is not None and at > key.valid_to):
        raise Refused("key_not_valid", f"Key {kid} of {signer} was not valid at {at}.")
    if "crit" in message.header:  # RFC 7515 4.1.11: we understand no extension
        named = message.header["crit"]
        raise Refused(
            "unsupported_critical",
            f"The header's crit names extensions this node does not implement: {str(named)[:100]}",
        )
    try:
        public, fast = _public_key(key.jwk)
    except JoseError:  # not a key: nothing verifies with it
        public, fast = None, None
    simple = compact.simple_header(message.header)
    if fast is not None and simple and isinstance(message.parsed, compact.Segments):
        valid = compact.verify(fast, message.parsed)
    else:
        valid = _validate(message, public)
    if not valid:
        raise Refused("bad_signature", f"The signature does not verify with {kid}.")


def _validate(message: DecodedMessage, public: OKPKey | None) -> bool:
    """joserfc's own check, for any token (`parsed` by joserfc, or read again here)."""
    parsed = message.parsed
    if not isinstance(parsed, jws.CompactSignature):  # decoded elsewhere: read it here
        parsed = jws.extract_compact(message.token.encode())
    if public is None:
        return False
    try:
        return bool(jws.validate_compact(parsed, public, algorithms=[ALG]))
    except JoseError:
        return False


_Imported = tuple[OKPKey, Ed25519PublicKey | None]
#: public keys imported from their JWKs, by their members: a batch is signed by one or two keys,
#: and importing one (the JWK's checks) costs about half a verification; beside each, the
#: Ed25519 key `compact.py` verifies with (None: joserfc's path)
_IMPORTED: dict[tuple[tuple[str, str], ...], _Imported] = {}


def _public_key(jwk: dict[str, Any]) -> _Imported:
    """`OKPKey.import_key(jwk)`, once per distinct JWK (of string members, as public keys are)."""
    if not all(isinstance(v, str) for v in jwk.values()):
        key = OKPKey.import_key(jwk)
        return key, compact.verifying_key(key)
    name = tuple(sorted(jwk.items()))
    found = _IMPORTED.get(name)
    if found is None:
        if len(_IMPORTED) >= 1024:
            _IMPORTED.clear()
        key = OKPKey.import_key(jwk)
        found = _IMPORTED[name] = (key, compact.verifying_key(key))
    return found


def verify(token: str, keys: list[TrustedKey], sender: str, at: datetime) -> dict[str, Any]:
    """The verified payload of `token`; `Refused` says which check failed."""
    message = decode(token)
    check_signature(message, keys, sender, at)
    return message.payload


class JwsVerifier:
    """`TokenVerifier` over this module: reads tokens and checks them with given public keys."""

    def decode(self, token: str) -> DecodedMessage:
        return decode(token)

    def verify(self, message: DecodedMessage, keys: list[Any], signer: str, at: datetime) -> None:
        trusted = [TrustedKey(k.kid, k.jwk, k.valid_from, k.valid_to) for k in keys]
        check_signature(message, trusted, signer, at)


class JwsCrypto(JwsVerifier):
    """`MessageCrypto` over this module: the node's own key signs, partners' keys verify."""

    def __init__(self, signer: Signer) -> None:
        self._signer = signer

    def sign(self, payload: dict[str, Any]) -> str:
        return self._signer.sign(payload)

    def public_key(self) -> dict[str, Any]:
        """The public JWK of the signing key (with its kid)."""
        return {**public_jwk(self._signer.key), "kid": self._signer.kid}

    def digest(self, token: str) -> str:
        return digest(token)
