"""A trader's notification endpoints: register (a webhook's secret shown once), list, remove,
and the log of what was delivered to them."""

from __future__ import annotations

import secrets
from dataclasses import replace

from karakoram.domain.access import Capability, Principal, require
from karakoram.domain.errors import FieldError, NotFound, ValidationFailed
from karakoram.domain.notify import Channel, Endpoint, check_target, host_and_port, refused_address
from karakoram.services.context import NodeContext
from karakoram.services.notify.records import DeliveryLogEntry, NotifyConfig

MAX_LOG = 200


def _party(principal: Principal) -> str:
    require(principal, Capability.LODGE_DECLARATIONS)
    if not principal.party:
        raise ValidationFailed(
            [FieldError("no_party", "/party", "Your account names no trader to notify.")]
        )
    return principal.party


def check_reachable(url: str, config: NotifyConfig) -> None:
    """Refuse a webhook whose host resolves to nothing or to any address it may not reach
    (private, loopback, link-local...), unless the configuration allows them (tests)."""
    host, _ = host_and_port(url)
    addresses = config.resolve(host)
    if not addresses:
        raise ValidationFailed(
            [FieldError("unresolved", "/target", f"The host {host} cannot be found.")]
        )
    refused = sorted({a for a in addresses if refused_address(a)})
    if refused and not config.allow_private:
        raise ValidationFailed(
            [
                FieldError(
                    "private_address",
                    "/target",
                    f"The host {host} resolves to an address not reachable from the internet "
                    f"({', '.join(refused)}); give a public https address.",
                )
            ]
        )


def register_endpoint(
    channel: str, target: str, principal: Principal, ctx: NodeContext
) -> tuple[Endpoint, bool]:
    """Register where the caller's trader is told of status changes. Returns the endpoint and
    whether it is new; a new webhook carries its secret (shown this once), the same address
    again answers the endpoint already registered, without its secret."""
    party = _party(principal)
    kind, clean = check_target(channel, target)
    if kind is Channel.WEBHOOK:
        check_reachable(clean, ctx.notify)
    with ctx.uow() as uow:
        for existing in uow.notifications.endpoints([party]):
            if existing.channel is kind and existing.target == clean:
                return replace(existing, secret=None), False
        secret = secrets.token_urlsafe(32) if kind is Channel.WEBHOOK else None
        endpoint = Endpoint(0, party, kind, clean, principal.name, ctx.clock(), secret)
        stored = uow.notifications.add_endpoint(endpoint)
        uow.commit()
        return stored, True


def list_endpoints(principal: Principal, ctx: NodeContext) -> list[Endpoint]:
    """The caller's trader's endpoints, newest first, secrets withheld."""
    party = _party(principal)
    with ctx.uow() as uow:
        found = uow.notifications.endpoints([party])
    return sorted((replace(e, secret=None) for e in found), key=lambda e: -e.id)


def remove_endpoint(endpoint_id: int, principal: Principal, ctx: NodeContext) -> None:
    """Stop notifying an endpoint of the caller's trader (`NotFound` for another's)."""
    party = _party(principal)
    with ctx.uow() as uow:
        if not uow.notifications.remove_endpoint(party, endpoint_id, principal.name, ctx.clock()):
            raise NotFound(f"No notification endpoint {endpoint_id}.")
        uow.commit()


def delivery_log(principal: Principal, ctx: NodeContext, limit: int = 50) -> list[DeliveryLogEntry]:
    """The caller's trader's deliveries, newest first, each with its attempts."""
    party = _party(principal)
    with ctx.uow() as uow:
        entries = uow.notifications.log(party, max(1, min(limit, MAX_LOG)))
    return [replace(e, endpoint=replace(e.endpoint, secret=None)) for e in entries]
