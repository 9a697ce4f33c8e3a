"""Users and their API keys. A key is shown once; the node keeps only its hash."""

from __future__ import annotations

import hashlib
import secrets
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass

from karakoram.domain.access import Principal, Role
from karakoram.domain.errors import AuthenticationFailed, Conflict, FieldError, ValidationFailed
from karakoram.services.context import NodeContext
from karakoram.services.ports import SecretHasher
from karakoram.services.records import UserRecord

KEY_PREFIX = "kk"


@dataclass(frozen=True, slots=True)
class NewKey:
    user: UserRecord
    api_key: str


def _new_key() -> tuple[str, str, str]:
    key_id = secrets.token_hex(6)
    secret = secrets.token_urlsafe(32)
    return key_id, secret, f"{KEY_PREFIX}_{key_id}_{secret}"


def add_user(
    name: str, role: str, party: str | None, ctx: NodeContext, hasher: SecretHasher
) -> NewKey:
    """Create a user and return its API key (the only time the key is visible)."""
    errors = []
    if role not in {r.value for r in Role}:
        errors.append(
            FieldError(
                "unknown_role",
                "/role",
                f"{role!r} is not a role; use one of " + ", ".join(r.value for r in Role),
            )
        )
    if role == Role.TRADER.value and not party:
        errors.append(
            FieldError("required", "/party", "A trader needs the trader identifier it acts for.")
        )
    if not name.strip():
        errors.append(FieldError("required", "/name", "A user needs a name."))
    if errors:
        raise ValidationFailed(errors)
    key_id, secret, api_key = _new_key()
    with ctx.uow() as uow:
        if uow.users.by_name(name) is not None:
            raise Conflict(f"A user named {name!r} already exists.")
        user = uow.users.add(
            name.strip(), role, party or None, key_id, hasher.hash(secret), ctx.clock()
        )
        uow.commit()
    return NewKey(user, api_key)


def issue_key(name: str, ctx: NodeContext, hasher: SecretHasher) -> NewKey:
    """Give an existing user a new key; the old one stops working."""
    key_id, secret, api_key = _new_key()
    with ctx.uow() as uow:
        user = uow.users.by_name(name)
        if user is None:
            raise ValidationFailed([FieldError("unknown_user", "/name", f"No user {name!r}.")])
        uow.users.set_key(user.id, key_id, hasher.hash(secret))
        uow.commit()
    return NewKey(user, api_key)


def list_users(ctx: NodeContext) -> list[UserRecord]:
    with ctx.uow() as uow:
        return uow.users.all()


#: shortest password an administrator may set; long passphrases are welcome
PASSWORD_MIN_LENGTH = 12
#: longest: argon2 hashes whatever it is given, so the length is bounded
PASSWORD_MAX_LENGTH = 256


def password_problems(name: str, password: str) -> list[FieldError]:
    """What is wrong with `password` for the user `name` (empty when it is acceptable)."""
    problems = []
    if len(password) < PASSWORD_MIN_LENGTH:
        problems.append(
            FieldError(
                "too_short",
                "/password",
                f"A password needs at least {PASSWORD_MIN_LENGTH} characters.",
            )
        )
    elif len(password) > PASSWORD_MAX_LENGTH:
        problems.append(
            FieldError(
                "too_long",
                "/password",
                f"A password may have at most {PASSWORD_MAX_LENGTH} characters.",
            )
        )
    if name.strip() and name.strip().casefold() in password.casefold():
        problems.append(
            FieldError("contains_name", "/password", "A password must not contain the user name.")
        )
    return problems


def set_password(name: str, password: str, ctx: NodeContext, hasher: SecretHasher) -> UserRecord:
    """Set or reset `name`'s password; the sessions it signed in with a password end.

    Callers check that the actor is an administrator (the CLI runs as the node's operator)."""
    with ctx.uow() as uow:
        user = uow.users.by_name(name)
    if user is None:
        raise ValidationFailed([FieldError("unknown_user", "/name", f"No user {name!r}.")])
    if user.role == Role.PARTNER.value:
        raise ValidationFailed(
            [FieldError("key_only", "/name", "A partner node signs in with its key only.")]
        )
    problems = password_problems(user.name, password)
    if problems:
        raise ValidationFailed(problems)
    hashed = hasher.hash(password)  # slow on purpose: outside the transaction
    with ctx.uow() as uow:
        uow.users.set_password(user.id, hashed)
        uow.commit()
        changed = uow.users.by_id(user.id)
    assert changed is not None
    return changed


def revoke_user(name: str, ctx: NodeContext) -> UserRecord:
    """Deactivate a user: its key and password stop working and its web sessions end."""
    with ctx.uow() as uow:
        user = uow.users.by_name(name)
        if user is None:
            raise ValidationFailed([FieldError("unknown_user", "/name", f"No user {name!r}.")])
        uow.users.deactivate(user.id)
        uow.commit()
        revoked = uow.users.by_id(user.id)
    assert revoked is not None
    return revoked


_NO_SUCH_SIGN_IN = "Unknown user name or password."


@dataclass(frozen=True, slots=True)
class PasswordSignIn:
    """Who signed in with a password, and the session stamp their session must keep."""

    principal: Principal
    stamp: int


class Authenticator:
    """Checks bearer keys. Verified keys are remembered briefly so that argon2's deliberate
    slowness is paid once per key and minute, not once per request."""

    def __init__(
        self,
        ctx: NodeContext,
        hasher: SecretHasher,
        ttl_seconds: float = 60,
        capacity: int = 4096,
    ) -> None:
        self._ctx = ctx
        self._hasher = hasher
        self._ttl = ttl_seconds
        self._capacity = capacity
        self._cache: OrderedDict[str, tuple[float, Principal]] = OrderedDict()
        self._lock = threading.Lock()
        self._dummy: str | None = None

    def remembered(self, api_key: str | None) -> Principal | None:
        """The principal of a key verified within the last minute, without any I/O."""
        if not api_key:
            return None
        fingerprint = hashlib.sha256(api_key.encode()).hexdigest()
        with self._lock:
            hit = self._cache.get(fingerprint)
        return hit[1] if hit and hit[0] > time.monotonic() else None

    def authenticate(self, api_key: str | None) -> Principal:
        if not api_key:
            raise AuthenticationFailed("Send your API key as 'Authorization: Bearer <key>'.")
        known = self.remembered(api_key)
        if known is not None:
            return known
        fingerprint = hashlib.sha256(api_key.encode()).hexdigest()
        principal = self._verify(api_key)
        with self._lock:
            self._cache[fingerprint] = (time.monotonic() + self._ttl, principal)
            while len(self._cache) > self._capacity:
                self._cache.popitem(last=False)
        return principal

    def sign_in_with_password(self, name: str, password: str) -> PasswordSignIn:
        """The principal of `name` if `password` is theirs. Every failure (unknown user,
        revoked user, no password set, wrong password) raises the same error after the same
        argon2 work, so neither the message nor the time tells which part was wrong."""
        with self._ctx.uow() as uow:
            user = uow.users.by_name(name.strip()) if name.strip() else None
        stored = user.password_hash if user is not None and user.active else None
        matches = self._hasher.verify(stored or self._dummy_hash(), password)
        if user is None or stored is None or not matches:
            raise AuthenticationFailed(_NO_SUCH_SIGN_IN)
        principal = Principal(user.id, user.name, Role(user.role), user.party)
        return PasswordSignIn(principal, user.session_stamp)

    def _dummy_hash(self) -> str:
        with self._lock:
            if self._dummy is None:
                self._dummy = self._hasher.hash(secrets.token_urlsafe(16))
            return self._dummy

    def forget(self) -> None:
        with self._lock:
            self._cache.clear()

    def _verify(self, api_key: str) -> Principal:
        parts = api_key.split("_", 2)
        if len(parts) != 3 or parts[0] != KEY_PREFIX:
            raise AuthenticationFailed("That is not a Karakoram API key.")
        with self._ctx.uow() as uow:
            user = uow.users.by_key_id(parts[1])
        if user is None or not user.active or not self._hasher.verify(user.key_hash, parts[2]):
            raise AuthenticationFailed("Unknown or revoked API key.")
        return Principal(user.id, user.name, Role(user.role), user.party)


def key_id_of(api_key: str) -> str:
    """The public part of a well-formed key (what a web session remembers instead of the key)."""
    return api_key.split("_", 2)[1]


def session_principal(key_id: str, ctx: NodeContext) -> Principal | None:
    """Who a web session signed in with `key_id` is; None once that key was replaced or the
    account deactivated, so a new key or a revocation ends the session too."""
    with ctx.uow() as uow:
        user = uow.users.by_key_id(key_id)
    if user is None or not user.active:
        return None
    return Principal(user.id, user.name, Role(user.role), user.party)


def password_session_principal(user_id: int, stamp: int, ctx: NodeContext) -> Principal | None:
    """Who a web session signed in by password is; None once the password changed or the
    account was revoked (either raises the stamp), so those end the session."""
    with ctx.uow() as uow:
        user = uow.users.by_id(user_id)
    if user is None or not user.active or user.session_stamp != stamp:
        return None
    return Principal(user.id, user.name, Role(user.role), user.party)
