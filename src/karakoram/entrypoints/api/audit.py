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
from karakoram.services.audit.checkpoints import make_checkpoint
from karakoram.services.audit.register import verify_with_records

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


class CheckpointOut(BaseModel):
    size: int
    head: str
    at: str
    token: str


@router.get("/verify", response_model=AuditReportOut, dependencies=[needs(Cap.VERIFY_AUDIT)])
async def verify(node: NodeDep, principal: PrincipalDep) -> dict[str, Any]:
    """Recompute the hash chain from the stored bytes; `broken` names the first bad entry."""
    require_role(principal, Role.ADMINISTRATOR, Role.SUPERVISOR)
    report = await run_in_threadpool(verify_with_records, node.ctx)
    return report.as_dict()


@router.post(
    "/checkpoints",
    response_model=CheckpointOut,
    status_code=201,
    dependencies=[needs(Cap.VERIFY_AUDIT)],
)
def checkpoint(node: NodeDep, principal: PrincipalDep) -> CheckpointOut:
    """Sign the chain's head (size, hash, time) with the node's exchange key and keep it."""
    require_role(principal, Role.ADMINISTRATOR, Role.SUPERVISOR)
    c = make_checkpoint(node.ctx)
    return CheckpointOut(size=c.size, head=c.head, at=c.at.isoformat(), token=c.token)
