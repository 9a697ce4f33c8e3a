"""The browser's cookie: a CSRF token, the chosen language and the id of a server-side session.

The cookie holds no user id, stamp or key: after sign-in it carries the random 128-bit id of a
session whose record (services/sessions.py) says whose it is, so forging or replaying a cookie
after sign-out opens nothing. The cookie is signed (itsdangerous) under a key derived from the
node's `csrf_secret`, so the CSRF token in it cannot be planted; the session id is looked up
by its HMAC under the separate session secret.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass, field
from typing import Any

from fastapi import Request, Response
from itsdangerous import BadSignature, URLSafeTimedSerializer

from karakoram.entrypoints.web.i18n import negotiate

COOKIE = "karakoram_session"
COOKIE_PATH = "/ui"
#: how long the browser keeps the cookie; the server-side session ends sooner (its timeouts)
MAX_AGE_SECONDS = 12 * 3600
_PURPOSE = b"karakoram web cookie v2"


@dataclass(slots=True)
class WebSession:
    """What the cookie carries."""

    csrf: str = field(default_factory=lambda: secrets.token_urlsafe(32))
    language: str | None = None
    #: the server-side session's id, once signed in
    session_id: str | None = None
    #: the language the browser asks for (`Accept-Language`); never stored in the cookie
    accepted: str | None = None

    @property
    def reading(self) -> str | None:
        """The page's language: the reader's choice, else what the browser asks for."""
        return self.language or self.accepted

    def csrf_ok(self, submitted: str | None) -> bool:
        return bool(submitted) and hmac.compare_digest(self.csrf, submitted or "")

    def as_dict(self) -> dict[str, Any]:
        return {"csrf": self.csrf, "language": self.language, "sid": self.session_id}


class SessionCodec:
    """Reads and writes the cookie, signed and timed by itsdangerous."""

    def __init__(self, csrf_secret: bytes) -> None:
        derived = hmac.new(csrf_secret, _PURPOSE, hashlib.sha256).digest()
        self._serializer = URLSafeTimedSerializer(derived, salt="karakoram.web.cookie")

    def load(self, request: Request) -> WebSession:
        """The request's cookie, or a fresh anonymous one if absent, forged or expired; with
        the language the browser asks for beside it."""
        session = self._read(request)
        session.accepted = negotiate(request.headers.get("accept-language"))
        return session

    def _read(self, request: Request) -> WebSession:
        raw = request.cookies.get(COOKIE)
        if not raw:
            return WebSession()
        try:
            data = self._serializer.loads(raw, max_age=MAX_AGE_SECONDS)
        except BadSignature:
            return WebSession()
        if not isinstance(data, dict) or not isinstance(data.get("csrf"), str):
            return WebSession()
        sid = data.get("sid")
        language = data.get("language")
        return WebSession(
            data["csrf"],
            language if isinstance(language, str) else None,
            sid if isinstance(sid, str) else None,
        )

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
