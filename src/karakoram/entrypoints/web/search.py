"""The officer's search: any declaration by its references, trader, vehicle, goods, dates,
status or channel (the same filters as GET /declarations); and the supervisor's audit trail
of an object or a user (GET /audit/trail)."""

from __future__ import annotations

from datetime import date
from urllib.parse import urlencode

from fastapi import Request
from fastapi.responses import Response

from karakoram.domain.access import Capability as Cap
from karakoram.domain.clearance import Status
from karakoram.domain.risk.channels import Channel
from karakoram.entrypoints.http.deps import NodeDep
from karakoram.entrypoints.web.deps import PagesDep, SessionDep, ViewerDep
from karakoram.entrypoints.web.guard import needs
from karakoram.entrypoints.web.refusals import pages_router
from karakoram.services import queries
from karakoram.services.audit.trail import audit_trail
from karakoram.services.policy.rule_sets import lodgement_bounds
from karakoram.services.records import DeclarationFilter

router = pages_router("/ui")

PAGE_SIZE = 25
TEXT_FIELDS = ("mrn", "ucr", "lrn", "trader", "vehicle", "hs_prefix")
STATUSES = tuple(s.value for s in Status)
CHANNELS = tuple(c.value for c in Channel)


def _day(text: str) -> date | None:
    try:
        return date.fromisoformat(text) if text else None
    except ValueError:
        return None


@router.get("/search", dependencies=[needs(Cap.ACT_ON_DECLARATION)], name="ui-search")
def search(
    request: Request,
    node: NodeDep,
    pages: PagesDep,
    session: SessionDep,
    viewer: ViewerDep,
    cursor: str = "",
) -> Response:
    """Search when at least one field is filled; an empty form shows the form alone."""
    asked = {k: request.query_params.get(k, "").strip()[:35] for k in TEXT_FIELDS}
    asked |= {k: request.query_params.get(k, "").strip()[:10] for k in ("lodged_from", "lodged_to")}
    status = request.query_params.get("status", "")
    channel = request.query_params.get("channel", "")
    asked["status"] = status if status in STATUSES else ""
    asked["channel"] = channel if channel in CHANNELS else ""
    start, end = _day(asked["lodged_from"]), _day(asked["lodged_to"])
    bad_dates = [k for k, d in (("lodged_from", start), ("lodged_to", end)) if asked[k] and not d]
    if asked["hs_prefix"] and not asked["hs_prefix"].isdigit():
        bad_dates.append("hs_prefix")
    page = None
    if any(asked.values()) and not bad_dates:
        flt = DeclarationFilter(
            status=asked["status"] or None,
            trader=asked["trader"] or None,
            hs_prefix=asked["hs_prefix"] or None,
            # UTC days, the last one included, as the back-test reads them (an open bound each)
            lodged_from=lodgement_bounds(start, None)[0],
            lodged_to=lodgement_bounds(None, end)[1],
            mrn=asked["mrn"] or None,
            ucr=asked["ucr"] or None,
            lrn=asked["lrn"] or None,
            vehicle=asked["vehicle"] or None,
            channel=asked["channel"] or None,
        )
        page = queries.list_declarations(flt, viewer, node.ctx, cursor or None, PAGE_SIZE)
    query = urlencode({k: v for k, v in asked.items() if v})
    return pages.render(
        request,
        session,
        "search.html",
        viewer,
        asked=asked,
        invalid=bad_dates,
        page=page,
        query=query,
        statuses=STATUSES,
        channels=CHANNELS,
        first_page=not cursor,
    )


@router.get("/trail", dependencies=[needs(Cap.VERIFY_AUDIT)], name="ui-trail")
def trail(
    request: Request,
    node: NodeDep,
    pages: PagesDep,
    session: SessionDep,
    viewer: ViewerDep,
    subject: str = "",
    actor: str = "",
    before: int | None = None,
) -> Response:
    """The audit trail of an object or a user, newest first (supervisors, administrators)."""
    asked = {"subject": subject.strip()[:200], "actor": actor.strip()[:100]}
    found = None
    if any(asked.values()):
        found = audit_trail(viewer, node.ctx, asked["subject"], asked["actor"], before, PAGE_SIZE)
    return pages.render(
        request,
        session,
        "trail.html",
        viewer,
        asked=asked,
        trail=found,
        query=urlencode({k: v for k, v in asked.items() if v}),
    )
