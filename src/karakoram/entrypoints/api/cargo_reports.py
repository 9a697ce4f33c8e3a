"""Carriers lodge their trucks' cargo reports; officers read them (docs/gate.md)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import APIRouter, Request, Response
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from karakoram.domain.access import Capability as Cap
from karakoram.domain.gate.cargo_report import report_to_dict
from karakoram.domain.gate.discrepancies import Discrepancy
from karakoram.entrypoints.api.declarations import json_body
from karakoram.entrypoints.api.guard import needs
from karakoram.entrypoints.http.deps import NodeDep, PrincipalDep
from karakoram.services.gate.cargo_reports import get_cargo_report, lodge_cargo_report
from karakoram.services.gate.presentation import (
    arrive_truck,
    discrepancies,
    exit_truck,
    present_truck,
)
from karakoram.services.gate.records import CargoReportRecord, DiscrepancyRecord
from karakoram.services.gate.resolve import resolve_discrepancy

router = APIRouter(tags=["gate"])

_TEXT = {"type": "string", "maxLength": 35}
_VEHICLE = {
    "type": "object",
    "required": ["registration", "nationality"],
    "properties": {"registration": _TEXT, "nationality": {"type": "string", "example": "CN"}},
}
_PERSON = {
    "type": "object",
    "required": ["name", "passport_number", "nationality"],
    "properties": {
        "name": {"type": "string", "maxLength": 200},
        "passport_number": _TEXT,
        "nationality": {"type": "string", "example": "PK"},
    },
}
_REQUIRED = ["reference", "direction", "crossing", "vehicle", "driver", "consignments"]
#: the body as the domain reads it (domain/gate/cargo_report.py), for the OpenAPI document
_REPORT_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            "application/json": {
                "schema": {
                    "type": "object",
                    "required": _REQUIRED,
                    "properties": {
                        "reference": _TEXT,
                        "direction": {"type": "string", "enum": ["inbound", "outbound"]},
                        "crossing": {"type": "string", "example": "KHUNJERAB"},
                        "vehicle": _VEHICLE,
                        "trailer": _VEHICLE,
                        "driver": _PERSON,
                        "crew": {"type": "array", "items": _PERSON, "maxItems": 7},
                        "seals": {"type": "array", "items": _TEXT, "maxItems": 50},
                        "consignments": {
                            "type": "array",
                            "minItems": 1,
                            "maxItems": 200,
                            "items": {
                                "type": "object",
                                "required": ["ucr", "packages", "gross_mass"],
                                "properties": {
                                    "ucr": _TEXT,
                                    "packages": {"type": "integer", "minimum": 1},
                                    "gross_mass": {"type": "string", "example": "1200.5"},
                                },
                            },
                        },
                    },
                }
            }
        },
    }
}


class CargoReportOut(BaseModel):
    id: int | None
    carrier: str
    status: str = Field(description="reported, arrived, presented, cleared, exited, cancelled")
    version: int
    lodged_at: datetime
    updated_at: datetime | None = Field(None, description="Its last change (arrival, ...).")
    report: dict[str, Any] = Field(description="The report in its canonical form.")

    @classmethod
    def of(cls, r: CargoReportRecord) -> CargoReportOut:
        return cls(
            id=r.id,
            carrier=r.carrier,
            status=r.status.value,
            version=r.version,
            lodged_at=r.lodged_at,
            updated_at=r.updated_at,
            report=report_to_dict(r.report),
        )


@router.post(
    "/cargo-reports",
    response_model=CargoReportOut,
    status_code=201,
    openapi_extra=_REPORT_BODY,
    dependencies=[needs(Cap.LODGE_CARGO_REPORTS)],
    responses={
        200: {"description": "The same reference and content were lodged before."},
        409: {"description": "The reference was used for a different report."},
    },
)
async def lodge(
    request: Request, response: Response, node: NodeDep, principal: PrincipalDep
) -> CargoReportOut:
    """Lodge a truck's cargo report before it leaves (201): vehicle, trailer, driver, crew,
    seals and consignments. The same report again answers the stored one (200); the same
    reference with other content is refused (409). Every problem is listed at once (422)."""
    data = await json_body(request)
    record, new = await run_in_threadpool(lodge_cargo_report, data, principal, node.ctx)
    response.status_code = 201 if new else 200
    return CargoReportOut.of(record)


@router.get(
    "/cargo-reports/{report_id}",
    response_model=CargoReportOut,
    dependencies=[needs(Cap.READ_CARGO_REPORTS)],
)
def read(report_id: int, node: NodeDep, principal: PrincipalDep) -> CargoReportOut:
    """One cargo report: a carrier its own; officers and supervisors any."""
    return CargoReportOut.of(get_cargo_report(report_id, principal, node.ctx))


class ArrivalIn(BaseModel):
    office: str | None = Field(None, description="Border office; default: the crossing's.")


class DiscrepancyOut(BaseModel):
    seq: int | None = Field(None, description="Its place on the report's write-off.")
    kind: str = Field(description="undeclared, not_on_truck, packages or mass")
    ucr: str
    mrn: str | None
    detail: str
    resolution: str | None = Field(None, description="add, amend or seize; null while open")
    reason: str | None = None
    resolved_by: str | None = None
    resolved_at: datetime | None = None

    @classmethod
    def of(cls, d: Discrepancy, seq: int | None = None) -> DiscrepancyOut:
        return cls(seq=seq, kind=d.kind.value, ucr=d.ucr, mrn=d.mrn, detail=d.detail)

    @classmethod
    def of_record(cls, r: DiscrepancyRecord) -> DiscrepancyOut:
        return cls.of(r.discrepancy, r.seq).model_copy(
            update={
                "resolution": None if r.resolution is None else r.resolution.value,
                "reason": r.reason,
                "resolved_by": r.resolved_by,
                "resolved_at": r.resolved_at,
            }
        )


class PresentationOut(BaseModel):
    report: CargoReportOut
    discrepancies: list[DiscrepancyOut]


@router.post(
    "/cargo-reports/{report_id}/arrival",
    response_model=CargoReportOut,
    dependencies=[needs(Cap.ACT_ON_DECLARATION)],
)
def arrive(
    report_id: int, node: NodeDep, principal: PrincipalDep, body: ArrivalIn | None = None
) -> CargoReportOut:
    """An inbound truck is at the post: the report becomes `arrived` and each consignment on
    it has its arrival recorded (the clearance-time clock starts). 409 when the truck is not
    `reported` or is outbound."""
    office = body.office if body else None
    return CargoReportOut.of(
        arrive_truck(report_id, office or node.settings.border_office, principal, node.ctx)
    )


@router.post(
    "/cargo-reports/{report_id}/presentation",
    response_model=PresentationOut,
    dependencies=[needs(Cap.ACT_ON_DECLARATION)],
)
def present(report_id: int, node: NodeDep, principal: PrincipalDep) -> PresentationOut:
    """The truck's goods are presented and written off against the declarations covering its
    consignments; the answer lists what does not match (docs/gate.md)."""
    record, found = present_truck(report_id, principal, node.ctx)
    return PresentationOut(
        report=CargoReportOut.of(record),
        discrepancies=[DiscrepancyOut.of(d, n) for n, d in enumerate(found, start=1)],
    )


@router.get(
    "/cargo-reports/{report_id}/discrepancies",
    response_model=list[DiscrepancyOut],
    dependencies=[needs(Cap.ACT_ON_DECLARATION)],
)
def read_discrepancies(
    report_id: int, node: NodeDep, principal: PrincipalDep
) -> list[DiscrepancyOut]:
    """What the write-off at presentation found, each with how an officer settled it."""
    return [DiscrepancyOut.of_record(d) for d in discrepancies(report_id, principal, node.ctx)]


class ResolutionOut(BaseModel):
    report: CargoReportOut
    discrepancy: DiscrepancyOut


_RESOLUTION_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            "application/json": {
                "schema": {
                    "type": "object",
                    "required": ["resolution", "reason"],
                    "properties": {
                        "resolution": {"type": "string", "enum": ["add", "amend", "seize"]},
                        "reason": {"type": "string", "maxLength": 500},
                        "packages": {"type": "integer", "minimum": 1},
                        "gross_mass": {"type": "string", "example": "1200.5"},
                    },
                }
            }
        },
    }
}


@router.post(
    "/cargo-reports/{report_id}/discrepancies/{seq}/resolution",
    response_model=ResolutionOut,
    openapi_extra=_RESOLUTION_BODY,
    dependencies=[needs(Cap.ACT_ON_DECLARATION)],
    responses={409: {"description": "Settled otherwise already, or nothing to add."}},
)
async def resolve(
    report_id: int, seq: int, request: Request, node: NodeDep, principal: PrincipalDep
) -> ResolutionOut:
    """Settle a discrepancy, saying why: `add` (a declaration lodged since covers it),
    `amend` (the report corrected: `packages`, `gross_mass`) or `seize` (the consignment is
    held). The imports it frees are released and the truck clears when nothing holds it.
    The same decision again changes nothing."""
    data = await json_body(request)
    truck, settled = await run_in_threadpool(
        resolve_discrepancy, report_id, seq, data, principal, node.ctx
    )
    return ResolutionOut(
        report=CargoReportOut.of(truck), discrepancy=DiscrepancyOut.of_record(settled)
    )


@router.post(
    "/cargo-reports/{report_id}/exit",
    response_model=CargoReportOut,
    dependencies=[needs(Cap.ACT_ON_DECLARATION)],
    responses={409: {"description": "Not presented, inbound, or an export not released."}},
)
def exit_(report_id: int, node: NodeDep, principal: PrincipalDep) -> CargoReportOut:
    """An outbound truck left: the report and each export on it become `exited`, and the
    partner hears of each exit."""
    return CargoReportOut.of(exit_truck(report_id, principal, node.ctx))
