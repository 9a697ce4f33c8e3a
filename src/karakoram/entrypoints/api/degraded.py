"""When the partner is down: its state as this node sees it, and the imports checked again
when its pre-arrival data came (docs/gate.md, "When the partner is down")."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query

from karakoram.domain.access import Capability as Cap
from karakoram.domain.gate.pre_arrival import CheckStatus, PreArrivalCheck
from karakoram.entrypoints.api.guard import needs
from karakoram.entrypoints.http.deps import NodeDep, PrincipalDep
from karakoram.services.exchange.partner_state import PartnerStatus, partner_states
from karakoram.services.gate.pre_arrival import LISTED, list_checks

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
