"""Issue 14, exchange: bounded reads, junk counted not stored, first receipts whatever the age,
conflicting ids refused and recorded, unknown `crit` extensions named, keys revoked at once."""

from __future__ import annotations

import asyncio
import base64
import contextlib
import json
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from karakoram.adapters.db.exchange_repo import refusal_counts
from karakoram.adapters.db.tables import inbox, refusals
from karakoram.adapters.exchange.signing import Signer, new_key
from karakoram.domain.access import Principal, Role
from karakoram.domain.exchange.envelope import MAX_MESSAGE_BYTES, Refused
from karakoram.entrypoints.http.app import create_app
from karakoram.services.exchange import partners
from karakoram.services.exchange.receive import SAMPLE_PER_HOUR, receive_many
from tests.conftest import _postgres_engine
from tests.integration.test_exchange import _pair, count, envelope, proof, send

BOSS = Principal(0, "test", Role.SUPERVISOR)


@pytest.fixture
def pair(tmp_path, empty_engine):
    with contextlib.ExitStack() as stack:
        other = None
        if empty_engine.dialect.name == "postgresql":
            other = stack.enter_context(contextlib.contextmanager(_postgres_engine)())
        yield from _pair(tmp_path, empty_engine, other)


@pytest.fixture
def now():
    """The time of the test itself: a clock read at import would drift out of the window
    while earlier files run."""
    return datetime.now(UTC)


def receive(pk, tokens, at, key):
    """`tokens` delivered at `at`, with CN-URC's relay's proof signed by `key` at that time."""
    return receive_many(tokens, proof(key, tokens, at), pk.ctx.exchange, pk.ctx.uow, lambda: at)


def test_a_known_message_gets_its_first_receipt_whatever_its_age(pair, now):
    _cn, pk, _apps, cn_key = pair
    token = Signer(cn_key, "CN-URC-2026").sign(envelope())
    (first,) = receive(pk, [token], now, cn_key)
    assert not isinstance(first, Refused), first
    (again,) = receive(pk, [token], now + timedelta(days=45), cn_key)  # delivered anew, later
    assert not isinstance(again, Refused), again
    assert (again.receipt, again.duplicate) == (first.receipt, True)
    assert count(pk, inbox) == 1 and count(pk, refusals) == 0


def test_the_same_id_with_other_signed_content_is_a_conflict_recorded(pair, now):
    _cn, pk, apps, cn_key = pair
    signer = Signer(cn_key, "CN-URC-2026")
    receive(pk, [signer.sign(envelope())], now, cn_key)
    other = signer.sign(envelope(references={"ucr": "U-OTHER"}))
    answer = send(apps, other, proof(cn_key, [other]))
    assert answer.status_code == 409
    assert answer.json()["code"] == "conflict"
    with pk.engine.connect() as conn:
        codes = conn.execute(select(refusals.c.code, refusals.c.sender)).all()
    assert [tuple(r) for r in codes] == [("conflict", "CN-URC")]
    with pk.ctx.uow() as uow:
        (held,) = uow.exchange.partner_records("U-1")  # the first content stands
    assert count(pk, inbox) == 1 and held.ucr == "U-1"


def _sign_with_crit(key, payload: dict) -> str:
    def b64(data: bytes) -> str:
        return base64.urlsafe_b64encode(data).rstrip(b"=").decode()

    header = {"alg": "Ed25519", "kid": "CN-URC-2026", "crit": ["exp"], "exp": 1}
    signing_input = f"{b64(json.dumps(header).encode())}.{b64(json.dumps(payload).encode())}"
    signature = key.private_key.sign(signing_input.encode())
    return f"{signing_input}.{b64(signature)}"


def test_an_unknown_crit_extension_has_its_own_refusal_code(pair, now):
    _cn, pk, _apps, cn_key = pair
    (outcome,) = receive(pk, [_sign_with_crit(cn_key, envelope())], now, cn_key)
    assert isinstance(outcome, Refused) and outcome.code == "unsupported_critical"
    assert count(pk, inbox) == 0


def test_junk_is_counted_and_only_sampled_into_refusals(pair, now):
    _cn, pk, _apps, cn_key = pair
    junk = [f"not.a-jws-{k}" for k in range(60)]
    forged = [Signer(new_key("CN-URC-2026"), "CN-URC-2026").sign(envelope()) for _ in range(10)]
    outcomes = receive(pk, junk + forged, now, cn_key)
    assert [o.code for o in outcomes] == ["malformed"] * 60 + ["bad_signature"] * 10
    assert count(pk, refusals) == 2 * SAMPLE_PER_HOUR  # a sample of each reason, not 70 rows
    found = partners.refusals(BOSS, pk.ctx, now - timedelta(hours=1), 100)
    assert found.counts == [("malformed", "", 60), ("bad_signature", "CN-URC", 10)]
    with pk.engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(refusal_counts)).scalar_one() == 2


def test_a_revoked_key_refuses_even_a_back_dated_message_at_once(pair):
    _cn, pk, _apps, cn_key = pair
    signer = Signer(cn_key, "CN-URC-2026")
    revoked = partners.revoke_key(pk.ctx, "CN-URC", "CN-URC-2026")
    back_dated = envelope(created_at=(revoked - timedelta(days=2)).isoformat())
    # the same key signs the delivery: the whole request is refused (a message signed with a
    # revoked key under a valid delivery key: test_exchange_time.py)
    with pytest.raises(Refused) as refused:
        receive(pk, [signer.sign(back_dated)], revoked + timedelta(seconds=1), cn_key)
    assert refused.value.code == "delivery_key_not_valid"
    assert count(pk, inbox) == 0
    with pytest.raises(Exception, match="no key"):
        partners.revoke_key(pk.ctx, "CN-URC", "no-such-key")


def _post_chunks(app, path: str, chunks: int, size: int, headers=()) -> tuple[int, int]:
    """POST `chunks` chunks of `size` bytes straight into the ASGI app; the status and how
    many chunks the app read before answering."""
    read = [0]
    status = [0]

    async def receive():
        read[0] += 1
        more = read[0] < chunks
        return {"type": "http.request", "body": b"x" * size, "more_body": more}

    async def send(message):
        if message["type"] == "http.response.start":
            status[0] = message["status"]

    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "headers": [(b"content-type", b"application/jose"), *headers],
        "client": ("127.0.0.1", 1),
        "server": ("testserver", 80),
    }
    asyncio.run(app(scope, receive, send))
    return status[0], read[0]


@pytest.mark.parametrize(
    ("path", "limit"),
    [
        ("/exchange/messages", MAX_MESSAGE_BYTES),
        ("/exchange/held", 16_384),
        ("/exchange/batch", 8_000_000),
    ],
)
def test_the_inbox_stops_reading_at_its_limit(pair, path, limit):
    _cn, pk, _apps, _ = pair
    app = create_app(pk)
    size = 65_536
    status, read = _post_chunks(app, path, chunks=3200, size=size)  # 200 MB offered
    assert status == 413
    assert read <= limit // size + 2  # it stopped just past the limit
    declared = [(b"content-length", str(200_000_000).encode())]
    status, read = _post_chunks(app, path, chunks=3200, size=size, headers=declared)
    assert (status, read) == (413, 0)  # a declared size over the limit: nothing read


def test_a_batch_is_bounded_in_items(pair):
    _cn, _pk, apps, cn_key = pair
    client = apps.apps["pk-gb"]
    answer = client.post("/exchange/batch", json={"messages": ["x"] * 201})
    assert answer.status_code == 400 and answer.json()["code"] == "malformed"
    junk = ["not.a-jws"] * 3
    answer = client.post(
        "/exchange/batch", json={"messages": junk, "delivery": proof(cn_key, junk)}
    )
    assert [r["refused"] for r in answer.json()["results"]] == ["malformed"] * 3
