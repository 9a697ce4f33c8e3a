"""Administration of a node in a simulation: the simulated clock (absent in production)."""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter
from pydantic import BaseModel, Field

from karakoram.domain.access import Capability as Cap
from karakoram.domain.access import Role, require_role
from karakoram.domain.errors import NotFound
from karakoram.entrypoints.api.guard import needs
from karakoram.entrypoints.http.deps import NodeDep, PrincipalDep
from karakoram.services.clock import SimulatedClock

router = APIRouter(prefix="/admin", tags=["administration"])


class ClockIn(BaseModel):
    now: datetime = Field(description="The time the clock should read (ISO 8601, with zone).")


class ClockOut(BaseModel):
    now: datetime
    simulated: bool


def _simulated(node: NodeDep) -> SimulatedClock:
    clock = node.ctx.clock
    if not isinstance(clock, SimulatedClock):
        raise NotFound("This node runs on real time (the setting simulated_clock is off).")
    return clock


@router.get("/clock", response_model=ClockOut, dependencies=[needs(Cap.ADMINISTER_NODE)])
def read_clock(node: NodeDep, principal: PrincipalDep) -> ClockOut:
    """The time the node stamps events with, and whether it is simulated."""
    require_role(principal, Role.ADMINISTRATOR)
    clock = node.ctx.clock
    return ClockOut(now=clock(), simulated=isinstance(clock, SimulatedClock))


@router.put("/clock", response_model=ClockOut, dependencies=[needs(Cap.ADMINISTER_NODE)])
def move_clock(body: ClockIn, node: NodeDep, principal: PrincipalDep) -> ClockOut:
    """Move a simulated clock forward (a simulation placing traffic on its own dates);
    404 when the node runs on real time, 409 for a time earlier than the clock reads."""
    require_role(principal, Role.ADMINISTRATOR)
    return ClockOut(now=_simulated(node).move_to(body.now), simulated=True)
