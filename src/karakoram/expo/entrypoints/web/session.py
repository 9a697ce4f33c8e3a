"""The expo's browser cookie: a CSRF token, the chosen language and, once signed in, the hash of
the participant's API key (never the key itself). Signed and timed by itsdangerous under a key
derived from the expo's secret, so neither the token nor the hash can be planted; a renewed
registration (a new key) ends every session of the old one."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass, field
from typing import Any

from fastapi import Request, Response
from itsdangerous import BadSignature, URLSafeTimedSerializer

COOKIE = "karakoram_expo"
COOKIE_PATH = "/ui"
MAX_AGE_SECONDS = 12 * 3600
_PURPOSE = b"karakoram expo web cookie v1"


@dataclass(slots=True)
class ExpoSession:
    csrf: str = field(default_factory=lambda: secrets.token_urlsafe(32))
    language: str | None = None
    key_hash: str | None = None

    def csrf_ok(self, submitted: str | None) -> bool:
        return bool(submitted) and hmac.compare_digest(self.csrf, submitted or "")

    def as_dict(self) -> dict[str, Any]:
        return {"csrf": self.csrf, "language": self.language, "kh": self.key_hash}


class ExpoSessionCodec:
    def __init__(self, secret: bytes) -> None:
        derived = hmac.new(secret, _PURPOSE, hashlib.sha256).digest()
        self._serializer = URLSafeTimedSerializer(derived, salt="karakoram.expo.cookie")

    def read(self, cookies: dict[str, str]) -> ExpoSession:
        """The cookie's session, or a fresh anonymous one if absent, forged or expired."""
        raw = cookies.get(COOKIE)
        try:
            data = self._serializer.loads(raw, max_age=MAX_AGE_SECONDS) if raw else None
        except BadSignature:
            data = None
        if not isinstance(data, dict) or not isinstance(data.get("csrf"), str):
            return ExpoSession()
        lang, kh = data.get("language"), data.get("kh")
        return ExpoSession(
            data["csrf"],
            lang if isinstance(lang, str) else None,
            kh if isinstance(kh, str) else None,
        )

    def load(self, request: Request) -> ExpoSession:
        return self.read(request.cookies)

    def save(self, response: Response, request: Request, session: ExpoSession) -> None:
        response.set_cookie(
            COOKIE, self._serializer.dumps(session.as_dict()), max_age=MAX_AGE_SECONDS,
            path=COOKIE_PATH, httponly=True, samesite="lax",
            secure=request.url.scheme == "https",
        )  # fmt: skip
