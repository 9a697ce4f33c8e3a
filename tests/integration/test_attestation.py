"""A signed-in trader asks its node for an attestation: a JWS signed with the node's exchange
key over its id, name, country and AEO status from the register, which the expo accepts."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import uuid6

from karakoram.adapters.db.engine import build_engine
from karakoram.adapters.exchange.signing import JwsCrypto, Signer, new_key, public_jwk
from karakoram.domain.access import Principal, Role
from karakoram.expo.services.participants import add_partner, register_participant
from karakoram.services.aeo import register_aeo
from karakoram.services.exchange.config import ExchangeConfig
from tests.builders import OTHER_TRADER, TRADER
from tests.expo_support import make_expo

SUPERVISOR = Principal(0, "sup", Role.SUPERVISOR)


def _signing(node, kid="cn-1"):
    key = new_key(kid)
    node.ctx.exchange = ExchangeConfig(
        node.ctx.administration, JwsCrypto(Signer(key, kid)), lambda: str(uuid6.uuid7())
    )
    return key


def test_a_trader_gets_an_attestation_the_expo_accepts(node, client, keys, tmp_path):
    key = _signing(node)
    now = node.ctx.clock()
    register_aeo(TRADER, "AEOF", now - timedelta(days=1), None, SUPERVISOR, node.ctx)
    answer = client.post("/attestations", json={"days": 10}, headers=keys.trader)
    assert answer.status_code == 201, answer.text
    body = answer.json()
    assert (body["trader_id"], body["name"], body["aeo"], body["aeo_level"]) == (
        TRADER, "kashgar", True, "AEOF",
    )  # fmt: skip
    assert body["country"] == node.ctx.rules.country and body["issuer"] == node.ctx.administration
    engine = build_engine(f"sqlite:///{tmp_path / 'expo.db'}")
    expo = make_expo(engine, now=datetime.now(UTC))
    ctx = node.ctx
    since = now - timedelta(days=1)
    add_partner(
        ctx.administration, ctx.rules.country, None, "cn-1", public_jwk(key), expo.ctx, since
    )
    joined = register_participant(body["token"], expo.ctx).participant
    assert (joined.trader_id, joined.aeo, joined.aeo_level) == (TRADER, True, "AEOF")
    other = client.post("/attestations", json={}, headers=keys.other).json()
    assert other["trader_id"] == OTHER_TRADER and other["aeo"] is False
    expo.close()


def test_only_a_trader_asks_and_only_for_itself(node, client, keys):
    _signing(node)
    refused = client.post("/attestations", json={}, headers=keys.officer)
    assert refused.status_code == 403 and refused.json()["code"] == "missing_capability"
    too_long = client.post("/attestations", json={"days": 5000}, headers=keys.trader)
    assert too_long.status_code == 422 and too_long.json()["errors"][0]["pointer"] == "/days"
    assert client.post("/attestations", json={}).status_code == 401


def test_a_node_without_a_signing_key_cannot_attest(node, client, keys):
    answer = client.post("/attestations", json={}, headers=keys.trader)
    assert answer.status_code == 409
