"""What a received message changes besides the partner's record of it, in the receiving
transaction: an AEO list replaces the sender's operators in the register (within the
agreement); pre-arrival data settles the imports that waited for it while the partner was
down; a cargo report keeps the partner's truck coming here."""

from __future__ import annotations

from datetime import datetime

from karakoram.domain.exchange import bodies as b
from karakoram.domain.exchange.envelope import Envelope
from karakoram.services.aeo import received_partner_list
from karakoram.services.exchange import partner_cargo
from karakoram.services.exchange.pre_arrival import verify_pending
from karakoram.services.ports import UnitOfWork


def apply_message(uow: UnitOfWork, envelope: Envelope, country: str, at: datetime) -> None:
    """Apply a verified message of the partner of `country`."""
    body = envelope.body
    if isinstance(body, b.AeoList):
        received_partner_list(uow, envelope.sender, country, body, at)
    elif isinstance(body, b.ExportPreArrival):
        verify_pending(uow, envelope.ucr, body, envelope.id, at)
    elif isinstance(body, b.CargoReportNotice):
        partner_cargo.received(uow, envelope, body, at)
