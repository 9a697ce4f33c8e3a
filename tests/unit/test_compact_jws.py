"""The exchange's own reading and checking of compact JWS (adapters/exchange/compact.py) gives
what joserfc gives: the same tokens when signing, the same payload or the same refusal when
reading and verifying, on valid tokens and on many damaged ones."""

from __future__ import annotations

import base64
import json
import random
from datetime import UTC, datetime

import pytest
import rfc8785
from joserfc import jws
from joserfc.errors import JoseError
from joserfc.jwk import OKPKey

from karakoram.adapters.exchange import compact
from karakoram.adapters.exchange.signing import (
    Signer,
    TrustedKey,
    check_signature,
    decode,
    new_key,
    public_jwk,
)
from karakoram.domain.exchange.envelope import Refused

KEY = new_key("CN-URC-1")
OTHER = new_key("CN-URC-1")
SINCE = datetime(2020, 1, 1, tzinfo=UTC)
NOW = datetime(2026, 12, 1, tzinfo=UTC)
PAYLOADS = [
    {"id": "m-1", "digest": "ab" * 32, "receiver": "PK-GB", "received_at": "2026-12-01T00:00:00"},
    {"kind": "delivery", "digests": ["a" * 64, "b" * 64], "n": 3, "ok": True, "none": None},
    {"body": {"items": [{"hs": "0101", "value": 1.25}], "名": "é\u2028"}, "big": 2**52},
]


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _reference(token: str, jwk: dict) -> object:
    """What the node answered with joserfc alone (before compact.py)."""
    try:
        obj = jws.extract_compact(token.encode())
        payload = json.loads(obj.payload)
    except (JoseError, ValueError, TypeError):
        return "malformed"
    if not isinstance(payload, dict) or not isinstance(obj.headers(), dict):
        return "malformed"  # a header `["alg"]` was a ValueError (a 500) before
    if obj.headers().get("kid") != "CN-URC-1":
        return "unknown_key"
    if "crit" in obj.headers():
        return "unsupported_critical"
    try:
        valid = jws.validate_compact(obj, OKPKey.import_key(jwk), algorithms=["Ed25519"])
    except JoseError:
        valid = False
    return payload if valid else "bad_signature"


def _ours(token: str, jwk: dict) -> object:
    try:
        message = decode(token)
        check_signature(message, [TrustedKey("CN-URC-1", jwk, SINCE, None)], "CN-URC", NOW)
    except Refused as refused:
        return refused.code
    return message.payload


@pytest.mark.parametrize("payload", PAYLOADS)
def test_signing_gives_joserfcs_token_byte_for_byte(payload):
    ours = Signer(KEY, "CN-URC-1").sign(payload)
    header = {"alg": "Ed25519", "kid": "CN-URC-1"}
    theirs = jws.serialize_compact(header, rfc8785.dumps(payload), KEY, algorithms=["Ed25519"])
    assert ours == theirs


@pytest.mark.parametrize("payload", PAYLOADS)
def test_a_valid_token_reads_and_verifies_fast_as_joserfc_does(payload):
    token = Signer(KEY, "CN-URC-1").sign(payload)
    assert isinstance(decode(token).parsed, compact.Segments)  # the fast path was taken
    assert _ours(token, public_jwk(KEY)) == _reference(token, public_jwk(KEY)) == payload
    assert _ours(token, public_jwk(OTHER)) == "bad_signature"


def _damaged(rnd: random.Random, token: str) -> str:
    how = rnd.randint(0, 5)
    chars = list(token)
    if how == 0:  # a character changed anywhere
        chars[rnd.randrange(len(chars))] = rnd.choice("AQgw_-=+/.~é aZ09")
        return "".join(chars)
    if how == 1:  # a piece cut out
        start = rnd.randrange(len(chars))
        return token[:start] + token[start + rnd.randint(1, 8) :]
    head, body, signature = token.split(".")
    if how == 2:  # another header, signed or not
        header = rnd.choice(
            [
                {"alg": "Ed25519", "kid": "CN-URC-1", "typ": "JWT"},
                {"alg": "EdDSA", "kid": "CN-URC-1"},
                {"alg": "Ed25519", "kid": "CN-URC-1", "crit": ["exp"], "exp": 1},
                {"alg": "Ed25519", "kid": "CN-URC-1", "b64": False, "crit": ["b64"]},
                {"alg": "Ed25519", "kid": 7},
                {"kid": "CN-URC-1"},
                ["alg"],
            ]
        )
        head = _b64(json.dumps(header).encode())
        if rnd.random() < 0.5 and isinstance(header, dict) and "b64" not in header:
            signature = _b64(KEY.private_key.sign(f"{head}.{body}".encode()))
        return f"{head}.{body}.{signature}"
    if how == 3:  # another payload, signed: not JSON, not an object, NaN, a duplicate key
        raw = rnd.choice([b"[1]", b"nope", b'{"a": NaN}', b'{"a":1,"a":2}', b'{"n":1e400}', b""])
        body = _b64(raw)
        signature = _b64(KEY.private_key.sign(f"{head}.{body}".encode()))
        return f"{head}.{body}.{signature}"
    if how == 4:  # padding, or a segment too many
        return rnd.choice([token + "=", token + ".x", f"{head}..{signature}", f"{head}.{body}."])
    return f"{head}.{body}.{signature[: rnd.randint(0, len(signature))]}"


def test_damaged_tokens_get_what_joserfc_gave_them():
    rnd = random.Random(7)
    jwk = public_jwk(KEY)
    tokens = [Signer(KEY, "CN-URC-1").sign(p) for p in PAYLOADS]
    for _ in range(3000):
        token = _damaged(rnd, rnd.choice(tokens))
        assert _ours(token, jwk) == _reference(token, jwk), token
