"""`GET /ready`: readiness for load balancers and operators (503 when not ready)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from karakoram.entrypoints.http.deps import NodeDep
from karakoram.services.readiness import readiness

router = APIRouter(tags=["system"])


@router.get(
    "/ready",
    responses={
        503: {
            "description": "A worker has not succeeded within its limit, or the "
            "database does not answer."
        }
    },
)
async def ready(node: NodeDep) -> JSONResponse:
    """The database, each background worker's last success, the oldest message waiting in
    the outbox and whether each partner took its last deliveries. Unauthenticated, so it
    names no error text: `karakoram exchange status` and the log have those. `warnings` (and
    `reference_data`, with a code per warning) name reference data in force that does not cover
    today and the next 7 days by the node's clock; they leave the answer 200."""
    if node.worker_log is None:
        raise RuntimeError("The node was built without a worker log.")
    found = await run_in_threadpool(
        readiness, node.ctx, node.worker_log, node.worker_limits(), node.started_at
    )
    body: dict[str, Any] = {
        "status": "ready" if found.ready else "not ready",
        "database": found.database,
        "workers": [{k: v for k, v in w.items() if k != "last_error"} for w in found.workers],
        "oldest_pending_at": found.oldest_pending_at.isoformat()
        if found.oldest_pending_at
        else None,
        "partners": found.partners,
        "warnings": [w.message for w in found.reference.warnings] if found.reference else [],
        "reference_data": found.reference.as_dict() if found.reference else None,
    }
    return JSONResponse(body, status_code=200 if found.ready else 503)
