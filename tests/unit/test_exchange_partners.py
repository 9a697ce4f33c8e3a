"""Partner use cases with fakes: registration, rotation, reconciliation, the outbox."""

from __future__ import annotations

import base64
import json
from datetime import timedelta
from typing import Any

import pytest

from karakoram.domain.access import Principal, Role
from karakoram.domain.errors import Conflict, NotFound, PermissionDenied
from karakoram.domain.exchange.bodies import MessageType, UnknownMessageType
from karakoram.domain.exchange.expo_bodies import EXPO_TYPES
from karakoram.domain.exchange.keys import NotAPartnerUrl, NotAPublicKey
from karakoram.services.exchange import overview, partners
from karakoram.services.exchange.config import ExchangeConfig
from karakoram.services.exchange.partners import NewPartner
from karakoram.services.records import OutboxMessage
from tests.unit.fakes import Clock, FakeStore, fake_context

X = base64.urlsafe_b64encode(bytes(range(32))).rstrip(b"=").decode()
JWK = {"kty": "OKP", "crv": "Ed25519", "x": X, "kid": "PK-GB-1"}
SUPERVISOR = Principal(0, "sup", Role.SUPERVISOR)


def pk(**changes: Any) -> NewPartner:
    fields = {
        "administration": "PK-GB",
        "country": "pk",
        "base_url": "https://pk.example",
        "kid": "PK-GB-1",
    }
    return NewPartner(**(fields | {"jwk": JWK} | changes))


@pytest.fixture
def ctx():
    return fake_context(FakeStore(), Clock())


def test_a_partner_is_registered_with_its_first_key_valid_a_day_back(ctx):
    partner = partners.register_partner(ctx, pk())
    assert (partner.country, partner.name) == ("PK", "PK-GB")
    # every type but the expo's own (issue 18: an administration never shares them)
    assert partner.message_types == tuple(t.value for t in MessageType if t not in EXPO_TYPES)
    [(listed, [key])] = partners.partners_with_keys(ctx)
    assert listed == partner and key.kid == "PK-GB-1" and key.valid_to is None
    assert key.valid_from == ctx.clock() - timedelta(days=1)


def test_a_second_registration_of_the_same_partner_is_refused(ctx):
    partners.register_partner(ctx, pk())
    with pytest.raises(Conflict):
        partners.register_partner(ctx, pk(kid="PK-GB-9"))
    [(_, keys)] = partners.partners_with_keys(ctx)
    assert [k.kid for k in keys] == ["PK-GB-1"]


def test_a_private_key_or_another_kind_of_key_is_not_registered(ctx):
    with pytest.raises(NotAPublicKey, match="private"):
        partners.register_partner(ctx, pk(jwk=JWK | {"d": X}))
    with pytest.raises(NotAPublicKey):
        partners.register_partner(ctx, pk(jwk={"kty": "RSA", "n": "x", "e": "AQAB"}))
    with pytest.raises(UnknownMessageType):
        partners.register_partner(ctx, pk(message_types=["gossip"]))
    assert partners.partners_with_keys(ctx) == []


@pytest.mark.parametrize(
    "url",
    ["https://pk.example", "https://10.0.0.7:8443", "http://127.0.0.1:8001", "http://127.8.0.1",
     "http://[::1]:8001", "http://localhost:9000/"],
)  # fmt: skip
def test_a_partner_is_reached_over_https_or_on_loopback(ctx, url):
    assert partners.register_partner(ctx, pk(base_url=url)).base_url == url


@pytest.mark.parametrize(
    "url",
    ["http://pk.example", "http://10.0.0.7:8001", "http://[2001:db8::1]/", "http://localhost.evil.example",
     "ftp://pk.example", "https://", "pk.example"],
)  # fmt: skip
def test_a_plain_http_partner_off_loopback_is_refused_clearly(ctx, url):
    with pytest.raises(NotAPartnerUrl) as refused:
        partners.register_partner(ctx, pk(base_url=url))
    assert "https" in str(refused.value)
    assert partners.partners_with_keys(ctx) == []


def test_rotation_adds_the_new_key_and_ends_the_old_after_the_overlap(ctx):
    partners.register_partner(ctx, pk())
    until = partners.rotate_key(ctx, "PK-GB", "PK-GB-2", JWK, timedelta(hours=48))
    assert until == ctx.clock() + timedelta(hours=48)
    [(_, (old, new))] = partners.partners_with_keys(ctx)
    assert (old.kid, old.valid_to) == ("PK-GB-1", until)
    assert (new.kid, new.valid_from, new.valid_to) == ("PK-GB-2", ctx.clock(), None)


def test_rotating_the_key_of_an_unknown_partner_fails(ctx):
    with pytest.raises(NotFound):
        partners.rotate_key(ctx, "XX-NONE", "k", JWK, timedelta(hours=1))


class FakeCrypto:
    def sign(self, payload: dict[str, Any]) -> str:
        return json.dumps(payload)


class FakePeer:
    def __init__(self, held: list[str]) -> None:
        self.held_ids = held
        self.asked: list[tuple[str, dict[str, Any]]] = []

    def held(self, base_url: str, query: str) -> list[str]:
        self.asked.append((base_url, json.loads(query)))
        return self.held_ids


def sent(ctx, *ids: str, status: str = "delivered") -> None:
    now = ctx.clock()
    with ctx.uow() as uow:
        for i in ids:
            message = OutboxMessage(i, "PK-GB", "exit_confirmation", "U", "t", status, 1, now, now)
            uow.exchange.enqueue(message)
        uow.commit()


def test_reconciliation_queues_again_what_the_partner_does_not_hold(ctx):
    ctx.exchange = ExchangeConfig("CN-URC", FakeCrypto(), lambda: "id")  # type: ignore[arg-type]
    partners.register_partner(ctx, pk())
    sent(ctx, "m-1", "m-2", "m-3")
    peer = FakePeer(["m-1", "m-3"])
    since = ctx.clock() - timedelta(days=1)
    done = partners.reconcile(ctx, peer, "PK-GB", since)
    assert (done.held, done.requeued) == (2, ["m-2"])
    [(url, query)] = peer.asked
    assert url == "https://pk.example" and (query["kind"], query["recipient"]) == (
        "reconcile",
        "PK-GB",
    )
    counts = partners.outbox_status(SUPERVISOR, ctx).counts
    assert counts == {"delivered": 2, "pending": 1}


def test_reconciling_with_an_unknown_partner_fails(ctx):
    ctx.exchange = ExchangeConfig("CN-URC", FakeCrypto(), lambda: "id")  # type: ignore[arg-type]
    with pytest.raises(NotFound):
        partners.reconcile(ctx, FakePeer([]), "XX-NONE", ctx.clock())


def test_the_outbox_is_for_watchers_and_dead_letters_replay(ctx):
    sent(ctx, "d-1", "d-2", status="dead")
    with pytest.raises(PermissionDenied):
        partners.outbox_status(Principal(1, "o", Role.OFFICER), ctx)
    found = partners.outbox_status(SUPERVISOR, ctx, dead=10)
    assert [m.message_id for m in found.dead] == ["d-1", "d-2"]
    assert overview.replay(SUPERVISOR, ctx) == 2
    assert partners.outbox_status(SUPERVISOR, ctx).counts == {"pending": 2}
