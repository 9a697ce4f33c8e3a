"""What the expo keeps of the contracts it registered with the customs nodes: its outbox to
them, each shipment's signed value by HS chapter, and what the nodes told back."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal


@dataclass(frozen=True, slots=True)
class OutboundMessage:
    """A signed message to a node, delivered by the expo's relay (`expo_relay.py`)."""

    message_id: str
    recipient: str
    type: str
    token: str
    attempts: int = 0


@dataclass(frozen=True, slots=True)
class DealShipment:
    """One shipment's signed value in one HS chapter and currency."""

    ucr: str
    chapter: str
    currency: str
    contract_id: str
    origin: str
    destination: str
    month: str
    value: Decimal


@dataclass(frozen=True, slots=True)
class ResultRecord:
    """A node's clearance result of a shipment's declaration."""

    message_id: str
    sender: str
    ucr: str
    declaration_type: str
    status: str
    value: Decimal
    currency: str
    at: datetime
