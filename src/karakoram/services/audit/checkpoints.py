"""Signed checkpoints of the audit chain: (size, head hash, time) signed with the node's
exchange key, in the manner of RFC 9162's signed tree heads."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from karakoram.domain.errors import KarakoramError
from karakoram.services.context import NodeContext
from karakoram.services.exchange.config import ExchangeConfig, configured


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


def make_checkpoint(ctx: NodeContext) -> Checkpoint:
    """Sign the chain's current head and keep the signature (on demand, or periodically)."""
    exchange = configured(ctx.exchange)
    with ctx.uow() as uow:
        size, head = uow.audit.head()
        at = ctx.clock()
        token = exchange.crypto.sign(_payload(exchange.me, size, head, at))
        checkpoint = Checkpoint(size, head, at, token)
        uow.audit.add_checkpoint(checkpoint)
        uow.commit()
    return checkpoint
