"""The notification outbox: status changes queued in the transaction that makes them, and the
worker's step that delivers what is due, retrying with back-off until delivered or dead."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import replace

from karakoram.domain.clearance import DeclarationEvent
from karakoram.domain.declaration.model import DeclarationRecord
from karakoram.domain.notify import DeliveryStatus, next_attempt, status_change
from karakoram.services.context import NodeContext
from karakoram.services.notify.records import Attempt, Delivery, NotificationSender
from karakoram.services.ports import UnitOfWork


def enqueue_status_changes(
    uow: UnitOfWork, changes: Sequence[tuple[DeclarationRecord, DeclarationEvent]]
) -> int:
    """Queue a notification of each declaration's status change to every endpoint of its
    owner, in the caller's transaction; the number queued. Changes made together (lodged,
    accepted and assessed in one lodgement) are told as one: from the first state to the last."""
    moved: dict[str, tuple[DeclarationRecord, DeclarationEvent, DeclarationEvent]] = {}
    for record, event in changes:
        first = moved[record.mrn][1] if record.mrn in moved else event
        moved[record.mrn] = (record, first, event)
    told = [(r, a, b) for r, a, b in moved.values() if a.from_state != b.to_state and r.owner]
    if not told:
        return 0
    by_party: dict[str, list[int]] = {}
    for endpoint in uow.notifications.endpoints({r.owner for r, _, _ in told}):
        by_party.setdefault(endpoint.party, []).append(endpoint.id)
    queued = [
        _delivery(record, first, last, endpoint_id)
        for record, first, last in told
        for endpoint_id in by_party.get(record.owner, [])
    ]
    if queued:
        uow.notifications.enqueue(queued)
    return len(queued)


def _delivery(
    record: DeclarationRecord, first: DeclarationEvent, last: DeclarationEvent, endpoint_id: int
) -> Delivery:
    delivery_id = str(uuid.uuid4())
    payload = status_change(
        delivery_id,
        record.mrn,
        record.declaration.lrn,
        last.action,
        first.from_state,
        last.to_state,
        last.at,
    )
    pending = DeliveryStatus.PENDING.value
    return Delivery(delivery_id, endpoint_id, record.mrn, payload, pending, 0, last.at, last.at)


def deliver_due(ctx: NodeContext, sender: NotificationSender, limit: int = 50) -> bool:
    """Send what is due, outside any transaction (claimed first under a lease, so another
    worker leaves it alone), and record each attempt. True when something was tried."""
    config = ctx.notify
    now = ctx.clock()
    lease_until = next_attempt(1, now, config.lease, config.lease)
    with ctx.uow() as uow:
        claimed = uow.notifications.claim(now, lease_until, limit)
        uow.commit()
    if not claimed:
        return False
    results = []
    for delivery, endpoint in claimed:
        try:
            outcome = sender.send(endpoint, delivery.id, delivery.payload)
            attempt = Attempt(ctx.clock(), outcome.ok, outcome.status_code, outcome.error)
        except Exception as exc:  # a sender's bug is one failed attempt, not a dead worker
            attempt = Attempt(ctx.clock(), False, None, f"{type(exc).__name__}: {exc}"[:500])
        results.append((_after(delivery, attempt, ctx), attempt))
    with ctx.uow() as uow:
        for delivery, attempt in results:
            uow.notifications.record(delivery, attempt)
        uow.commit()
    return True


def _after(delivery: Delivery, attempt: Attempt, ctx: NodeContext) -> Delivery:
    """The delivery once `attempt` is made: delivered, dead, or pending until its retry."""
    config = ctx.notify
    attempts = delivery.attempts + 1
    common = replace(
        delivery,
        attempts=attempts,
        last_status_code=attempt.status_code,
        last_error=attempt.error,
    )
    if attempt.ok:
        return replace(common, status=DeliveryStatus.DELIVERED.value, delivered_at=attempt.at)
    if attempts >= config.max_attempts:
        return replace(common, status=DeliveryStatus.DEAD.value)
    retry = next_attempt(attempts, attempt.at, config.first_retry, config.max_retry)
    return replace(common, status=DeliveryStatus.PENDING.value, next_attempt_at=retry)
