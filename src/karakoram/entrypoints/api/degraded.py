"""The gate and the partner: its trucks coming here, its state as this node sees it, and the
imports checked again when its pre-arrival data came (docs/gate.md)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query

from karakoram.domain.access import Capability as Cap
from karakoram.domain.gate.cargo_report import report_to_dict
from karakoram.domain.gate.pre_arrival import CheckStatus, PreArrivalCheck
from karakoram.entrypoints.api.guard import needs
from karakoram.entrypoints.http.deps import NodeDep, PrincipalDep
from karakoram.services.exchange.partner_cargo import partner_trucks
from karakoram.services.exchange.partner_state import PartnerStatus, partner_states
from karakoram.services.exchange.pre_arrival import LISTED, list_checks
from karakoram.services.records import PartnerCargoReport

router = APIRouter()


def _status_out(s: PartnerStatus) -> dict[str, Any]:
    return {
        "administration": s.administration,
        "country": s.country,
        "state": s.state.value,
        "oldest_pending_at": s.oldest_pending_at.isoformat() if s.oldest_pending_at else None,
        "failing": s.failing,
        "last_answer_at": s.last_answer_at.isoformat() if s.last_answer_at else None,
    }


def _check_out(c: PreArrivalCheck) -> dict[str, Any]:
    return {
        "mrn": c.mrn,
        "ucr": c.ucr,
        "partner_country": c.partner_country,
        "status": c.status.value,
        "opened_at": c.opened_at.isoformat(),
        "checked_at": c.checked_at.isoformat() if c.checked_at else None,
        "findings": list(c.findings),
        "message_id": c.message_id,
    }


@router.get("/exchange/partners/state", tags=["exchange"], dependencies=[needs(Cap.WATCH_EXCHANGE)])
def states(node: NodeDep, principal: PrincipalDep) -> list[dict[str, Any]]:
    """Each partner's state as this node sees it: `up`, `late` (messages wait over 5 minutes
    or a try failed) or `down` (they wait over 30 minutes, tries fail, no answer)."""
    return [_status_out(s) for s in partner_states(principal, node.ctx)]


@router.get("/pre-arrival-checks", tags=["gate"], dependencies=[needs(Cap.ACT_ON_DECLARATION)])
def checks(
    node: NodeDep,
    principal: PrincipalDep,
    status: CheckStatus | None = None,
    limit: Annotated[int, Query(ge=1, le=LISTED)] = 100,
) -> list[dict[str, Any]]:
    """Imports assessed while the partner was down, latest first: `pending` (its pre-arrival
    data not yet come), `verified` (it came and agrees) or `review` (it disagrees: a
    post-clearance review for an officer, with the findings)."""
    return [_check_out(c) for c in list_checks(principal, node.ctx, status, limit)]


def _truck_out(r: PartnerCargoReport) -> dict[str, Any]:
    return {
        "sender": r.sender,
        "message_id": r.message_id,
        "carrier": r.carrier,
        "lodged_at": r.lodged_at.isoformat(),
        "received_at": r.received_at.isoformat(),
        "report": report_to_dict(r.report),
    }


@router.get("/partner-cargo-reports", tags=["gate"], dependencies=[needs(Cap.READ_PARTNER_RECORDS)])
def trucks_coming(
    node: NodeDep,
    principal: PrincipalDep,
    ucr: Annotated[str | None, Query(max_length=35)] = None,
    limit: Annotated[int, Query(ge=1, le=LISTED)] = 100,
) -> list[dict[str, Any]]:
    """The partner's trucks coming here (read-only), latest first: the cargo reports its
    carriers lodged there, as its node sent them; those carrying `ucr` when given."""
    return [_truck_out(r) for r in partner_trucks(principal, node.ctx, ucr, limit)]
