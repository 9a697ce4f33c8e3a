"""Who is asking: API keys on every request, passwords at web sign-in.

Every check reads the database (no cache), so a new key, a revocation or a lock takes effect at
once in every worker. An API key is `kk_<key id>_<secret>`; its secret is compared, in constant
time, with the HMAC stored under the key id, and an unknown key id is compared with a dummy
digest in the same way, so neither the answer nor the time tells which ids exist. Passwords are
argon2id; an unknown or password-less user costs the same argon2 work as a wrong password.
Failures are slowed and locked by `throttle`; every outcome goes to the security log.
"""

from __future__ import annotations

import hmac
import secrets
import threading
from dataclasses import dataclass

from karakoram.domain.access import Principal, Role
from karakoram.domain.errors import AuthenticationFailed
from karakoram.services import throttle
from karakoram.services.context import NodeContext
from karakoram.services.ports import SecretHasher
from karakoram.services.records import UserRecord
from karakoram.services.security import security_event
from karakoram.services.users import KEY_PREFIX

_NO_SUCH_SIGN_IN = "Unknown user name or password."
_NO_SUCH_KEY = "Unknown or revoked API key."
#: compared with when a key id is unknown: no HMAC digest (64 hex digits) equals it
_DUMMY_DIGEST = "x" * 64


@dataclass(frozen=True, slots=True)
class SignedIn:
    """Who signed in, and the user record the web session binds to."""

    principal: Principal
    user: UserRecord


def _principal(user: UserRecord) -> Principal:
    return Principal(user.id, user.name, Role(user.role), user.party)


def key_id_of(api_key: str) -> str:
    """The public part of a well-formed key."""
    return api_key.split("_", 2)[1]


class Authenticator:
    """Checks API keys and passwords against the database, every time."""

    def __init__(self, ctx: NodeContext, hasher: SecretHasher) -> None:
        self._ctx = ctx
        self._hasher = hasher
        self._lock = threading.Lock()
        self._dummy: str | None = None

    def authenticate(self, api_key: str | None, address: str | None = None) -> Principal:
        """The principal of a valid, unrevoked key; AuthenticationFailed otherwise."""
        return self.check_key(api_key, address).principal

    def check_key(self, api_key: str | None, address: str | None = None) -> SignedIn:
        if not api_key:
            raise AuthenticationFailed("Send your API key as 'Authorization: Bearer <key>'.")
        parts = api_key.split("_", 2)
        sec = throttle.security(self._ctx)
        where = throttle.address_scope(address)
        if len(parts) != 3 or parts[0] != KEY_PREFIX:
            self._failed("key_refused", [where] if where else [], address=address)
            raise AuthenticationFailed("That is not a Karakoram API key.")
        scopes = [throttle.key_scope(parts[1])] + ([where] if where else [])
        digest = sec.key_digest(parts[2])
        with self._ctx.uow.reader() as uow:  # no write turn: every request comes this way
            # only the address is checked before: a right key (256 bits, not guessable)
            # always works, so nobody shuts a key's owner out by failing with its id
            throttle.check(uow, scopes[1:], sec)
            user = uow.users.by_key_id(parts[1])
        stored = user.key_hash if user is not None and user.active else _DUMMY_DIGEST
        if user is None or not hmac.compare_digest(stored, digest) or not user.active:
            self._failed("key_refused", scopes, key_id=parts[1][:24], address=address)
            raise AuthenticationFailed(_NO_SUCH_KEY)
        return SignedIn(_principal(user), user)

    def sign_in_with_password(
        self, name: str, password: str, address: str | None = None
    ) -> SignedIn:
        """The user `name` if `password` is theirs. Every failure (unknown user, revoked user,
        no password set, wrong password) raises the same error after the same argon2 work."""
        sec = throttle.security(self._ctx)
        where = throttle.address_scope(address)
        scopes = [throttle.account_scope(name)] + ([where] if where else [])
        with self._ctx.uow() as uow:
            throttle.check(uow, scopes, sec)
            user = uow.users.by_name(name.strip()) if name.strip() else None
        stored = user.password_hash if user is not None and user.active else None
        matches = self._hasher.verify(stored or self._dummy_hash(), password)
        if user is None or stored is None or not matches:
            self._failed("sign_in_failed", scopes, user=name.strip()[:100], address=address)
            raise AuthenticationFailed(_NO_SUCH_SIGN_IN)
        throttle.clear(self._ctx, [scopes[0]])
        security_event("signed_in", user=user.name, method="password", address=address)
        return SignedIn(_principal(user), user)

    def _failed(self, event: str, scopes: list[str], **fields: object) -> None:
        if scopes:
            throttle.record_failure(self._ctx, scopes)
        security_event(event, **fields)

    def _dummy_hash(self) -> str:
        with self._lock:
            if self._dummy is None:
                self._dummy = self._hasher.hash(secrets.token_urlsafe(16))
            return self._dummy
