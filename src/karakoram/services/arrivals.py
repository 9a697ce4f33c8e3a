"""Recording the arrival of a truck at the border: where the clearance-time clock starts."""

from __future__ import annotations

from datetime import datetime, timedelta

from karakoram.domain.access import Principal, Role, require_role
from karakoram.domain.errors import FieldError, ValidationFailed
from karakoram.services.context import NodeContext
from karakoram.services.records import ArrivalRecord

#: an arrival may be dated a little ahead of the node's clock (the officer's watch is not NTP)
FUTURE_TOLERANCE = timedelta(minutes=5)


def record_arrival(
    ucr: str,
    office: str | None,
    at: datetime | None,
    principal: Principal,
    ctx: NodeContext,
    default_office: str,
) -> tuple[ArrivalRecord, bool]:
    """Record that the truck carrying consignment `ucr` arrived at `office` (the crossing's
    office by default) at `at` (now by default). The same UCR and office again answers the
    arrival already recorded and changes nothing. Returns the arrival and whether it is new."""
    require_role(principal, Role.OFFICER, Role.SUPERVISOR)
    now = ctx.clock()
    chosen = (office or default_office).strip().upper()
    when = at if at is not None else now
    check_arrival(ucr, chosen, when, now, ctx)
    with ctx.uow() as uow:
        known = uow.arrivals.get(ucr.strip(), chosen)
        if known is not None:
            return known, False
        stored = uow.arrivals.add(ArrivalRecord(ucr.strip(), chosen, when, principal.name))
        if stored is None:  # a concurrent request recorded it first
            known = uow.arrivals.get(ucr.strip(), chosen)
            assert known is not None
            return known, False
        uow.commit()
        return stored, True


def unknown_office(office: str, ctx: NodeContext) -> list[FieldError]:
    """The problem with an office that is not this node's, if it is not."""
    if office in ctx.rules.offices:
        return []
    return [FieldError("unknown_office", "/office", f"{office} is not an office here.")]


def check_arrival(ucr: str, office: str, at: datetime, now: datetime, ctx: NodeContext) -> None:
    """`ValidationFailed` with every problem of an arrival of `ucr` at `office` at `at`."""
    errors = []
    if not ucr or not ucr.strip():
        errors.append(FieldError("required", "/ucr", "The consignment's UCR is required."))
    elif len(ucr.strip()) > 35:
        errors.append(FieldError("invalid_format", "/ucr", "A UCR has at most 35 characters."))
    errors += unknown_office(office, ctx)
    if at.tzinfo is None:
        errors.append(FieldError("invalid_format", "/at", "at needs a time zone (e.g. Z)."))
    elif at > now + FUTURE_TOLERANCE:
        errors.append(FieldError("invalid_format", "/at", "An arrival cannot be in the future."))
    if errors:
        raise ValidationFailed(errors)
