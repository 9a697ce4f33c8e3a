"""The composition root's part for traders' notifications: the checks' configuration on the
node's context, and the worker that delivers the notification outbox. `bootstrap.py` calls
both; nothing here runs at import time."""

from __future__ import annotations

from typing import TYPE_CHECKING

from karakoram.adapters.notify.sender import Sender, SmtpSettings, resolve
from karakoram.services.notify.outbox import deliver_due
from karakoram.services.notify.records import NotifyConfig
from karakoram.services.workers import Worker

if TYPE_CHECKING:
    from karakoram.bootstrap import Node

NOTIFY = "notifications"


def wire_notifications(node: Node) -> None:
    """Give the node's context how webhooks are checked and deliveries retried."""
    s = node.settings.notify
    node.ctx.notify = NotifyConfig(
        resolve=resolve,
        allow_private=s.allow_private_addresses,
        max_attempts=s.max_attempts,
        first_retry=s.first_retry,
        max_retry=s.max_retry,
        lease=max(60.0, 3 * s.timeout),
    )


def notification_sender(node: Node) -> Sender:
    """The sender of webhooks and e-mail, from the node's settings."""
    s = node.settings.notify
    smtp = SmtpSettings(
        s.smtp_host,
        s.smtp_port,
        s.smtp_from,
        s.smtp_starttls,
        s.smtp_username,
        s.smtp_password.get_secret_value() if s.smtp_password else None,
        s.ca_bundle,
    )
    return Sender(
        smtp, allow_private=s.allow_private_addresses, ca_bundle=s.ca_bundle, timeout=s.timeout
    )


def notification_workers(node: Node) -> list[Worker]:
    """The worker that delivers the notification outbox (none when its interval is 0)."""
    interval = node.settings.notify.interval
    if interval <= 0:
        return []
    sender = notification_sender(node)

    def step() -> bool:
        return deliver_due(node.ctx, sender)

    return [Worker(NOTIFY, step, interval, record=node.worker_log)]
