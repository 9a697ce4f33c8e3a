"""The border officer records a truck's arrival (the start of the clearance-time clock)."""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter, Response
from pydantic import BaseModel, Field

from karakoram.domain.access import Capability as Cap
from karakoram.entrypoints.api.guard import needs
from karakoram.entrypoints.http.deps import NodeDep, PrincipalDep
from karakoram.services.arrivals import record_arrival
from karakoram.services.records import ArrivalRecord

router = APIRouter(tags=["clearance"])


class ArrivalIn(BaseModel):
    ucr: str = Field(description="The consignment's UCR, as on the declarations.")
    office: str | None = Field(None, description="Border office; default: the crossing's.")
    at: datetime | None = Field(None, description="When the truck arrived; default: now.")


class ArrivalOut(BaseModel):
    id: int | None
    ucr: str
    office: str
    at: datetime
    recorded_by: str

    @classmethod
    def of(cls, a: ArrivalRecord) -> ArrivalOut:
        return cls(id=a.id, ucr=a.ucr, office=a.office, at=a.at, recorded_by=a.recorded_by)


@router.post(
    "/arrivals",
    response_model=ArrivalOut,
    status_code=201,
    dependencies=[needs(Cap.ACT_ON_DECLARATION)],
)
def arrive(
    body: ArrivalIn, response: Response, node: NodeDep, principal: PrincipalDep
) -> ArrivalOut:
    """Record a truck's arrival at the border office (201); the same UCR and office again
    answers the arrival already recorded (200) and changes nothing."""
    arrival, new = record_arrival(
        body.ucr, body.office, body.at, principal, node.ctx, node.settings.border_office
    )
    response.status_code = 201 if new else 200
    return ArrivalOut.of(arrival)
