"""The browser session: a signed (not encrypted) cookie that holds no secret.

It keeps the public id of the key the user signed in with (never the key) -- or, after a
password sign-in, the user's id and session stamp (never the password) -- a CSRF token and the
chosen language. A new key, a new password or a revocation makes the stored id or stamp stale,
which ends the session. The signature uses a key derived from `settings.secret_key`, so a node
with a new secret ends every session.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass, field
from typing import Any

from fastapi import Request, Response
from itsdangerous import BadSignature, URLSafeTimedSerializer

COOKIE = "karakoram_session"
COOKIE_PATH = "/ui"
MAX_AGE_SECONDS = 12 * 3600
_PURPOSE = b"karakoram web session v1"


@dataclass(slots=True)
class WebSession:
    """What the cookie carries."""

    csrf: str = field(default_factory=lambda: secrets.token_urlsafe(32))
    key_id: str | None = None
    language: str | None = None
    #: set by a password sign-in instead of `key_id`
    user_id: int | None = None
    stamp: int | None = None

    def csrf_ok(self, submitted: str | None) -> bool:
        return bool(submitted) and hmac.compare_digest(self.csrf, submitted or "")

    def as_dict(self) -> dict[str, Any]:
        return {
            "csrf": self.csrf,
            "key_id": self.key_id,
            "language": self.language,
            "user_id": self.user_id,
            "stamp": self.stamp,
        }


class SessionCodec:
    """Reads and writes the session cookie, signed and timed by itsdangerous."""

    def __init__(self, secret_key: str) -> None:
        derived = hmac.new(secret_key.encode(), _PURPOSE, hashlib.sha256).digest()
        self._serializer = URLSafeTimedSerializer(derived, salt="karakoram.web.session")

    def load(self, request: Request) -> WebSession:
        """The request's session, or a fresh anonymous one if absent, forged or expired."""
        raw = request.cookies.get(COOKIE)
        if not raw:
            return WebSession()
        try:
            data = self._serializer.loads(raw, max_age=MAX_AGE_SECONDS)
        except BadSignature:
            return WebSession()
        if not isinstance(data, dict) or not isinstance(data.get("csrf"), str):
            return WebSession()
        user_id, stamp = data.get("user_id"), data.get("stamp")
        if not (isinstance(user_id, int) and isinstance(stamp, int)):
            user_id = stamp = None
        return WebSession(data["csrf"], data.get("key_id"), data.get("language"), user_id, stamp)

    def save(self, response: Response, request: Request, session: WebSession) -> None:
        response.set_cookie(
            COOKIE,
            self._serializer.dumps(session.as_dict()),
            max_age=MAX_AGE_SECONDS,
            path=COOKIE_PATH,
            httponly=True,
            samesite="lax",
            secure=request.url.scheme == "https",
        )

    @staticmethod
    def clear(response: Response) -> None:
        response.delete_cookie(COOKIE, path=COOKIE_PATH, httponly=True, samesite="lax")
