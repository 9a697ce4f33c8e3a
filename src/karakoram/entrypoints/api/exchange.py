"""The inbound exchange endpoint (partners), and what officers and supervisors see of it."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request, Response
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from karakoram.domain.exchange.envelope import MAX_MESSAGE_BYTES, Refused
from karakoram.entrypoints.http.deps import NodeDep, PrincipalDep
from karakoram.services.exchange import overview, partners
from karakoram.services.exchange.config import configured
from karakoram.services.exchange.receive import receive, receive_many
from karakoram.services.exchange.reconcile import held_since

router = APIRouter(tags=["exchange"])
JOSE = "application/jose"


@router.post(
    "/exchange/messages",
    response_class=Response,
    openapi_extra={
        "requestBody": {"required": True, "content": {JOSE: {"schema": {"type": "string"}}}}
    },
    responses={200: {"content": {JOSE: {}}, "description": "The signed receipt."}},
)
async def inbound(request: Request, node: NodeDep) -> Response:
    """A partner node delivers one signed message; the answer is a signed receipt."""
    config = configured(node.ctx.exchange)
    raw = await request.body()
    if len(raw) > MAX_MESSAGE_BYTES:
        raise Refused("too_large", f"The message is over {MAX_MESSAGE_BYTES:,} bytes.")
    try:
        token = raw.decode("ascii").strip()
    except UnicodeDecodeError as exc:
        raise Refused("malformed", "A compact JWS is ASCII.") from exc
    received = await run_in_threadpool(receive, token, config, node.ctx.uow, node.ctx.clock())
    return Response(
        received.receipt,
        media_type=JOSE,
        headers={"X-Duplicate": "true" if received.duplicate else "false"},
    )


@router.post(
    "/exchange/held",
    openapi_extra={
        "requestBody": {"required": True, "content": {JOSE: {"schema": {"type": "string"}}}}
    },
)
async def held(request: Request, node: NodeDep) -> dict[str, list[str]]:
    """Reconciliation: the ids of a partner's messages this node holds since a time."""
    config = configured(node.ctx.exchange)
    token = (await request.body()).decode("ascii", errors="replace").strip()
    ids = await run_in_threadpool(held_since, token, config, node.ctx.uow, node.ctx.clock())
    return {"message_ids": ids}


class BatchIn(BaseModel):
    messages: list[str] = Field(max_length=500, description="Compact JWS messages.")


@router.post("/exchange/batch")
def inbound_batch(body: BatchIn, node: NodeDep) -> dict[str, list[dict[str, Any]]]:
    """Several signed messages at once, applied in one transaction; each is checked and
    answered on its own (a receipt, or the reason it was refused)."""
    config = configured(node.ctx.exchange)
    fits = [i for i, token in enumerate(body.messages) if len(token) <= MAX_MESSAGE_BYTES]
    outcomes = receive_many(
        [body.messages[i].strip() for i in fits], config, node.ctx.uow, node.ctx.clock
    )
    results: list[dict[str, Any]] = [{"refused": "too_large"} for _ in body.messages]
    for i, outcome in zip(fits, outcomes, strict=True):
        if isinstance(outcome, Refused):
            results[i] = {"refused": outcome.code, "detail": outcome.detail}
        else:
            results[i] = {"receipt": outcome.receipt, "duplicate": outcome.duplicate}
    return {"results": results}


@router.get("/consignments/{ucr}/partner")
def partner_view(ucr: str, node: NodeDep, principal: PrincipalDep) -> list[dict[str, Any]]:
    """What the partner administration told us about a consignment, oldest first."""
    return [
        {
            "type": r.type,
            "sender": r.sender,
            "mrn": r.mrn,
            "message_id": r.message_id,
            "created_at": r.created_at.isoformat(),
            "body": r.body,
        }
        for r in partners.partner_messages(principal, node.ctx, ucr)
    ]


@router.get("/exchange/status")
def status(node: NodeDep, principal: PrincipalDep) -> dict[str, Any]:
    """Outbox counts, dead letters and the latest refusals."""
    found = partners.outbox_status(principal, node.ctx, dead=100, refusals=20)
    return {
        "outbox": found.counts,
        "dead": [
            {
                "message_id": m.message_id,
                "type": m.type,
                "to": m.recipient,
                "attempts": m.attempts,
                "error": m.last_error,
            }
            for m in found.dead
        ],
        "refusals": [{k: str(v) for k, v in r.items()} for r in found.refusals],
    }


@router.post("/exchange/replay")
def replay(node: NodeDep, principal: PrincipalDep) -> dict[str, int]:
    """Put every dead letter back in the outbox."""
    return {"requeued": overview.replay(principal, node.ctx)}
