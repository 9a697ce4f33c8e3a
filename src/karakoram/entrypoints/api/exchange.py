"""The inbound exchange endpoint (partners), and what officers and supervisors see of it."""

from __future__ import annotations

from datetime import timedelta
from functools import partial
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, Response
from pydantic import BaseModel, Field, ValidationError
from starlette.concurrency import run_in_threadpool

from karakoram.domain.access import Capability as Cap
from karakoram.domain.exchange.envelope import MAX_MESSAGE_BYTES, Refused
from karakoram.entrypoints.api.guard import needs
from karakoram.entrypoints.http.client_cert import client_identity
from karakoram.entrypoints.http.deps import NodeDep, PrincipalDep
from karakoram.services.audit.partner import held_checkpoints
from karakoram.services.exchange import overview, partners
from karakoram.services.exchange.config import MAX_BATCH_BYTES_OUT, configured
from karakoram.services.exchange.delivery import DELIVERY_HEADER
from karakoram.services.exchange.receive import receive, receive_many
from karakoram.services.exchange.reconcile import held_since

router = APIRouter(tags=["exchange"])
#: what partners call: the public API serves it, and the partner listener serves only it
partner_router = APIRouter(tags=["exchange"])
JOSE = "application/jose"
#: the most a batch may carry: messages, and bytes in all (the relay splits its batches so)
MAX_BATCH_ITEMS = 200
MAX_BATCH_BYTES = MAX_BATCH_BYTES_OUT
#: a reconciliation query is a small signed JWS
MAX_QUERY_BYTES = 16_384
#: the longest period the refusals' counts may cover (a leap year, in hours)
REFUSAL_HOURS = 8784


async def read_at_most(request: Request, limit: int, what: str) -> bytes:
    """The body, read as it streams in and abandoned as soon as it passes `limit` bytes (a
    declared Content-Length over it is refused before reading anything)."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise Refused("too_large", f"The {what} is over {limit:,} bytes.")
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise Refused("too_large", f"The {what} is over {limit:,} bytes.")
        chunks.append(chunk)
    return b"".join(chunks)


@partner_router.post(
    "/exchange/messages",
    response_class=Response,
    openapi_extra={
        "requestBody": {"required": True, "content": {JOSE: {"schema": {"type": "string"}}}}
    },
    responses={200: {"content": {JOSE: {}}, "description": "The signed receipt."}},
)
async def inbound(request: Request, node: NodeDep) -> Response:
    """A partner node delivers one signed message; the answer is a signed receipt. The
    sending relay's signed proof of this attempt travels in the `X-Karakoram-Delivery`
    header."""
    config = configured(node.ctx.exchange)
    raw = await read_at_most(request, MAX_MESSAGE_BYTES, "message")
    try:
        token = raw.decode("ascii").strip()
    except UnicodeDecodeError as exc:
        raise Refused("malformed", "A compact JWS is ASCII.") from exc
    delivery = request.headers.get(DELIVERY_HEADER)
    client = client_identity(request, node.settings.partner_proxies)
    received = await run_in_threadpool(
        partial(receive, observe=node.ctx.observe),
        token,
        delivery,
        config,
        node.ctx.uow,
        node.ctx.clock(),
        client,
    )
    return Response(
        received.receipt,
        media_type=JOSE,
        headers={"X-Duplicate": "true" if received.duplicate else "false"},
    )


@partner_router.post(
    "/exchange/held",
    openapi_extra={
        "requestBody": {"required": True, "content": {JOSE: {"schema": {"type": "string"}}}}
    },
)
async def held(request: Request, node: NodeDep) -> dict[str, list[str]]:
    """Reconciliation: the ids of a partner's messages this node holds since a time."""
    config = configured(node.ctx.exchange)
    raw = await read_at_most(request, MAX_QUERY_BYTES, "reconciliation query")
    token = raw.decode("ascii", errors="replace").strip()
    ids = await run_in_threadpool(held_since, token, config, node.ctx.uow, node.ctx.clock())
    return {"message_ids": ids}


@router.post(
    "/exchange/checkpoints",
    openapi_extra={
        "requestBody": {"required": True, "content": {JOSE: {"schema": {"type": "string"}}}}
    },
)
async def checkpoints(request: Request, node: NodeDep) -> dict[str, list[str]]:
    """A partner asks, in a JWS signed with its key, for the checkpoints of its audit chain
    this node holds (it compares them with its chain); each partner gets its own only."""
    config = configured(node.ctx.exchange)
    raw = await read_at_most(request, MAX_QUERY_BYTES, "checkpoint question")
    token = raw.decode("ascii", errors="replace").strip()
    held = await run_in_threadpool(held_checkpoints, token, config, node.ctx.uow, node.ctx.clock())
    return {"checkpoints": held}


class BatchIn(BaseModel):
    delivery: str | None = Field(
        None,
        max_length=MAX_MESSAGE_BYTES,
        description="The sending relay's signed proof of this attempt (compact JWS).",
    )
    messages: list[str] = Field(
        max_length=MAX_BATCH_ITEMS,
        description=f"Compact JWS messages; at most {MAX_BATCH_BYTES:,} bytes in all.",
    )


@partner_router.post(
    "/exchange/batch",
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": BatchIn.model_json_schema()}},
        }
    },
)
async def inbound_batch(request: Request, node: NodeDep) -> dict[str, list[dict[str, Any]]]:
    """Several signed messages at once, applied in one transaction; each is checked and
    answered on its own (a receipt, or the reason it was refused)."""
    config = configured(node.ctx.exchange)
    raw = await read_at_most(request, MAX_BATCH_BYTES, "batch")
    try:
        body = BatchIn.model_validate_json(raw)
    except ValidationError as exc:
        raise Refused("malformed", f"Not a batch of at most {MAX_BATCH_ITEMS} messages.") from exc
    fits = [i for i, token in enumerate(body.messages) if len(token) <= MAX_MESSAGE_BYTES]
    tokens = [body.messages[i].strip() for i in fits]
    delivery = body.delivery or request.headers.get(DELIVERY_HEADER)
    client = client_identity(request, node.settings.partner_proxies)
    outcomes = await run_in_threadpool(
        partial(receive_many, observe=node.ctx.observe),
        tokens,
        delivery,
        config,
        node.ctx.uow,
        node.ctx.clock,
        client,
    )
    if len(fits) < len(body.messages):
        node.ctx.observe.received("refused", "too_large", len(body.messages) - len(fits))
    results: list[dict[str, Any]] = [{"refused": "too_large"} for _ in body.messages]
    for i, outcome in zip(fits, outcomes, strict=True):
        if isinstance(outcome, Refused):
            results[i] = {"refused": outcome.code, "detail": outcome.detail}
        else:
            results[i] = {"receipt": outcome.receipt, "duplicate": outcome.duplicate}
    return {"results": results}


@router.get("/consignments/{ucr}/partner", dependencies=[needs(Cap.READ_PARTNER_RECORDS)])
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


@router.get("/exchange/status", dependencies=[needs(Cap.WATCH_EXCHANGE)])
def status(node: NodeDep, principal: PrincipalDep) -> dict[str, Any]:
    """Outbox counts, in all and per partner, dead letters and the latest refusals."""
    found = partners.outbox_status(principal, node.ctx, dead=100, refusals=20)
    return {
        "outbox": found.counts,
        "partners": {
            t.partner: {
                "sent": t.sent,
                "delivered": t.delivered,
                "pending": t.pending,
                "dead": t.dead,
                "received": t.received,
            }
            for t in found.by_partner
        },
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


@router.post("/exchange/replay", dependencies=[needs(Cap.WATCH_EXCHANGE)])
def replay(node: NodeDep, principal: PrincipalDep) -> dict[str, int]:
    """Put every dead letter back in the outbox."""
    return {"requeued": overview.replay(principal, node.ctx)}


@router.get("/exchange/refusals", dependencies=[needs(Cap.WATCH_EXCHANGE)])
def refusals(
    node: NodeDep,
    principal: PrincipalDep,
    hours: Annotated[int, Query(ge=1, le=REFUSAL_HOURS)] = 24,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
) -> dict[str, Any]:
    """Partner messages refused in the last `hours`: counted by reason (`code`) and claimed
    sender ("" when not a registered partner), most first; then the latest `limit` recorded
    (every refusal of a partner, a sample per hour and reason of junk)."""
    since = node.ctx.clock() - timedelta(hours=hours)
    found = partners.refusals(principal, node.ctx, since, limit)
    return {
        "since": since.isoformat(),
        "counts": [{"code": c, "sender": s, "count": n} for c, s, n in found.counts],
        "latest": [
            {
                "received_at": r["received_at"].isoformat(),
                "code": r["code"],
                "sender": r["sender"],
                "size": r["size"],
                "digest": r["digest"],
                "detail": r["detail"],
            }
            for r in found.latest
        ],
    }


router.include_router(partner_router)
