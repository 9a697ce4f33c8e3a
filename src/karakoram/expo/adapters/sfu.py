"""Room tokens for the deployment's SFU, signed HS256 with its API secret (joserfc): LiveKit
access tokens or Jitsi (prosody token auth) JWTs, their claims from `expo/domain/sfu.py`."""

from __future__ import annotations

from datetime import datetime
from urllib.parse import urlsplit

from joserfc import jwt
from joserfc.jwk import OctKey

from karakoram.expo.domain.sfu import Seat, SfuKind, jitsi_claims, livekit_claims


class Hs256SfuTokens:
    def __init__(self, kind: SfuKind, url: str, api_key: str, secret: str) -> None:
        self.kind, self.url, self._api_key = kind.value, url, api_key
        self._kind = kind
        self._key = OctKey.import_key(secret)

    def token(self, room: str, seat: Seat, not_before: datetime, expires: datetime) -> str:
        if self._kind is SfuKind.LIVEKIT:
            claims = livekit_claims(self._api_key, room, seat, not_before, expires)
        else:
            domain = urlsplit(self.url).hostname or self.url
            claims = jitsi_claims(self._api_key, domain, room, seat, not_before, expires)
        return jwt.encode({"alg": "HS256", "typ": "JWT"}, claims, self._key, algorithms=["HS256"])
