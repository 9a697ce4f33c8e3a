"""The metrics listener's app: `GET /metrics` in Prometheus text format, and nothing else.

`serve` runs it on a port of its own (`metrics_port`, on the loopback unless `metrics_host`
says otherwise), never on the public API's: queue lengths per office and partners' backlogs are
for the administration's operators, not for traders. The public app has no `/metrics` route.
"""

from __future__ import annotations

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

from karakoram.bootstrap import Node


def create_metrics_app(node: Node) -> Starlette:
    async def metrics(request: Request) -> Response:
        # the scrape reads the database: off the event loop
        body, content_type = await run_in_threadpool(node.metrics.exposition)
        return Response(body, media_type=content_type)

    async def not_here(request: Request, exc: Exception) -> Response:
        return PlainTextResponse("Only /metrics is served here.\n", status_code=404)

    return Starlette(
        routes=[Route("/metrics", metrics, methods=["GET"])],
        exception_handlers={404: not_here},
    )
