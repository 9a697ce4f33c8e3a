"""What this node tells the expo of a contract's shipment (issue 19, "Deal register"): when a
declaration carrying the UCR of a contract registered here is lodged, released or seized, a
signed `clearance_result` (declared / released / refused, with the declaration's invoice
value) goes to every expo partner sharing the type, in the transaction of the change. A
lodgement also links the draft to the declaration's MRN (the declaration keeps the UCR, the
draft the contract's id)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import datetime
from typing import Any

from karakoram.domain.clearance import Action, DeclarationEvent
from karakoram.domain.declaration.model import DeclarationRecord, plain_decimal
from karakoram.domain.exchange.contract_bodies import ClearanceResult
from karakoram.domain.exchange.expo_bodies import PartnerKind
from karakoram.services.ports import UnitOfWork

#: the state changes the expo hears of
_STATUS = {Action.LODGE.value: "declared", Action.RELEASE.value: "released",
           Action.SEIZE.value: "refused"}  # fmt: skip


def contract_results(
    uow: UnitOfWork,
    config: Any,
    changes: Sequence[tuple[DeclarationRecord, DeclarationEvent]],
    send: Callable[..., Any],
) -> int:
    """Link lodgements to their drafts and queue the results; the messages queued. `config`
    is the node's exchange settings (None: no exchange) and `send` its `emit_to`, given by
    the caller (services/exchange/emit.py) so that this package does not import it back."""
    queued = 0
    # the drafts of all the changes' UCRs in one query (a bulk import's batch had one each)
    ucrs = [r.declaration.ucr for r, e in changes if e.action in _STATUS and r.declaration.ucr]
    drafts = uow.contract_drafts.by_ucrs(ucrs) if ucrs else {}
    for record, event in changes:
        status = _STATUS.get(event.action)
        d = record.declaration
        if status is None or not d.ucr:
            continue
        draft = drafts.get(d.ucr)
        if draft is None or draft.trader not in d.party_identifiers():
            continue
        if status == "declared" and draft.mrn is None:
            uow.contract_drafts.lodged(d.ucr, record.mrn)
            drafts[d.ucr] = replace(draft, mrn=record.mrn)  # as by_ucr would now read it
        if config is None:
            continue
        body = ClearanceResult(
            d.ucr, draft.contract_id, d.type.value, status, plain_decimal(d.invoice.amount),
            d.invoice.currency, event.at.isoformat(),
        )  # fmt: skip
        queued += _to_expos(uow, config, event.at, body, send)
    return queued


def _to_expos(uow: UnitOfWork, config: Any, at: datetime, body: ClearanceResult, send: Any) -> int:
    expos = [
        p
        for p in uow.exchange.partners()
        if p.kind == PartnerKind.EXPO and body.type.value in p.message_types
    ]
    for partner in expos:
        send(uow, config, at, partner, body, {"ucr": body.ucr})
    return len(expos)
