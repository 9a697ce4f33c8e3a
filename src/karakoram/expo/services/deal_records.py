"""What the expo keeps of the contracts it registered with the customs nodes: its outbox to
them, each shipment's signed value by HS chapter, and what the nodes told back."""

from __future__ import annotations

from dataclasses import dataclass

from karakoram.expo.domain.deals import DealShipment as DealShipment
from karakoram.expo.domain.deals import ResultRecord as ResultRecord


@dataclass(frozen=True, slots=True)
class OutboundMessage:
    """A signed message to a node, delivered by the expo's relay (`expo_relay.py`)."""

    message_id: str
    recipient: str
    type: str
    token: str
    attempts: int = 0
