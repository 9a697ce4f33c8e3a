"""What the notification outbox stores and what its log shows, and the ports it needs."""

from __future__ import annotations

from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol

from karakoram.domain.notify import Endpoint


@dataclass(frozen=True, slots=True)
class Delivery:
    """One notification to one endpoint, tried until delivered or dead."""

    id: str
    endpoint_id: int
    mrn: str
    payload: str
    status: str
    attempts: int
    next_attempt_at: datetime
    created_at: datetime
    last_status_code: int | None = None
    last_error: str | None = None
    delivered_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class Attempt:
    """One try of a delivery: when, the receiver's HTTP status (webhooks) or the error."""

    at: datetime
    ok: bool
    status_code: int | None = None
    error: str | None = None


@dataclass(frozen=True, slots=True)
class DeliveryLogEntry:
    """A delivery as its trader sees it in the log: where it went and every attempt."""

    delivery: Delivery
    endpoint: Endpoint
    attempts: list[Attempt] = field(default_factory=list)


class NotificationRepository(Protocol):
    def add_endpoint(self, endpoint: Endpoint) -> Endpoint: ...
    def endpoints(self, parties: Collection[str]) -> list[Endpoint]: ...
    def remove_endpoint(self, party: str, endpoint_id: int, by: str, at: datetime) -> bool: ...
    def enqueue(self, deliveries: Sequence[Delivery]) -> None: ...
    def claim(
        self, now: datetime, lease_until: datetime, limit: int
    ) -> list[tuple[Delivery, Endpoint]]: ...
    def record(self, delivery: Delivery, attempt: Attempt) -> None: ...
    def log(self, party: str, limit: int) -> list[DeliveryLogEntry]: ...


@dataclass(frozen=True, slots=True)
class Outcome:
    """What one attempt came to."""

    ok: bool
    status_code: int | None = None
    error: str | None = None


class NotificationSender(Protocol):
    """Sends one notification: a signed webhook POST or an e-mail."""

    def send(self, endpoint: Endpoint, delivery_id: str, payload: str) -> Outcome: ...


def no_addresses(host: str) -> list[str]:
    """The resolver of a node built without one: nothing resolves, so nothing is reached."""
    return []


@dataclass(slots=True)
class NotifyConfig:
    """How notifications are checked and retried (bootstrap builds it from the settings)."""

    #: a host's addresses (DNS), for the check of a webhook's target
    resolve: Callable[[str], list[str]] = no_addresses
    #: private, loopback and link-local targets allowed: test configurations only
    allow_private: bool = False
    max_attempts: int = 8
    #: seconds before the first retry; doubling after each failure up to `max_retry`
    first_retry: float = 5.0
    max_retry: float = 600.0
    #: seconds a claimed delivery stays out of other workers' hands while it is sent
    lease: float = 60.0
