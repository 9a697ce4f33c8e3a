"""The tamper-evident history: verify the chain, sign a checkpoint (administrators and
supervisors)."""

from __future__ import annotations

from dataclasses import asdict
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from pydantic import BaseModel
from starlette.concurrency import run_in_threadpool

from karakoram.domain.access import Capability as Cap
from karakoram.domain.access import Role, require_role
from karakoram.entrypoints.api.guard import needs
from karakoram.entrypoints.http.deps import NodeDep, PrincipalDep
from karakoram.entrypoints.http.errors import refusal_tally
from karakoram.services.audit import refusals
from karakoram.services.audit.checkpoints import checkpoint_and_send
from karakoram.services.audit.register import verify_with_records
from karakoram.services.audit.trail import audit_trail

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
    report = await run_in_threadpool(verify_with_records, node.ctx, None, node.peer)
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


class RefusalOut(BaseModel):
    #: the audit entry that holds the count
    seq: int
    user: str
    code: str
    #: the minute's start, UTC
    minute: str
    count: int


@router.get("/refusals", response_model=list[RefusalOut], dependencies=[needs(Cap.VERIFY_AUDIT)])
async def refusal_counts(
    request: Request, node: NodeDep, principal: PrincipalDep, user: str | None = None
) -> list[RefusalOut]:
    """Refusals met by signed-in users (403, 404, 409, 422 ...), counted per user, problem
    code and minute, oldest first; the minutes that are over are written first."""
    await run_in_threadpool(refusals.flush, node.ctx, refusal_tally(request.app))
    listed = await run_in_threadpool(refusals.list_refusals, node.ctx, principal, user)
    return [
        RefusalOut(seq=r.seq, user=r.user, code=r.code, minute=r.minute, count=r.count)
        for r in listed
    ]


class TrailEntryOut(BaseModel):
    seq: int
    at: str
    actor: str
    kind: str
    subject: str
    changes: list[dict[str, Any]]
    intact: bool


class TrailOut(BaseModel):
    entries: list[TrailEntryOut]
    next_before: int | None


@router.get("/trail", response_model=TrailOut, dependencies=[needs(Cap.VERIFY_AUDIT)])
def trail(
    node: NodeDep,
    principal: PrincipalDep,
    subject: Annotated[str | None, Query(max_length=200)] = None,
    actor: Annotated[str | None, Query(max_length=100)] = None,
    before: Annotated[int | None, Query(ge=1, le=2**62)] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> TrailOut:
    """The audit trail of an object (`subject`: an MRN, `user/NAME`, `cargo/CARRIER/REF`...)
    or of an actor (a user's name; a lodgement is recorded as its declarant party's
    identifier), newest first; `intact` says the entry's stored bytes still hash
    to its recorded hash. Follow `next_before` for older entries."""
    found = audit_trail(principal, node.ctx, subject, actor, before, limit)
    return TrailOut(
        entries=[TrailEntryOut(**asdict(e)) for e in found.entries],
        next_before=found.next_before,
    )
