"""The expo believes an attestation only when the issuing node's registered key signed it and
it is in its time window: forged, expired or signed by another node's key is refused with a
code that says which."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from karakoram.domain.attestation import (
    ATTESTATION_TYPE,
    AttestationRefused,
    parse_claims,
)
from karakoram.domain.errors import AuthenticationFailed
from karakoram.expo.adapters.crypto import JwsAttestationCrypto
from karakoram.expo.domain.catalogue import CatalogueCodes
from karakoram.expo.services.context import ExpoContext
from karakoram.expo.services.participants import authenticate, register_participant
from karakoram.expo.services.records import Participant, PartnerKey
from tests.expo_support import CN, NOW, PK, NodeKey


class FakeExpoUow:
    """Partners' keys and participants in memory: what registration reads and writes."""

    def __init__(self, keys: dict[str, list[PartnerKey]]) -> None:
        self.keys = keys
        self.people: dict[tuple[str, str], Participant] = {}
        self.hashes: dict[str, tuple[str, str]] = {}
        self.committed = 0

    def __enter__(self) -> FakeExpoUow:
        return self

    def __exit__(self, *_: Any) -> None:
        return None

    def commit(self) -> None:
        self.committed += 1

    def partner_keys(self, administration: str) -> list[PartnerKey]:
        return self.keys.get(administration, [])

    def participant(self, issuer: str, trader_id: str) -> Participant | None:
        return self.people.get((issuer, trader_id))

    def participant_by_key(self, key_hash: str) -> Participant | None:
        found = self.hashes.get(key_hash)
        return None if found is None else self.people[found]

    def save_participant(self, a: Any, key_hash: str, at: Any) -> Participant:
        key = (a.issuer, a.trader_id)
        held = self.people.get(key)
        p = Participant(
            held.id if held else len(self.people) + 1, a.issuer, a.trader_id, a.name, a.country,
            a.aeo, a.aeo_level, a.issued_at, a.expires_at, at,
        )  # fmt: skip
        self.people[key] = p
        self.hashes = {h: k for h, k in self.hashes.items() if k != key} | {key_hash: key}
        return p


def _ctx(now=NOW, trusted: tuple[NodeKey, ...] = (CN, PK)) -> tuple[ExpoContext, FakeExpoUow]:
    keys = {
        n.administration: [PartnerKey(n.kid, n.jwk, NOW - timedelta(days=1), None)] for n in trusted
    }
    uow = FakeExpoUow(keys)
    counter = iter(range(1000))
    ctx = ExpoContext(
        lambda: uow,  # type: ignore[arg-type,return-value]
        lambda: now,
        JwsAttestationCrypto(),
        b"k" * 32,
        CatalogueCodes(frozenset(), frozenset({"CN", "PK"}), frozenset({"CNY"})),
        lambda: f"kx_test_{next(counter)}",
    )
    return ctx, uow


def _refused(token: str, ctx: ExpoContext) -> str:
    with pytest.raises(AttestationRefused) as caught:
        register_participant(token, ctx)
    return caught.value.code


def test_a_node_signed_attestation_registers_its_trader_with_the_signed_claims():
    ctx, _ = _ctx()
    done = register_participant(CN.attest("91650100MA77XY1234", "Kashgar Silk Co", aeo=True), ctx)
    p = done.participant
    assert (p.issuer, p.trader_id, p.name, p.country) == (
        "CN-URC",
        "91650100MA77XY1234",
        "Kashgar Silk Co",
        "CN",
    )
    assert p.aeo and p.aeo_level == "AEOF" and done.created
    assert authenticate(done.api_key, ctx) == p


def test_registering_again_renews_the_same_participant_and_replaces_its_key():
    ctx, _ = _ctx()
    first = register_participant(CN.attest("T1", "One"), ctx)
    second = register_participant(CN.attest("T1", "One renamed"), ctx)
    assert second.participant.id == first.participant.id and not second.created
    assert second.participant.name == "One renamed"
    with pytest.raises(AuthenticationFailed):
        authenticate(first.api_key, ctx)


def test_a_forged_attestation_is_refused():
    ctx, uow = _ctx()
    token = CN.attest("T1", "Honest Trader")
    header, payload, signature = token.split(".")
    other = CN.attest("T1", "Honest Trader", aeo=True).split(".")[1]  # claims AEO, old signature
    assert _refused(f"{header}.{other}.{signature}", ctx) == "attestation_forged"
    assert _refused(f"{header}.{payload}.{signature[:-4]}AAAA", ctx) == "attestation_forged"
    assert uow.people == {}


def test_an_expired_attestation_is_refused():
    ctx, _ = _ctx()
    old = CN.attest("T1", "Late", issued_at=NOW - timedelta(days=40))
    assert _refused(old, ctx) == "attestation_expired"


def test_an_attestation_from_the_future_or_for_too_long_is_refused():
    ctx, _ = _ctx()
    assert _refused(CN.attest("T1", "Early", issued_at=NOW + timedelta(hours=1)), ctx) == (
        "attestation_not_yet_valid"
    )
    forever = CN.attest("T1", "Forever", expires_at=NOW + timedelta(days=3000))
    assert _refused(forever, ctx) == "attestation_malformed"


def test_an_attestation_signed_with_another_nodes_key_is_refused():
    ctx, _ = _ctx()
    # PK-GB's key signs a claim that CN-URC vouches for the trader
    assert _refused(PK.attest("T1", "Impostor", issuer="CN-URC"), ctx) == "attestation_unknown_key"
    # an untrusted node that reuses CN-URC's key id: the signature does not verify
    rogue = NodeKey("CN-URC", "CN", "cn-1")
    assert _refused(rogue.attest("T1", "Impostor"), ctx) == "attestation_forged"


def test_an_attestation_of_a_node_the_expo_does_not_trust_is_refused():
    ctx, _ = _ctx(trusted=(CN,))
    assert _refused(PK.attest("T1", "Sost Traders"), ctx) == "attestation_unknown_issuer"


def test_anything_that_is_not_an_attestation_is_refused():
    ctx, _ = _ctx()
    assert _refused("not a token", ctx) == "attestation_malformed"
    with pytest.raises(AttestationRefused) as caught:
        parse_claims({"typ": "exchange", "iss": "CN-URC"})
    assert caught.value.code == "attestation_malformed"
    with pytest.raises(AttestationRefused):
        parse_claims({"typ": ATTESTATION_TYPE, "iss": "CN-URC", "sub": "T", "name": "N",
                      "country": "CN", "aeo": "yes", "iat": 1, "exp": 2})  # fmt: skip


def test_a_participant_whose_attestation_expired_must_register_again():
    ctx, _ = _ctx()
    done = register_participant(CN.attest("T1", "One"), ctx)
    later, _ = _ctx(now=NOW + timedelta(days=31))
    later.uow = ctx.uow
    with pytest.raises(AttestationRefused) as caught:
        authenticate(done.api_key, later)
    assert caught.value.code == "attestation_expired"


def test_beside_a_node_whose_clock_runs_behind_only_the_lag_it_is_allowed_is_forgiven():
    """The demo's nodes run on a simulated clock two years back: their attestations are dated
    then. The expo forgives exactly the configured lag (`attestation_lag_seconds`), no more."""
    behind = NOW - timedelta(days=730)
    token = CN.attest("T1", "Behind", issued_at=behind)
    strict, _ = _ctx()
    assert _refused(token, strict) == "attestation_expired"
    lenient, _ = _ctx()
    lenient.attestation_lag = timedelta(days=731)
    done = register_participant(token, lenient)
    assert authenticate(done.api_key, lenient) == done.participant
    short, _ = _ctx()
    short.attestation_lag = timedelta(days=600)  # not enough: long expired even then
    assert _refused(token, short) == "attestation_expired"
