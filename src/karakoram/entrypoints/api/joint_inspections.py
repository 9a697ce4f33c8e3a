"""Joint inspections of one consignment by both administrations (docs/gate.md)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import APIRouter, Response
from pydantic import BaseModel, Field

from karakoram.domain.access import Capability as Cap
from karakoram.domain.joint_inspection import JointInspection
from karakoram.entrypoints.api.guard import needs
from karakoram.entrypoints.http.deps import NodeDep, PrincipalDep
from karakoram.services import joint_inspections as joint

router = APIRouter(tags=["joint inspections"])
_OFFICER = [needs(Cap.ACT_ON_DECLARATION)]


class ProposalIn(BaseModel):
    at: str = Field(description="When to inspect together: ISO 8601 with its zone.")
    note: str = Field("", max_length=500, description="Place, gate, what to bring.")


class ResultIn(BaseModel):
    findings: dict[str, Any] = Field(
        description="What both officers found: quantity_matches, hs_code_found, value_found, "
        "seals (intact|broken|none), prohibited_goods, documents_complete, notes."
    )


class JointOut(BaseModel):
    """A joint inspection: the record both nodes sign, and each node's signature (a JWS)."""

    proposal_id: str
    ucr: str
    mrn: str | None = Field(description="This side's declaration of the consignment.")
    proposed_by: str
    partner: str
    at: datetime
    status: str = Field(description="proposed, accepted, signed (by one side) or recorded.")
    note: str
    record: dict[str, Any] | None
    signatures: dict[str, str]

    @classmethod
    def of(cls, j: JointInspection) -> JointOut:
        return cls(
            proposal_id=j.proposal_id,
            ucr=j.ucr,
            mrn=j.mrn,
            proposed_by=j.proposed_by,
            partner=j.partner,
            at=j.at,
            status=j.status.value,
            note=j.note,
            record=j.record,
            signatures=j.signatures,
        )


@router.post(
    "/declarations/{mrn}/joint-inspections",
    response_model=JointOut,
    status_code=201,
    dependencies=_OFFICER,
)
def propose(
    mrn: str, body: ProposalIn, response: Response, node: NodeDep, principal: PrincipalDep
) -> JointOut:
    """Propose to the partner a time to inspect this consignment together; the same
    proposal again answers 200 with the first."""
    j, new = joint.propose(mrn, body.at, body.note, principal, node.ctx)
    response.status_code = 201 if new else 200
    return JointOut.of(j)


@router.get("/joint-inspections", response_model=list[JointOut], dependencies=_OFFICER)
def of_consignment(ucr: str, node: NodeDep, principal: PrincipalDep) -> list[JointOut]:
    """The joint inspections of consignment `ucr`, proposed by either side."""
    return [JointOut.of(j) for j in joint.joint_inspections(ucr, principal, node.ctx)]


@router.post(
    "/joint-inspections/{proposal_id}/acceptance", response_model=JointOut, dependencies=_OFFICER
)
def accept(proposal_id: str, node: NodeDep, principal: PrincipalDep) -> JointOut:
    """Agree to the partner's proposal (only the side that did not propose)."""
    return JointOut.of(joint.accept(proposal_id, principal, node.ctx))


@router.post(
    "/joint-inspections/{proposal_id}/result", response_model=JointOut, dependencies=_OFFICER
)
def record(proposal_id: str, body: ResultIn, node: NodeDep, principal: PrincipalDep) -> JointOut:
    """Record what the joint inspection found: one control record, signed by this node and
    sent to the partner, which countersigns it."""
    return JointOut.of(joint.record_result(proposal_id, body.findings, principal, node.ctx))
