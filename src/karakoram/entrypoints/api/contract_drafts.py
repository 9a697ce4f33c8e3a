"""A trader's drafts from contracts signed at the expo (`services/contracts/drafts.py`), and
for officers the three-way mirror of a declaration: contract, this side, the partner."""

from __future__ import annotations

from dataclasses import asdict
from datetime import datetime
from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel, Field

from karakoram.domain.access import Capability
from karakoram.domain.errors import NotFound
from karakoram.entrypoints.api.guard import needs
from karakoram.entrypoints.http.deps import NodeDep, PrincipalDep
from karakoram.services import queries
from karakoram.services.contracts.drafts import draft_of_trader, drafts_of
from karakoram.services.contracts.records import ContractDraft

router = APIRouter(tags=["contracts"])


class ContractDraftOut(BaseModel):
    ucr: str = Field(description="The shipment's UCR, assigned at the contract's signature.")
    contract_id: str
    contract_hash: str = Field(description="sha256 of the contract's canonical JSON.")
    declaration_type: str = Field(description="EX at the exporter's node, IM at the importer's.")
    values: dict[str, str] = Field(description="Header fields, named as the CSV columns.")
    items: list[dict[str, str]] = Field(description="One goods item per contract line shipped.")
    received_at: datetime
    mrn: str | None = Field(description="The declaration lodged with this UCR, once lodged.")


def _out(draft: ContractDraft) -> ContractDraftOut:
    d: dict[str, Any] = draft.draft
    return ContractDraftOut(
        ucr=draft.ucr,
        contract_id=draft.contract_id,
        contract_hash=draft.contract_hash,
        declaration_type=draft.declaration_type,
        values=d["values"],
        items=d["items"],
        received_at=draft.received_at,
        mrn=draft.mrn,
    )


@router.get(
    "/contract-drafts",
    response_model=list[ContractDraftOut],
    dependencies=[needs(Capability.READ_CONTRACT_DRAFTS)],
)
def list_drafts(node: NodeDep, principal: PrincipalDep) -> list[ContractDraftOut]:
    """The signed-in trader's declaration drafts from contracts signed at the expo, newest
    first: complete one (transport, driver, masses, offices) and lodge it."""
    return [_out(d) for d in drafts_of(principal, node.ctx)]


@router.get(
    "/contract-drafts/{ucr}",
    response_model=ContractDraftOut,
    dependencies=[needs(Capability.READ_CONTRACT_DRAFTS)],
)
def one_draft(ucr: str, node: NodeDep, principal: PrincipalDep) -> ContractDraftOut:
    """One draft; 404 for another trader's as for none."""
    return _out(draft_of_trader(principal, node.ctx, ucr))


class ContractMirrorOut(BaseModel):
    mrn: str
    ucr: str
    contract_id: str
    rows: list[dict[str, Any]] = Field(
        description="Per figure (hs6, quantity and value per HS6, exporter, importer): ours, "
        "the partner's and the contract's, and whether ours or the partner's is beyond the "
        "rule set's contract tolerance."
    )


@router.get(
    "/declarations/{mrn}/contract-mirror",
    response_model=ContractMirrorOut,
    dependencies=[needs(Capability.ACT_ON_DECLARATION)],
)
def contract_mirror(mrn: str, node: NodeDep, principal: PrincipalDep) -> ContractMirrorOut:
    """The three-way mirror of a declaration whose UCR came from a contract signed at the
    expo; 404 when it came from none."""
    checked = queries.get_checked_declaration(mrn, principal, node.ctx)
    side = queries.partner_view(checked.record, checked.events, principal, node.ctx)
    if side.contract_id is None:
        raise NotFound(f"Declaration {mrn}'s UCR came from no contract signed at the expo.")
    return ContractMirrorOut(
        mrn=mrn,
        ucr=checked.record.declaration.ucr,
        contract_id=side.contract_id,
        rows=[asdict(r) for r in side.contract],
    )
