"""Signed checkpoints of the audit chain: (size, head hash, time) signed with the node's
exchange key, in the manner of RFC 9162's signed tree heads."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from karakoram.domain.errors import KarakoramError
from karakoram.domain.exchange.bodies import AuditCheckpoint
from karakoram.services.context import NodeContext
from karakoram.services.exchange.config import ExchangeConfig, configured
from karakoram.services.exchange.emit import emit_to_partners


@dataclass(frozen=True, slots=True)
class Checkpoint:
    size: int
    head: str
    at: datetime
    #: the node's JWS over {"type": "audit_checkpoint", "administration", "size", "head", "at"}
    token: str


def _payload(administration: str, size: int, head: str, at: datetime) -> dict[str, Any]:
    return {
        "type": "audit_checkpoint",
        "administration": administration,
        "size": size,
        "head": head,
        "at": at.isoformat(),
    }


def signature_problem(checkpoint: Checkpoint, exchange: ExchangeConfig | None) -> str | None:
    """Why `checkpoint` is not what this node signed, or None. Ed25519 signatures over RFC 8785
    bytes are deterministic, so signing the recorded (size, head, time) again must give the
    stored token; a checkpoint under an earlier key of ours is not re-checked here."""
    if exchange is None:
        return None
    crypto = exchange.crypto
    ours = crypto.decode(crypto.sign({})).kid
    try:
        kid = crypto.decode(checkpoint.token).kid
    except KarakoramError:
        return "its token is not a signed message"
    if kid != ours:
        return None
    payload = _payload(exchange.me, checkpoint.size, checkpoint.head, checkpoint.at)
    if crypto.sign(payload) != checkpoint.token:
        return "its signature does not cover its recorded size, head and time"
    return None


@dataclass(frozen=True, slots=True)
class Sent:
    checkpoint: Checkpoint
    #: the partners it was queued for (those whose agreement shares audit checkpoints)
    partners: list[str]


def make_checkpoint(ctx: NodeContext) -> Checkpoint:
    """Sign the chain's current head and keep the signature (on demand, or periodically)."""
    return checkpoint_and_send(ctx).checkpoint


def checkpoint_and_send(ctx: NodeContext) -> Sent:
    """Sign the chain's head, keep the signature and, in the same transaction, queue it to
    every partner that shares `audit_checkpoint` messages: each keeps a witness copy that
    `audit verify` later asks for."""
    exchange = configured(ctx.exchange)
    with ctx.uow() as uow:
        size, head = uow.audit.head()
        at = ctx.clock()
        token = exchange.crypto.sign(_payload(exchange.me, size, head, at))
        checkpoint = Checkpoint(size, head, at, token)
        uow.audit.add_checkpoint(checkpoint)
        body = AuditCheckpoint(size, head, at.isoformat(), token)
        partners = emit_to_partners(uow, exchange, at, body)
        uow.commit()
    return Sent(checkpoint, partners)


def periodic_checkpoint(ctx: NodeContext) -> Sent | None:
    """The periodic worker's step: a checkpoint sent when the chain has grown since the last
    one (None when it has not: a quiet node does not pile up identical checkpoints)."""
    with ctx.uow() as uow:
        size, _ = uow.audit.head()
        made = uow.audit.checkpoints()
    if size == 0 or (made and made[-1].size >= size):
        return None
    return checkpoint_and_send(ctx)
