"""`audit verify`: recompute the chain from the stored canonical bytes, compare the head row,
every local checkpoint and the partners' copies of our checkpoints (services/audit/partner.py),
and name the first broken link."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from karakoram.services.audit.chain import BrokenLink, ChainCheck
from karakoram.services.audit.checkpoints import Checkpoint, signature_problem
from karakoram.services.audit.partner import PartnerVerdict, ask_partners, judge, wanted_sizes
from karakoram.services.context import NodeContext
from karakoram.services.ports import PeerTransport

PAGE = 20_000
NOT_CHECKED = "not checked"
NO_EXCHANGE = PartnerVerdict(
    f"{NOT_CHECKED}: this node has no signing key, it takes no part in the exchange", None, None
)


@dataclass(frozen=True, slots=True)
class AuditReport:
    #: entries that verified, in order from the first
    entries: int
    #: the number of entries the head row records
    head: int
    broken: BrokenLink | None
    #: local signed checkpoints compared with the chain
    checkpoints: int
    #: what the partner's copies of our checkpoints said; never "ok" unless it answered
    partner: str = NOT_CHECKED
    #: True when every partner asked answered and its copies agree; False when one could not
    #: be asked, refused, or disagrees; None when no partner shares audit checkpoints
    partner_agrees: bool | None = None

    @property
    def ok(self) -> bool:
        return self.broken is None

    def as_dict(self) -> dict[str, Any]:
        broken = self.broken
        return {
            "ok": self.ok,
            "entries": self.entries,
            "head": self.head,
            "broken": None if broken is None else {"seq": broken.seq, "problem": broken.problem},
            "checkpoints": self.checkpoints,
            "partner": self.partner,
        }


def verify_audit(
    ctx: NodeContext,
    progress: Callable[[int, int], None] | None = None,
    peer: PeerTransport | None = None,
) -> AuditReport:
    """Check the whole chain in one snapshot; `progress(done, total)` after each page. With
    `peer`, the partners are asked first for their copies of our checkpoints, which the chain
    must then agree with too."""
    answers = ask_partners(ctx, peer)
    with ctx.uow() as uow:
        head_seq, head_hash = uow.audit.head()
        checkpoints = uow.audit.checkpoints()
        check = ChainCheck([c.size for c in checkpoints] + wanted_sizes(answers))
        broken: BrokenLink | None = None
        while broken is None:
            rows = uow.audit.entries(check.seq, PAGE)
            if not rows:
                break
            broken = check.feed(rows)
            if progress is not None:
                progress(check.seq, head_seq)
    if broken is None:
        broken = _head_problem(check, head_seq, head_hash)
    entries = check.seq if broken is None else broken.seq - 1
    broken = broken or _checkpoint_problem(ctx, check, checkpoints)
    verdict = judge(answers, check, broken) if ctx.exchange is not None else NO_EXCHANGE
    return AuditReport(
        entries,
        head_seq,
        broken or verdict.broken,
        len(checkpoints),
        verdict.line,
        verdict.agrees,
    )


def _checkpoint_problem(
    ctx: NodeContext, check: ChainCheck, checkpoints: list[Checkpoint]
) -> BrokenLink | None:
    """The first local checkpoint that the chain, or the node's signature, contradicts."""
    for c in checkpoints:
        signature = signature_problem(c, ctx.exchange)
        if signature is not None:
            return BrokenLink(
                min(c.size, check.seq), f"the checkpoint of entry {c.size}: {signature}"
            )
        if c.size > check.seq or check.at_size.get(c.size) != c.head:
            return BrokenLink(
                min(c.size, check.seq + 1),
                f"the checkpoint signed at {c.at.isoformat()} records entry {c.size} "
                f"with hash {c.head[:12]}…, the chain differs",
            )
    return None


def _head_problem(check: ChainCheck, head_seq: int, head_hash: str) -> BrokenLink | None:
    if check.seq < head_seq:
        return BrokenLink(
            check.seq + 1, f"the head records {head_seq} entries, the chain ends at {check.seq}"
        )
    if check.seq > head_seq:
        return BrokenLink(
            head_seq + 1, f"entry {head_seq + 1} lies beyond the head ({head_seq} entries)"
        )
    if check.hash != head_hash:
        return BrokenLink(check.seq, "its hash differs from the one the head records")
    return None
