"""Traders' signing keys certified by their node (issue 19): a trader proves it holds an Ed25519
key (a CSR signed by it) and gets an X.509 certificate from the node's trader CA, bound to its
trader id, valid for a short time. Certifying the same key again answers the certificate
already held; `replace` (a lost key) revokes every earlier certificate of the trader, and the
CA's revocation list names them. The node never sees the private key."""

from __future__ import annotations

import dataclasses
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

from karakoram.domain.access import Principal, Role, require_role
from karakoram.domain.errors import (
    Conflict,
    FieldError,
    NotFound,
    PermissionDenied,
    ValidationFailed,
)
from karakoram.services.context import NodeContext

DEFAULT_DAYS = 30
MAX_DAYS = 90
#: how long a CRL is good for before a verifier should fetch a fresher one
CRL_HOURS = 24
#: certificates start a little in the past, so a verifier whose clock is behind accepts them
_BACKDATE = timedelta(minutes=5)


class KeyRequestRefused(ValidationFailed):
    """A certificate signing request that proves nothing: not a CSR, not Ed25519, or not
    signed by the key it carries (no proof of possession)."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__([FieldError(code, "/csr", message)], message)


@dataclass(frozen=True, slots=True)
class KeyRequest:
    """What a CSR asks: a key (raw Ed25519, its SHA-256) and the names it claims."""

    fingerprint: str
    public_key: bytes
    names: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class TraderCertificate:
    serial: int
    trader_id: str
    fingerprint: str
    not_before: datetime
    not_after: datetime
    issued_at: datetime
    revoked_at: datetime | None
    pem: str


class TraderCertificateRepository(Protocol):
    def add(self, cert: TraderCertificate) -> None: ...
    def of_trader(self, trader_id: str) -> list[TraderCertificate]: ...
    def revoke(self, serials: Sequence[int], at: datetime) -> None: ...
    def revoked(self) -> list[tuple[int, datetime]]: ...


class TraderCa(Protocol):
    """The node's CA for traders' keys (adapters/trader_ca.py)."""

    def certificate_pem(self, now: datetime) -> str: ...
    def read_request(self, csr_pem: str) -> KeyRequest: ...
    def issue(
        self, request: KeyRequest, trader_id: str, serial: int, not_before: datetime,
        not_after: datetime,
    ) -> str: ...  # fmt: skip
    def revocation_list(
        self, revoked: list[tuple[int, datetime]], now: datetime, next_update: datetime
    ) -> str: ...


@dataclass(frozen=True, slots=True)
class Certified:
    certificate: TraderCertificate
    created: bool
    revoked: tuple[int, ...] = ()


def _ca(ctx: NodeContext) -> TraderCa:
    if ctx.trader_ca is None:
        raise Conflict("This node has no trader CA (it needs a signing key).")
    return ctx.trader_ca


def _trader_of(actor: Principal) -> str:
    require_role(actor, Role.TRADER)
    if not actor.party:
        raise PermissionDenied("This trader account names no trader.", code="not_a_trader")
    return actor.party


def _check_names(request: KeyRequest, administration: str, trader_id: str) -> None:
    """A CSR may name its trader (CN, SAN URI) or nothing; never another trader."""
    mine = {trader_id, f"urn:karakoram:trader:{administration}:{trader_id}"}
    others = [n for n in request.names if n not in mine]
    if others:
        raise PermissionDenied(
            f"The request names {others[0][:80]!r}; you may certify keys for {trader_id!r} only.",
            code="another_trader",
        )


def certify_key(
    csr_pem: str,
    actor: Principal,
    ctx: NodeContext,
    *,
    days: int = DEFAULT_DAYS,
    replace: bool = False,
) -> Certified:
    """Certify the key of `csr_pem` for the signed-in trader; with `replace`, its earlier
    certificates are revoked (a lost or compromised key)."""
    trader_id = _trader_of(actor)
    if not 1 <= days <= MAX_DAYS:
        raise ValidationFailed([FieldError("out_of_range", "/days", f"1 to {MAX_DAYS} days.")])
    ca = _ca(ctx)
    request = ca.read_request(csr_pem)
    _check_names(request, ctx.administration, trader_id)
    now = ctx.clock().replace(microsecond=0)
    with ctx.uow() as uow:
        held = [c for c in uow.trader_certs.of_trader(trader_id) if c.revoked_at is None]
        same = [c for c in held if c.fingerprint == request.fingerprint and c.not_after > now]
        others = tuple(c.serial for c in held if c not in same) if replace else ()
        if same and not others:
            return Certified(same[-1], created=False)
        if same:
            uow.trader_certs.revoke(others, now)
            uow.commit()
            return Certified(same[-1], created=False, revoked=others)
        serial = secrets.randbits(63) | 1 << 62  # positive, 19 digits, unguessable
        start, end = now - _BACKDATE, now + timedelta(days=days)
        pem = ca.issue(request, trader_id, serial, start, end)
        cert = TraderCertificate(serial, trader_id, request.fingerprint, start, end, now, None, pem)
        uow.trader_certs.add(cert)
        if others:
            uow.trader_certs.revoke(others, now)
        uow.commit()
    return Certified(cert, created=True, revoked=others)


def certificates_of(actor: Principal, ctx: NodeContext) -> list[TraderCertificate]:
    """The signed-in trader's certificates, revoked ones too."""
    trader_id = _trader_of(actor)
    with ctx.uow() as uow:
        return uow.trader_certs.of_trader(trader_id)


def serial_of(text: str) -> int:
    """A certificate's serial as written (decimal; 63 bits, beyond a path's number)."""
    if not (text.isascii() and text.isdigit() and len(text) <= 40):
        raise ValidationFailed(
            [FieldError("not_a_serial", "/serial", "A certificate's serial number (decimal).")]
        )
    return int(text)


def revoke_certificate(serial: int, actor: Principal, ctx: NodeContext) -> TraderCertificate:
    """Revoke one of the signed-in trader's certificates (a key lost or left on another
    machine): from now on the CA's revocation list names it, and the expo refuses signatures
    made with it. Revoking a revoked certificate again changes nothing."""
    trader_id = _trader_of(actor)
    now = ctx.clock().replace(microsecond=0)
    with ctx.uow() as uow:
        found = [c for c in uow.trader_certs.of_trader(trader_id) if c.serial == serial]
        if not found:
            raise NotFound(f"You hold no certificate with serial {serial}.")
        if found[0].revoked_at is not None:
            return found[0]
        uow.trader_certs.revoke((serial,), now)
        uow.commit()
    return dataclasses.replace(found[0], revoked_at=now)


def ca_certificate(ctx: NodeContext) -> str:
    """The trader CA's certificate (PEM): what the expo and verifiers trust."""
    return _ca(ctx).certificate_pem(ctx.clock())


def revocation_list(ctx: NodeContext) -> str:
    """The CA's CRL (PEM) of every revoked trader certificate, signed now."""
    ca, now = _ca(ctx), ctx.clock().replace(microsecond=0)
    with ctx.uow() as uow:
        revoked = uow.trader_certs.revoked()
    return ca.revocation_list(revoked, now, now + timedelta(hours=CRL_HOURS))
