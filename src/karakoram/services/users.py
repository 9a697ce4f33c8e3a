"""Users and their API keys. A key is shown once; the node keeps only its HMAC under the
server key (`SecurityConfig.key_digest`): a random 256-bit secret needs no slow hash, and a
check costs the same for every key id. Every change is written to the security log."""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from karakoram.domain.access import Role
from karakoram.domain.errors import Conflict, FieldError, ValidationFailed
from karakoram.services.context import NodeContext
from karakoram.services.passwords import PASSWORD_MAX_LENGTH as PASSWORD_MAX_LENGTH
from karakoram.services.passwords import PASSWORD_MIN_LENGTH as PASSWORD_MIN_LENGTH
from karakoram.services.passwords import password_problems as password_problems
from karakoram.services.ports import SecretHasher
from karakoram.services.records import UserRecord
from karakoram.services.security import security_event
from karakoram.services.throttle import account_scope, address_scope, clear, key_scope, security

KEY_PREFIX = "kk"


@dataclass(frozen=True, slots=True)
class NewKey:
    user: UserRecord
    api_key: str


def _new_key(ctx: NodeContext) -> tuple[str, str, str]:
    """A key id, the digest stored for the key, and the key shown once."""
    key_id = secrets.token_hex(6)
    secret = secrets.token_urlsafe(32)  # 256 random bits
    return key_id, security(ctx).key_digest(secret), f"{KEY_PREFIX}_{key_id}_{secret}"


def add_user(
    name: str,
    role: str,
    party: str | None,
    ctx: NodeContext,
    hasher: SecretHasher | None = None,
) -> NewKey:
    """Create a user and return its API key (the only time the key is visible). `hasher` is
    no longer used (keys are HMACs, see the module docstring); callers may still pass it."""
    errors = []
    if role not in {r.value for r in Role}:
        errors.append(
            FieldError(
                "unknown_role",
                "/role",
                f"{role!r} is not a role; use one of " + ", ".join(r.value for r in Role),
            )
        )
    if role in (Role.TRADER.value, Role.CARRIER.value) and not party:
        errors.append(
            FieldError("required", "/party", f"A {role} needs the identifier it acts for.")
        )
    if not name.strip():
        errors.append(FieldError("required", "/name", "A user needs a name."))
    if errors:
        raise ValidationFailed(errors)
    key_id, digest, api_key = _new_key(ctx)
    with ctx.uow() as uow:
        if uow.users.by_name(name) is not None:
            raise Conflict(f"A user named {name!r} already exists.")
        user = uow.users.add(name.strip(), role, party or None, key_id, digest, ctx.clock())
        uow.commit()
    security_event("user_added", user=user.name, role=role, key_id=key_id)
    return NewKey(user, api_key)


def issue_key(name: str, ctx: NodeContext, hasher: SecretHasher | None = None) -> NewKey:
    """Give an existing user a new key; the old one (and its web sessions) stop working at
    once. `hasher` is no longer used."""
    key_id, digest, api_key = _new_key(ctx)
    with ctx.uow() as uow:
        user = uow.users.by_name(name)
        if user is None:
            raise ValidationFailed([FieldError("unknown_user", "/name", f"No user {name!r}.")])
        uow.users.set_key(user.id, key_id, digest)
        uow.commit()
    security_event("key_issued", user=user.name, key_id=key_id)
    return NewKey(user, api_key)


def list_users(ctx: NodeContext) -> list[UserRecord]:
    with ctx.uow() as uow:
        return uow.users.all()


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
    security_event("password_set", user=user.name)
    return changed


def revoke_user(name: str, ctx: NodeContext) -> UserRecord:
    """Deactivate a user: its key and password stop working and its web sessions end."""
    with ctx.uow() as uow:
        user = uow.users.by_name(name)
        if user is None:
            raise ValidationFailed([FieldError("unknown_user", "/name", f"No user {name!r}.")])
        uow.users.deactivate(user.id)
        uow.auth.delete_sessions_of(user.id)
        uow.commit()
        revoked = uow.users.by_id(user.id)
    assert revoked is not None
    security_event("user_revoked", user=user.name)
    return revoked


def unlock(name: str | None, address: str | None, ctx: NodeContext) -> int:
    """Lift the lock (and forget the failures) of the account `name` and/or the client
    `address`; returns how many locks there were."""
    scopes = [account_scope(name)] if name else []
    if name:
        with ctx.uow() as uow:
            user = uow.users.by_name(name)
        scopes += [key_scope(user.key_id)] if user is not None else []
    found = address_scope(address)
    scopes += [found] if found else []
    lifted = clear(ctx, scopes)
    security_event("unlocked", user=name, address=address, cleared=lifted)
    return lifted
