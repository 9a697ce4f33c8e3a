"""Crossing slots in the web UI: the carrier picks a slot for an outbound truck; the officer
sees the day's expected trucks (docs/gate.md, "Crossing slots")."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import Form, Request
from fastapi.responses import Response

from karakoram.domain.access import Capability as Cap
from karakoram.entrypoints.http.deps import NodeDep
from karakoram.entrypoints.web.deps import CsrfDep, PagesDep, SessionDep, ViewerDep
from karakoram.entrypoints.web.guard import needs
from karakoram.entrypoints.web.refusals import pages_router
from karakoram.services.slot_view import day_view
from karakoram.services.slots import SlotClosed, SlotFull, book_slot, free

router = pages_router("/ui")

#: the days of free slots the carrier's page offers
DAYS_SHOWN = 7


def _day(text: str, fallback: date) -> date:
    try:
        return date.fromisoformat(text) if text else fallback
    except ValueError:
        return fallback


def _crossing(node: NodeDep) -> str:
    return next((c.code for c in node.settings.crossings), "")


@router.get("/slots", dependencies=[needs(Cap.LODGE_CARGO_REPORTS)], name="ui-slots")
def slots_page(
    request: Request,
    node: NodeDep,
    pages: PagesDep,
    session: SessionDep,
    viewer: ViewerDep,
    start: str = "",
    report: str = "",
) -> Response:
    """The free outbound slots of the coming days, and a form to book one for a truck."""
    first = _day(start, node.ctx.clock().date())
    crossing = _crossing(node)
    shown = free(crossing, first, DAYS_SHOWN, viewer, node.ctx) if crossing else []
    return pages.render(
        request,
        session,
        "slots/book.html",
        viewer,
        slots=[s.as_dict() for s in shown],
        first=first,
        report=report[:12],
    )


@router.post("/slots", dependencies=[CsrfDep, needs(Cap.LODGE_CARGO_REPORTS)], name="ui-slots-book")
def book(
    request: Request,
    node: NodeDep,
    pages: PagesDep,
    session: SessionDep,
    viewer: ViewerDep,
    report: Annotated[str, Form()] = "",
    slot: Annotated[str, Form()] = "",
) -> Response:
    """Book the chosen slot (`slot` is DATE TIME); a refusal shows why and the next free
    slots to choose from instead."""
    day, _, at = slot.partition(" ")
    number = int(report) if report.strip().isascii() and report.strip().isdigit() else report
    data = {"cargo_report": number, "date": day, "time": at}
    try:
        booking, _new = book_slot(data, viewer, node.ctx)
    except (SlotClosed, SlotFull) as refused:  # the page offers the next free slots
        return pages.render(
            request,
            session,
            "slots/book.html",
            viewer,
            status_code=409 if isinstance(refused, SlotFull) else 422,
            slots=[],
            next_free=refused.next_free,
            refusal=refused.detail,
            first=node.ctx.clock().date(),
            report=report[:12],
        )
    return pages.render(request, session, "slots/booked.html", viewer, booking=booking)


@router.get("/slots/day", dependencies=[needs(Cap.ACT_ON_DECLARATION)], name="ui-slot-day")
def day_page(
    request: Request,
    node: NodeDep,
    pages: PagesDep,
    session: SessionDep,
    viewer: ViewerDep,
    on: str = "",
) -> Response:
    """The officer's day at the crossing: each slot with its trucks, their risk and readiness."""
    day = _day(on, node.ctx.clock().date())
    crossing = _crossing(node)
    view = day_view(crossing, day, viewer, node.ctx) if crossing else None
    return pages.render(request, session, "slots/day.html", viewer, view=view, day=day)
