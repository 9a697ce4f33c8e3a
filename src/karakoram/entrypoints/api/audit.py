"""The tamper-evident history: verify the chain, sign a checkpoint (administrators and
supervisors)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel
from starlette.concurrency import run_in_threadpool

from karakoram.domain.access import Capability as Cap
from karakoram.domain.access import Role, require_role
from karakoram.entrypoints.api.guard import needs
from karakoram.entrypoints.http.deps import NodeDep, PrincipalDep
from karakoram.services.audit.checkpoints import checkpoint_and_send
from karakoram.services.audit.verify import verify_audit

router = APIRouter(prefix="/audit", tags=["audit"])


class BrokenLinkOut(BaseModel):
    seq: int
    problem: str


class AuditReportOut(BaseModel):
    ok: bool
    entries: int
    head: int
    broken: BrokenLinkOut | None
    checkpoints: int
    partner: str
    partner_agrees: bool | None = None


class CheckpointOut(BaseModel):
    size: int
    head: str
    at: str
    token: str
    #: the partners it was queued for
    sent_to: list[str] = []


@router.get("/verify", response_model=AuditReportOut, dependencies=[needs(Cap.VERIFY_AUDIT)])
async def verify(node: NodeDep, principal: PrincipalDep) -> dict[str, Any]:
    """Recompute the hash chain from the stored bytes and ask the partners for their copies of
    our checkpoints; `broken` names the first bad entry, `partner` what the partners said
    (`partner_agrees`: true only when every one answered and agreed, null without partners)."""
    require_role(principal, Role.ADMINISTRATOR, Role.SUPERVISOR)
    report = await run_in_threadpool(verify_audit, node.ctx, None, node.peer)
    return {**report.as_dict(), "partner_agrees": report.partner_agrees}


@router.post(
    "/checkpoints",
    response_model=CheckpointOut,
    status_code=201,
    dependencies=[needs(Cap.VERIFY_AUDIT)],
)
def checkpoint(node: NodeDep, principal: PrincipalDep) -> CheckpointOut:
    """Sign the chain's head (size, hash, time) with the node's exchange key, keep it and
    queue it to every partner that shares audit checkpoints (`sent_to`)."""
    require_role(principal, Role.ADMINISTRATOR, Role.SUPERVISOR)
    sent = checkpoint_and_send(node.ctx)
    c = sent.checkpoint
    return CheckpointOut(
        size=c.size, head=c.head, at=c.at.isoformat(), token=c.token, sent_to=sent.partners
    )
