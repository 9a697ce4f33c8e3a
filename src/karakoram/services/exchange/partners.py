"""Partner and outbox use cases: register a partner, rotate or revoke its key, list partners,
reconcile with one, the outbox's state, refusals and a message's evidence. The CLI, the API
and the demo call these; replaying dead letters is `overview.replay`."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any

from karakoram.domain.access import Principal, Role, require_role
from karakoram.domain.errors import Conflict, FieldError, NotFound, ValidationFailed
from karakoram.domain.exchange.bodies import KeyRevoked, message_types
from karakoram.domain.exchange.envelope import DecodedMessage, Refused
from karakoram.domain.exchange.expo_bodies import PartnerKind, default_types, types_not_for
from karakoram.domain.exchange.keys import partner_url, public_jwk
from karakoram.services.context import NodeContext
from karakoram.services.exchange.config import ExchangeConfig, configured
from karakoram.services.exchange.emit import emit_to
from karakoram.services.exchange.overview import WATCHERS
from karakoram.services.exchange.reconcile import reconciliation_query, resend_missing
from karakoram.services.ports import PeerTransport
from karakoram.services.records import (
    OutboxMessage,
    Partner,
    PartnerKey,
    PartnerRecord,
    PartnerTraffic,
)

log = logging.getLogger(__name__)

#: how long before its registration a partner's first key is valid: messages it signed
#: just before we registered it (clocks differ) still verify
FIRST_KEY_GRACE = timedelta(days=1)


@dataclass(frozen=True, slots=True)
class NewPartner:
    """A partner administration as the operator registers it, with its first public key."""

    administration: str
    country: str
    base_url: str
    kid: str
    jwk: Any
    name: str | None = None
    #: the message types shared; every type when empty
    message_types: Sequence[str] = ()
    #: when the partnership (and the key) begins; default: now, the key a day earlier
    since: datetime | None = None
    #: a country administration, or the expo (shares only the expo's message types)
    kind: PartnerKind = PartnerKind.ADMINISTRATION


def register_partner(ctx: NodeContext, new: NewPartner) -> Partner:
    """Register a partner with its first key; `Conflict` if it is already a partner,
    `NotAPartnerUrl` for a plain-http URL outside loopback."""
    jwk = public_jwk(new.jwk)
    base_url = partner_url(new.base_url)
    types = message_types(new.message_types) if new.message_types else default_types(new.kind)
    wrong = types_not_for(new.kind, types)
    if wrong:
        raise ValidationFailed(
            [
                FieldError(
                    "not_shareable",
                    "/message_types",
                    f"A partner of kind {new.kind.value} never shares {', '.join(wrong)}.",
                )
            ]
        )
    now = ctx.clock()
    partner = Partner(
        new.administration,
        new.name or new.administration,
        new.country.upper(),
        base_url,
        tuple(t.value for t in types),
        new.kind.value,
    )
    with ctx.uow() as uow:
        if uow.exchange.partner(new.administration):
            raise Conflict(f"{new.administration} is already a partner; rotate its key instead.")
        uow.exchange.add_partner(partner, new.since or now)
        valid_from = new.since or now - FIRST_KEY_GRACE
        uow.exchange.add_key(new.administration, PartnerKey(new.kid, jwk, valid_from, None))
        uow.commit()
    return partner


def share_types(ctx: NodeContext, administration: str, types: Sequence[str]) -> Partner:
    """Set the message types shared with a partner (its kind's defaults when none are named),
    as the agreement now reads; `NotFound` for no such partner, `ValidationFailed` for a type
    its kind never shares. Messages it refused before are not fetched again: the sender
    replays its dead letters."""
    with ctx.uow() as uow:
        partner = uow.exchange.partner(administration)
        if partner is None:
            raise NotFound(f"{administration} is not a partner.")
        kind = PartnerKind(partner.kind)
        chosen = message_types(types) if types else default_types(kind)
        wrong = types_not_for(kind, chosen)
        if wrong:
            raise ValidationFailed(
                [
                    FieldError(
                        "not_shareable",
                        "/message_types",
                        f"A partner of kind {kind.value} never shares {', '.join(wrong)}.",
                    )
                ]
            )
        kinds = tuple(t.value for t in chosen)
        uow.exchange.set_message_types(administration, kinds)
        uow.commit()
    return replace(partner, message_types=kinds)


def rotate_key(
    ctx: NodeContext, administration: str, kid: str, jwk: Any, overlap: timedelta
) -> datetime:
    """Add a partner's new key; its older keys stay valid for `overlap`, then expire (when)."""
    checked = public_jwk(jwk)
    now = ctx.clock()
    with ctx.uow() as uow:
        if uow.exchange.partner(administration) is None:
            raise NotFound(f"{administration} is not a partner.")
        uow.exchange.add_key(administration, PartnerKey(kid, checked, now, None))
        uow.exchange.end_keys(administration, now + overlap, keep=kid)
        uow.commit()
    return now + overlap


def revoke_own_key(ctx: NodeContext, kid: str) -> list[str]:
    """End one of this node's own keys at every partner: a signed `key_revoked` message to
    each, queued in one transaction (the partners to which it goes). Signed with the node's
    current key; when that is the one revoked, the partner accepts this message and refuses
    everything after it, so switch the node to a new key (and rotate it at the partners)."""
    config = configured(ctx.exchange)
    now = ctx.clock()
    body = KeyRevoked(kid, now.isoformat())
    with ctx.uow() as uow:
        partners = uow.exchange.partners()
        for partner in partners:  # whatever each agreement shares: it keeps the exchange safe
            emit_to(uow, config, now, partner, body)
        uow.commit()
    sent = [p.administration for p in partners]
    log.warning("revoked our key %s; told %s", kid, ", ".join(sent) or "no partner")
    return sent


def revoke_key(ctx: NodeContext, administration: str, kid: str) -> datetime:
    """End a partner's key at once: from now on no delivery signed with it is accepted,
    whatever date its message gives itself (when; the first revocation's time stands)."""
    now = ctx.clock()
    with ctx.uow() as uow:
        if not uow.exchange.revoke_key(administration, kid, now):
            raise NotFound(f"{administration} has no key {kid!r} here.")
        revoked = next(k.revoked_at for k in uow.exchange.keys(administration) if k.kid == kid)
        uow.commit()
    log.warning("revoked key %s of %s at %s", kid, administration, revoked)
    return revoked or now


@dataclass(frozen=True, slots=True)
class Refusals:
    #: refusals per code and claimed sender ("" for senders that are not partners), most first
    counts: list[tuple[str, str, int]]
    #: the latest recorded refusals (every authenticated one, a sample of the rest)
    latest: list[dict[str, Any]]


def refusals(principal: Principal, ctx: NodeContext, since: datetime, limit: int) -> Refusals:
    """What was refused since `since`: counted by reason and sender, and the latest recorded."""
    require_role(principal, *WATCHERS)
    with ctx.uow() as uow:
        return Refusals(uow.exchange.refusal_counts(since), uow.exchange.refusals(limit))


def partners_with_keys(ctx: NodeContext) -> list[tuple[Partner, list[PartnerKey]]]:
    """Every partner with its keys, oldest first."""
    with ctx.uow() as uow:
        return [(p, uow.exchange.keys(p.administration)) for p in uow.exchange.partners()]


@dataclass(frozen=True, slots=True)
class Reconciled:
    held: int
    requeued: list[str]


def reconcile(
    ctx: NodeContext, peer: PeerTransport, administration: str, since: datetime
) -> Reconciled:
    """Ask the partner which of our messages since `since` it holds, and queue the others
    again; `DeliveryFailed` when it does not answer."""
    config = configured(ctx.exchange)
    with ctx.uow() as uow:
        partner = uow.exchange.partner(administration)
    if partner is None:
        raise NotFound(f"{administration} is not a partner.")
    query = reconciliation_query(config, administration, since, ctx.clock())
    held = peer.held(partner.base_url, query)
    missing = resend_missing(administration, since, held, ctx.uow, ctx.clock())
    return Reconciled(len(held), missing)


@dataclass(frozen=True, slots=True)
class OutboxStatus:
    #: messages per status (pending, delivered, dead)
    counts: dict[str, int]
    dead: list[OutboxMessage] = field(default_factory=list)
    refusals: list[dict[str, Any]] = field(default_factory=list)
    #: what went to each partner (an expo's messages are not the partner administration's)
    by_partner: list[PartnerTraffic] = field(default_factory=list)


def outbox_status(
    principal: Principal, ctx: NodeContext, dead: int = 0, refusals: int = 0
) -> OutboxStatus:
    """Outbox counts, with up to `dead` dead letters and the latest `refusals`."""
    require_role(principal, *WATCHERS)
    with ctx.uow() as uow:
        return OutboxStatus(
            uow.exchange.outbox_counts(),
            uow.exchange.dead_letters(dead) if dead else [],
            uow.exchange.refusals(refusals) if refusals else [],
            uow.exchange.traffic(),
        )


@dataclass(frozen=True, slots=True)
class SignatureCheck:
    """Whose signature a token carries and whether it verified."""

    what: str  # message | receipt
    signer: str
    #: signed by this node (nothing to verify against a partner's key)
    ours: bool
    digest: str
    refused: Refused | None = None


@dataclass(frozen=True, slots=True)
class MessageEvidence:
    """A message as sent or received, with its receipt, both signatures checked."""

    payload: dict[str, Any]
    message: SignatureCheck
    receipt_payload: dict[str, Any] | None
    receipt: SignatureCheck | None


def show_message(ctx: NodeContext, message_id: str) -> MessageEvidence:
    """The message `message_id` (sent or received) and its receipt; `NotFound` if neither."""
    config = configured(ctx.exchange)
    with ctx.uow() as uow:
        sent, got = uow.exchange.outbox(message_id), uow.exchange.inbox_message(message_id)
        if sent is not None:
            peer, token, receipt = sent.recipient, sent.token, sent.receipt
            keys_for_token, keys_for_receipt = None, uow.exchange.keys(peer)
        elif got is not None:
            peer, token, receipt = got.sender, got.token, got.receipt
            keys_for_token, keys_for_receipt = uow.exchange.keys(peer), None
        else:
            raise NotFound(f"No message {message_id} here.")
    now = ctx.clock()
    message = config.crypto.decode(token)
    checked = _check("message", message, keys_for_token, peer, config, now)
    if not receipt:
        return MessageEvidence(message.payload, checked, None, None)
    answer = config.crypto.decode(receipt)
    return MessageEvidence(
        message.payload,
        checked,
        answer.payload,
        _check("receipt", answer, keys_for_receipt, peer, config, now),
    )


def _check(
    what: str,
    token: DecodedMessage,
    keys: list[PartnerKey] | None,
    peer: str,
    config: ExchangeConfig,
    now: datetime,
) -> SignatureCheck:
    """`keys` None: signed by this node, nothing to verify."""
    digest = config.crypto.digest(token.token)
    if keys is None:
        return SignatureCheck(what, config.me, True, digest)
    try:
        config.crypto.verify(token, keys, peer, now)
    except Refused as refused:
        return SignatureCheck(what, peer, False, digest, refused)
    return SignatureCheck(what, peer, False, digest)


#: who may read what the partner told us about a consignment
READERS = (Role.OFFICER, Role.SUPERVISOR, Role.ANALYST)


def partner_messages(principal: Principal, ctx: NodeContext, ucr: str) -> list[PartnerRecord]:
    """What the partner administration told us about a consignment, oldest first."""
    require_role(principal, *READERS)
    with ctx.uow() as uow:
        return uow.exchange.partner_records(ucr)
