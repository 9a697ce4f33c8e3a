"""The supervisor's page of refused partner messages: how many of each reason from each claimed
sender over a chosen period, and the latest refusals recorded (services/exchange/partners.py
`refusals`; the API's `GET /exchange/refusals` answers the same)."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated

from fastapi import Query, Request
from fastapi.responses import Response

from karakoram.domain.access import Capability as Cap
from karakoram.entrypoints.http.deps import NodeDep
from karakoram.entrypoints.web.deps import PagesDep, SessionDep, ViewerDep
from karakoram.entrypoints.web.guard import needs
from karakoram.entrypoints.web.refusals import pages_router
from karakoram.services.exchange import partners

router = pages_router("/ui")

#: the periods offered, in hours: a day, a week, thirty days
PERIODS = (1, 24, 168, 720)
#: the longest period a supervisor may ask for (a leap year), and how many refusals are listed
MAX_HOURS = 8784
LATEST = 50


@router.get(
    "/exchange/refusals", dependencies=[needs(Cap.WATCH_EXCHANGE)], name="ui-exchange-refusals"
)
def refusals_page(
    request: Request,
    node: NodeDep,
    pages: PagesDep,
    session: SessionDep,
    viewer: ViewerDep,
    hours: Annotated[int, Query(ge=1, le=MAX_HOURS)] = 24,
) -> Response:
    """Refusals by reason and claimed sender since `hours` ago, then the latest recorded."""
    now = node.ctx.clock()
    found = partners.refusals(viewer, node.ctx, now - timedelta(hours=hours), LATEST)
    return pages.render(
        request,
        session,
        "supervisor/refusals.html",
        viewer,
        found=found,
        hours=hours,
        periods=PERIODS,
        total=sum(n for _, _, n in found.counts),
    )
