"""How this node takes part in the exchange: its identity, signer, limits and retry policy."""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from karakoram.domain.errors import Conflict
from karakoram.domain.exchange.envelope import DELIVERY_SKEW
from karakoram.domain.exchange.keys import ClientBinding
from karakoram.domain.gate.slots import CrossingCalendar
from karakoram.services.contracts.signatures import ContractSignatures
from karakoram.services.ports import AttachmentStore, MessageCrypto

#: the most bytes of messages the relay puts in one batch request (the inbox refuses more)
MAX_BATCH_BYTES_OUT = 8_000_000


class DeliveryFailed(Exception):
    """The partner did not answer with a receipt (down, refused, timed out)."""


@dataclass
class ExchangeConfig:
    me: str
    crypto: MessageCrypto
    new_id: Callable[[], str]
    #: how far a delivery's signed `sent_at` may be from this node's clock, either way
    delivery_skew: timedelta = DELIVERY_SKEW
    max_attempts: int = 12
    #: messages sent to one partner in one request
    batch_size: int = 100
    backoff_base: float = 1.0
    backoff_cap: float = 600.0
    #: how long a claimed message is reserved for the relay that claimed it: longer than one
    #: pass can take (its requests time out), short enough that a killed relay's messages
    #: are soon sent again
    lease: timedelta = timedelta(minutes=2)
    rng: random.Random = field(default_factory=random.Random)
    #: per partner, the TLS client certificate its deliveries must come with; empty: none asked
    client_bindings: dict[str, ClientBinding] = field(default_factory=dict)
    #: the public JWK of the node's own signing key, with which it checks what it signed
    #: (a release note's QR code); None where no key is loaded (unit tests' fakes)
    own_key: dict[str, Any] | None = None
    #: the crossings' calendars, by code: the partner's slot bookings are checked against them
    calendars: dict[str, CrossingCalendar] = field(default_factory=dict)
    #: where documents the partner shares are kept (by hash); None: they are refused
    attachments: AttachmentStore | None = None
    #: reads the signatures of a contract registered at the expo (against the node's trader
    #: CA); None: such contracts are refused (`contract_unverifiable`)
    contracts: ContractSignatures | None = None

    def retry_delay(self, attempts: int) -> timedelta:
        """Exponential backoff with equal jitter: half fixed, half random."""
        ceiling = min(self.backoff_cap, self.backoff_base * 2**attempts)
        return timedelta(seconds=ceiling / 2 + self.rng.random() * ceiling / 2)


def configured(config: ExchangeConfig | None) -> ExchangeConfig:
    """The node's exchange settings (`NodeContext.exchange`); `Conflict` when it has no
    signing key."""
    if config is None:
        raise Conflict("This node has no signing key: the exchange is not set up.")
    return config
