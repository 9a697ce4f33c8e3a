"""The expo's door for the customs nodes' relays: `POST /exchange/batch`, as a node's
(`entrypoints/api/exchange.py`), answering each message with the expo's signed receipt or the
reason it was refused. The checks are the exchange's own (expo/services/inbox.py)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from pydantic import ValidationError

from karakoram.domain.exchange.envelope import MAX_MESSAGE_BYTES, Refused
from karakoram.entrypoints.api.exchange import (  # the node's wire format: one relay posts to both
    MAX_BATCH_BYTES,
    MAX_BATCH_ITEMS,
    BatchIn,
    read_at_most,
)
from karakoram.expo.entrypoints.deps import CtxDep
from karakoram.expo.services import inbox
from karakoram.services.exchange.delivery import DELIVERY_HEADER

router = APIRouter(tags=["exchange"])


@router.post(
    "/exchange/batch",
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": BatchIn.model_json_schema()}},
        }
    },
)
async def inbound_batch(request: Request, ctx: CtxDep) -> dict[str, list[dict[str, Any]]]:
    """A customs node's signed messages, applied in one transaction; each is answered on its
    own (the expo's signed receipt, or why it was refused). A message held already gets its
    first receipt and changes nothing."""
    raw = await read_at_most(request, MAX_BATCH_BYTES, "batch")
    try:
        body = BatchIn.model_validate_json(raw)
    except ValidationError as exc:
        raise Refused("malformed", f"Not a batch of at most {MAX_BATCH_ITEMS} messages.") from exc
    fits = [i for i, token in enumerate(body.messages) if len(token) <= MAX_MESSAGE_BYTES]
    tokens = [body.messages[i].strip() for i in fits]
    delivery = body.delivery or request.headers.get(DELIVERY_HEADER)
    answers = await run_in_threadpool(inbox.receive_batch, delivery, tokens, ctx)
    results: list[dict[str, Any]] = [{"refused": "too_large"} for _ in body.messages]
    for i, answer in zip(fits, answers, strict=True):
        if answer.refused is not None:
            results[i] = {"refused": answer.refused.code, "detail": answer.refused.detail}
        else:
            results[i] = {"receipt": answer.receipt, "duplicate": answer.duplicate}
    return {"results": results}
