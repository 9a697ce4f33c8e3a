"""Notifications of a declaration's status changes: where a trader wants them, what they say,
how a webhook delivery is signed, and when a failed delivery is tried again.

A webhook delivery is a POST of a JSON body with two headers a receiver checks:

    Karakoram-Delivery: <the delivery's id; the same on every retry, to drop duplicates>
    Karakoram-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256>

The HMAC is keyed with the endpoint's secret (shown once, when the endpoint is registered) and
taken over the bytes `<t>.<body>`. A receiver recomputes it (`verify` below is the reference),
compares in constant time and refuses a `t` too far from its own clock (replays).
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from urllib.parse import urlsplit

from karakoram.domain.errors import FieldError, ValidationFailed

SIGNATURE_HEADER = "Karakoram-Signature"
DELIVERY_HEADER = "Karakoram-Delivery"
#: the one event a trader is told of
STATUS_CHANGED = "declaration.status_changed"
MAX_TARGET = 500


class Channel(StrEnum):
    WEBHOOK = "webhook"
    EMAIL = "email"


class DeliveryStatus(StrEnum):
    PENDING = "pending"
    DELIVERED = "delivered"
    #: every attempt failed; kept in the log, never tried again
    DEAD = "dead"


@dataclass(frozen=True, slots=True)
class Endpoint:
    """Where one trader (a party) is told of its declarations' status changes."""

    id: int
    party: str
    channel: Channel
    target: str
    created_by: str
    created_at: datetime
    #: the webhook's HMAC key; None for e-mail
    secret: str | None = None


def sign(secret: str, timestamp: int, body: bytes) -> str:
    """The `Karakoram-Signature` header's value for `body` sent at `timestamp`."""
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return f"t={timestamp},v1={mac.hexdigest()}"


def verify(secret: str, header: str, body: bytes, now: int, tolerance: int = 300) -> bool:
    """Whether `header` signs `body` with `secret`, at most `tolerance` seconds from `now`."""
    parts = dict(p.split("=", 1) for p in header.split(",") if "=" in p)
    try:
        timestamp = int(parts.get("t", ""))
    except ValueError:
        return False
    expected = sign(secret, timestamp, body).split("v1=", 1)[1]
    fresh = abs(now - timestamp) <= tolerance
    return fresh and hmac.compare_digest(expected, parts.get("v1", ""))


def check_target(channel: str, target: str) -> tuple[Channel, str]:
    """The channel and a clean target, or `ValidationFailed` naming what is wrong."""
    try:
        kind = Channel(channel)
    except ValueError:
        raise ValidationFailed(
            [FieldError("invalid_channel", "/channel", "channel is webhook or email.")]
        ) from None
    clean = (target or "").strip()
    problem = _target_problem(kind, clean)
    if problem is not None:
        raise ValidationFailed([FieldError(problem[0], "/target", problem[1])])
    return kind, clean


def _target_problem(kind: Channel, target: str) -> tuple[str, str] | None:
    if not target:
        return "required", "Enter the address to notify."
    if len(target) > MAX_TARGET:
        return "too_long", f"The address is longer than {MAX_TARGET} characters."
    if not target.isprintable():
        return "invalid_format", "The address holds characters that cannot be typed."
    if kind is Channel.EMAIL:
        local, at, domain = target.partition("@")
        if not (local and at and "." in domain) or any(c.isspace() for c in target):
            return "invalid_email", "Enter an e-mail address such as name@example.com."
        return None
    try:
        parts = urlsplit(target)
        port = parts.port  # raises on a port out of range or not a number
    except ValueError:
        return "invalid_url", "Enter a web address such as https://example.com/hooks/customs."
    if parts.scheme != "https":
        return "not_https", "A webhook address starts with https://."
    if not parts.hostname or parts.username or parts.password or port == 0:
        return "invalid_url", "Enter a web address such as https://example.com/hooks/customs."
    return None


def host_and_port(url: str) -> tuple[str, int]:
    """The host and port of a webhook address `check_target` accepted."""
    parts = urlsplit(url)
    return parts.hostname or "", parts.port or 443


def refused_address(address: str) -> bool:
    """Whether a resolved address is one a webhook may not reach: private, loopback,
    link-local, multicast, reserved or unspecified (IPv4-mapped IPv6 judged as IPv4)."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return (
        ip.is_private
        or ip.is_loopback
        or ip.is_link_local
        or ip.is_multicast
        or ip.is_reserved
        or ip.is_unspecified
    )


def status_change(
    delivery_id: str,
    mrn: str,
    lrn: str,
    action: str,
    from_state: str | None,
    to_state: str,
    at: datetime,
) -> str:
    """The JSON a trader receives of one status change: states and times, never reasons
    (an officer's reasons may name risk rules; the trader reads them on its pages)."""
    body = {
        "type": STATUS_CHANGED,
        "id": delivery_id,
        "mrn": mrn,
        "lrn": lrn,
        "action": action,
        "from": from_state,
        "to": to_state,
        "at": at.isoformat(),
    }
    return json.dumps(body, separators=(",", ":"), sort_keys=True)


def next_attempt(attempts: int, now: datetime, first: float, cap: float) -> datetime:
    """When to try again after `attempts` failed attempts: doubling from `first` seconds,
    bounded by `cap`."""
    return now + timedelta(seconds=min(cap, first * 2.0 ** max(attempts - 1, 0)))
