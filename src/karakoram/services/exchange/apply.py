"""What a received message changes besides the partner's record of it, in the receiving
transaction: an AEO list replaces the sender's operators in the register (within the
agreement); a joint inspection's step moves it on (services/joint_inspections.py); pre-arrival
data settles the imports that waited for it while the partner was down; a cargo report keeps
the partner's truck coming here; a part of a shared document is kept by its hash; a contract
registered at the expo leaves drafts for this node's traders (services/contracts)."""

from __future__ import annotations

from datetime import datetime

from karakoram.domain.exchange import bodies as b
from karakoram.domain.exchange.envelope import Envelope
from karakoram.domain.gate.pre_arrival import PreArrivalCheck
from karakoram.services import partner_documents
from karakoram.services.aeo import received_partner_list
from karakoram.services.contracts import drafts as contract_drafts
from karakoram.services.exchange import partner_cargo
from karakoram.services.exchange.config import ExchangeConfig
from karakoram.services.exchange.pre_arrival import verify_pending
from karakoram.services.joint_inspections import received as joint_step
from karakoram.services.ports import UnitOfWork

_JOINT = (b.JointInspectionProposed, b.JointInspectionAccepted, b.JointInspectionSigned)


def apply_received(
    uow: UnitOfWork,
    config: ExchangeConfig,
    envelope: Envelope,
    country: str,
    at: datetime,
    pending: dict[str, list[PreArrivalCheck]] | None = None,
) -> None:
    """Apply `envelope` from a verified partner of `country`. `pending`: the pending
    pre-arrival checks of the batch's UCRs, read at once; the first message for a UCR takes
    its entry, and another for it reads them again."""
    body = envelope.body
    if isinstance(body, b.AeoList):
        received_partner_list(uow, envelope.sender, country, body, at)
    elif isinstance(body, _JOINT):
        joint_step(uow, config, envelope, at)
    elif isinstance(body, b.ExportPreArrival):
        checks = None if pending is None else pending.pop(envelope.ucr, None)
        verify_pending(uow, envelope.ucr, body, envelope.id, at, checks)
    elif isinstance(body, b.CargoReportNotice):
        partner_cargo.received(uow, envelope, body, at)
    elif isinstance(body, b.DocumentShared):
        partner_documents.received(config, body)
    elif isinstance(body, b.ContractRegistered):
        contract_drafts.received(uow, envelope, config.me, at)
