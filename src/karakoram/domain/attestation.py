"""The attestation: a customs node vouching for one of its traders to the expo.

Its claims travel as the payload of a compact JWS signed with the node's Ed25519 exchange key
(the signer of the exchange). The node writes them with `claims_of`; the expo reads them back
with `parse_claims` after the signature verified, and checks the time window with `check_time`.
Times are NumericDate (whole seconds since the epoch), as in JWT (RFC 7519).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from karakoram.domain.errors import PermissionDenied

#: the payload's `typ`: a JWS over anything else (an exchange message) is no attestation
ATTESTATION_TYPE = "karakoram/attestation/1"
#: the longest validity an expo accepts, and how far the issuer's clock may run ahead
MAX_LIFETIME = timedelta(days=366)
CLOCK_SKEW = timedelta(minutes=5)


class AttestationRefused(PermissionDenied):
    """An attestation that does not prove who the trader is; `code` says which check failed:
    attestation_malformed, attestation_unknown_issuer, attestation_unknown_key,
    attestation_forged, attestation_expired, attestation_not_yet_valid."""

    title = "Attestation refused"


@dataclass(frozen=True, slots=True)
class Attestation:
    """Who a node says its trader is, and until when."""

    issuer: str
    trader_id: str
    name: str
    country: str
    aeo: bool
    aeo_level: str | None
    issued_at: datetime
    expires_at: datetime


def claims_of(a: Attestation) -> dict[str, Any]:
    return {
        "typ": ATTESTATION_TYPE,
        "iss": a.issuer,
        "sub": a.trader_id,
        "name": a.name,
        "country": a.country,
        "aeo": a.aeo,
        "aeo_level": a.aeo_level,
        "iat": int(a.issued_at.timestamp()),
        "exp": int(a.expires_at.timestamp()),
    }


def _text(payload: dict[str, Any], name: str, limit: int = 200) -> str:
    value = payload.get(name)
    if not isinstance(value, str) or not value.strip() or len(value) > limit:
        raise AttestationRefused(
            f"The attestation's claim {name!r} is missing or not a short text.",
            code="attestation_malformed",
        )
    return value


def _instant(payload: dict[str, Any], name: str) -> datetime:
    value = payload.get(name)
    if isinstance(value, bool) or not isinstance(value, int) or not 0 < value < 2**33:
        raise AttestationRefused(
            f"The attestation's claim {name!r} is not a time in seconds since 1970.",
            code="attestation_malformed",
        )
    return datetime.fromtimestamp(value, UTC)


def parse_claims(payload: dict[str, Any]) -> Attestation:
    """The attestation a verified payload states; `AttestationRefused` when it is none."""
    if payload.get("typ") != ATTESTATION_TYPE:
        raise AttestationRefused(
            f"The token is not an attestation (typ is not {ATTESTATION_TYPE}).",
            code="attestation_malformed",
        )
    aeo, level = payload.get("aeo"), payload.get("aeo_level")
    if not isinstance(aeo, bool) or not (level is None or isinstance(level, str)):
        raise AttestationRefused(
            "The attestation's AEO claims are not a flag and a level.",
            code="attestation_malformed",
        )
    country = _text(payload, "country", 2)
    return Attestation(
        _text(payload, "iss", 35),
        _text(payload, "sub", 35),
        _text(payload, "name"),
        country.upper(),
        aeo,
        level if aeo else None,
        _instant(payload, "iat"),
        _instant(payload, "exp"),
    )


def check_time(a: Attestation, now: datetime, lag: timedelta = timedelta(0)) -> None:
    """Refuse an attestation that has expired (`lag` earlier than `now`: how far behind the
    issuer's clock may run), is not yet valid, or is valid for too long."""
    if a.expires_at <= now - lag:
        raise AttestationRefused(
            f"The attestation of {a.trader_id} expired at {a.expires_at.isoformat()}; "
            f"ask {a.issuer} for a new one.",
            code="attestation_expired",
        )
    if a.issued_at > now + CLOCK_SKEW:
        raise AttestationRefused(
            f"The attestation of {a.trader_id} is issued in the future "
            f"({a.issued_at.isoformat()}).",
            code="attestation_not_yet_valid",
        )
    if a.expires_at - a.issued_at > MAX_LIFETIME or a.expires_at <= a.issued_at:
        raise AttestationRefused(
            f"The attestation of {a.trader_id} claims a validity over {MAX_LIFETIME.days} days.",
            code="attestation_malformed",
        )
