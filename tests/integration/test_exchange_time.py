"""Issue 14, the exchange's time scheme: each delivery attempt is windowed (its relay-signed
`sent_at` within minutes of the receiver's clock), a message's signed `created_at` never is.

Held-back messages are accepted late; a captured request replayed later, or a delivery from a
skewed clock or with a key not valid at `sent_at`, is refused whole with a stable code,
recorded, and changes nothing."""

from __future__ import annotations

import contextlib
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from karakoram.adapters.db.tables import inbox, partner_records, refusals
from karakoram.adapters.exchange.signing import Signer, new_key, public_jwk
from karakoram.services import declarations as handlers
from karakoram.services.exchange import partners
from karakoram.services.records import PartnerKey
from tests.builders import declaration
from tests.conftest import _postgres_engine
from tests.integration.test_exchange import (
    TRADER_CN,
    _pair,
    count,
    envelope,
    proof,
    relay_until_done,
    send,
)


@pytest.fixture
def pair(tmp_path, empty_engine):
    with contextlib.ExitStack() as stack:
        other = None
        if empty_engine.dialect.name == "postgresql":
            other = stack.enter_context(contextlib.contextmanager(_postgres_engine)())
        yield from _pair(tmp_path, empty_engine, other)


def batch(apps, tokens, delivery):
    body = {"messages": tokens} if delivery is None else {"messages": tokens, "delivery": delivery}
    return apps.apps["pk-gb"].post("/exchange/batch", json=body)


def refusal_codes(node):
    with node.engine.connect() as conn:
        return [r.code for r in conn.execute(select(refusals.c.code))]


def test_a_message_held_back_by_a_long_outage_is_accepted_when_it_arrives(pair):
    cn, pk, apps, _ = pair
    real = cn.ctx.clock
    cn.ctx.clock = lambda: real() - timedelta(days=90)  # lodged and signed 90 days ago
    handlers.lodge_declaration(declaration("OLD-1"), TRADER_CN, cn.ctx)
    cn.ctx.clock = real
    relay_until_done(cn, apps)  # delivered today, with today's sent_at
    with pk.ctx.uow() as uow:
        (held,) = uow.exchange.partner_records("UCR-OLD-1")
    assert held.created_at < datetime.now(UTC) - timedelta(days=89)
    assert count(pk, inbox) == 1 and refusal_codes(pk) == []


def test_a_captured_batch_replayed_later_is_refused_as_stale(pair):
    _cn, pk, apps, cn_key = pair
    token = Signer(cn_key, "CN-URC-2026").sign(envelope())
    delivery = proof(cn_key, [token])
    first = batch(apps, [token], delivery)
    assert first.status_code == 200 and "receipt" in first.json()["results"][0]
    real = pk.ctx.clock
    pk.ctx.clock = lambda: real() + timedelta(minutes=10)  # the same request, ten minutes on
    replayed = batch(apps, [token], delivery)
    assert replayed.status_code == 403
    assert replayed.headers["content-type"] == "application/problem+json"
    assert replayed.json()["code"] == "delivery_stale"
    assert refusal_codes(pk) == ["delivery_stale"]  # authenticated: recorded
    # the sender's relay, signing afresh, still gets the first receipt of the duplicate
    again = batch(apps, [token], proof(cn_key, [token], at=pk.ctx.clock()))
    assert again.json()["results"][0]["receipt"] == first.json()["results"][0]["receipt"]
    assert again.json()["results"][0]["duplicate"] is True
    assert count(pk, inbox) == count(pk, partner_records) == 1


@pytest.mark.parametrize("skew", [timedelta(minutes=6), timedelta(minutes=-6)])
def test_a_delivery_from_a_clock_off_by_more_than_five_minutes_is_refused(pair, skew):
    _cn, pk, apps, cn_key = pair
    token = Signer(cn_key, "CN-URC-2026").sign(envelope())
    answer = send(apps, token, proof(cn_key, [token], at=datetime.now(UTC) + skew))
    assert (answer.status_code, answer.json()["code"]) == (403, "delivery_stale")
    assert "clock" in answer.json()["detail"]
    ok = send(apps, token, proof(cn_key, [token], at=datetime.now(UTC) + skew / 2))
    assert ok.status_code == 200  # within the window: accepted
    assert count(pk, inbox) == 1


def test_a_delivery_signed_with_a_revoked_key_is_refused_at_once(pair):
    _cn, pk, apps, cn_key = pair
    token = Signer(cn_key, "CN-URC-2026").sign(envelope())
    partners.revoke_key(pk.ctx, "CN-URC", "CN-URC-2026")
    answer = send(apps, token, proof(cn_key, [token]))
    assert (answer.status_code, answer.json()["code"]) == (403, "delivery_key_not_valid")
    assert count(pk, inbox) == 0


def test_a_delivery_signed_with_an_expired_key_is_refused(pair):
    _cn, pk, apps, cn_key = pair
    token = Signer(cn_key, "CN-URC-2026").sign(envelope())
    with pk.ctx.uow() as uow:
        uow.exchange.end_keys("CN-URC", datetime.now(UTC) - timedelta(hours=1), keep="none")
        uow.commit()
    answer = send(apps, token, proof(cn_key, [token]))
    assert (answer.status_code, answer.json()["code"]) == (403, "delivery_key_not_valid")
    assert count(pk, inbox) == 0


def _rotate(pk):
    """CN-URC's new key, registered at PK-GB beside the old one."""
    key = new_key("CN-URC-2027")
    with pk.ctx.uow() as uow:
        since = datetime.now(UTC) - timedelta(days=1)
        uow.exchange.add_key("CN-URC", PartnerKey("CN-URC-2027", public_jwk(key), since, None))
        uow.commit()
    return key


def test_a_message_signed_with_a_revoked_key_is_refused_whatever_its_date(pair):
    _cn, pk, apps, cn_key = pair
    new = _rotate(pk)
    revoked = partners.revoke_key(pk.ctx, "CN-URC", "CN-URC-2026")
    back_dated = envelope(created_at=(revoked - timedelta(days=2)).isoformat())
    token = Signer(cn_key, "CN-URC-2026").sign(back_dated)
    answer = send(apps, token, proof(new, [token], kid="CN-URC-2027"))  # a valid delivery
    assert (answer.status_code, answer.json()["code"]) == (403, "key_revoked")
    assert count(pk, inbox) == 0


def test_an_old_message_of_a_key_valid_then_is_accepted_under_todays_delivery(pair):
    _cn, pk, apps, cn_key = pair
    new = _rotate(pk)
    with pk.ctx.uow() as uow:  # the old key's validity ended yesterday
        uow.exchange.end_keys("CN-URC", datetime.now(UTC) - timedelta(days=1), keep="CN-URC-2027")
        uow.commit()
    old = (datetime.now(UTC) - timedelta(days=40)).isoformat()
    token = Signer(cn_key, "CN-URC-2026").sign(envelope(created_at=old))
    answer = send(apps, token, proof(new, [token], kid="CN-URC-2027"))
    assert answer.status_code == 200, answer.text
    # and that old key no longer proves a delivery
    other = Signer(cn_key, "CN-URC-2026").sign(envelope(id="0192f000-0000-7000-8000-00000000000f"))
    answer = send(apps, other, proof(cn_key, [other]))
    assert answer.json()["code"] == "delivery_key_not_valid"
    assert count(pk, inbox) == 1


def test_a_request_without_a_delivery_proof_is_refused_and_changes_nothing(pair):
    _cn, pk, apps, cn_key = pair
    token = Signer(cn_key, "CN-URC-2026").sign(envelope())
    for answer in (send(apps, token), batch(apps, [token], None)):
        assert answer.status_code == 403
        assert answer.headers["content-type"] == "application/problem+json"
        assert answer.json()["code"] == "delivery_missing"
        assert "X-Karakoram-Delivery" in answer.json()["detail"]
    answer = send(apps, token, "not-a-jws")
    assert (answer.status_code, answer.json()["code"]) == (400, "delivery_malformed")
    answer = send(apps, token, Signer(cn_key, "CN-URC-2026").sign(envelope()))  # a message
    assert (answer.status_code, answer.json()["code"]) == (400, "delivery_malformed")
    assert count(pk, inbox) == 0


def test_a_message_the_delivery_does_not_list_is_refused(pair):
    _cn, pk, apps, cn_key = pair
    signer = Signer(cn_key, "CN-URC-2026")
    listed = signer.sign(envelope())
    slipped = signer.sign(envelope(id="0192f000-0000-7000-8000-00000000000e"))
    answer = batch(apps, [listed, slipped], proof(cn_key, [listed]))
    results = answer.json()["results"]
    assert "receipt" in results[0] and results[1]["refused"] == "not_in_delivery"
    assert count(pk, inbox) == 1


def test_a_delivery_for_another_node_is_refused(pair):
    _cn, pk, apps, cn_key = pair
    token = Signer(cn_key, "CN-URC-2026").sign(envelope())
    answer = send(apps, token, proof(cn_key, [token], recipient="AF-KBL"))
    assert (answer.status_code, answer.json()["code"]) == (403, "wrong_recipient")
    assert count(pk, inbox) == 0


def test_revoking_our_own_key_ends_it_at_the_partner_at_once(pair):
    cn, pk, apps, cn_key = pair
    retired = new_key("CN-URC-2025")  # an older key of ours, still valid at PK-GB
    with pk.ctx.uow() as uow:
        old = PartnerKey(
            "CN-URC-2025", public_jwk(retired), datetime.now(UTC) - timedelta(days=400), None
        )
        uow.exchange.add_key("CN-URC", old)
        uow.commit()
    stolen = Signer(retired, "CN-URC-2025").sign(envelope())
    assert partners.revoke_own_key(cn.ctx, "CN-URC-2025") == ["PK-GB"]
    relay_until_done(cn, apps)  # the signed key_revoked message, delivered and receipted
    with pk.ctx.uow() as uow:
        (ended,) = [k for k in uow.exchange.keys("CN-URC") if k.kid == "CN-URC-2025"]
    assert ended.revoked_at is not None and ended.revoked_at <= datetime.now(UTC)
    answer = send(apps, stolen, proof(cn_key, [stolen]))  # even inside a valid delivery
    assert (answer.status_code, answer.json()["code"]) == (403, "key_revoked")
    assert count(pk, inbox) == 1  # the revocation message alone


def test_a_revocation_of_a_key_the_partner_does_not_hold_changes_nothing(pair):
    cn, pk, apps, _ = pair
    partners.revoke_own_key(cn.ctx, "CN-URC-1999")  # no such key at PK-GB: nothing ends
    relay_until_done(cn, apps)
    with pk.ctx.uow() as uow:
        assert [k.revoked_at for k in uow.exchange.keys("CN-URC")] == [None]
