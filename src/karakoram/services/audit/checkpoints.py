"""Signed checkpoints of the audit chain: (size, head hash, time) signed with the node's
exchange key, in the manner of RFC 9162's signed tree heads."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from karakoram.services.context import NodeContext
from karakoram.services.exchange.config import configured


@dataclass(frozen=True, slots=True)
class Checkpoint:
    size: int
    head: str
    at: datetime
    #: the node's JWS over {"type": "audit_checkpoint", "administration", "size", "head", "at"}
    token: str


def make_checkpoint(ctx: NodeContext) -> Checkpoint:
    """Sign the chain's current head and keep the signature (on demand, or periodically)."""
    exchange = configured(ctx.exchange)
    with ctx.uow() as uow:
        size, head = uow.audit.head()
        at = ctx.clock()
        token = exchange.crypto.sign(
            {
                "type": "audit_checkpoint",
                "administration": exchange.me,
                "size": size,
                "head": head,
                "at": at.isoformat(),
            }
        )
        checkpoint = Checkpoint(size, head, at, token)
        uow.audit.add_checkpoint(checkpoint)
        uow.commit()
    return checkpoint
