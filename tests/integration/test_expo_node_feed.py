"""The expo's inbox for the customs nodes, on SQLite and PostgreSQL (issue 18): signed trade
summaries and tariff versions are checked as the exchange checks them, recorded once with the
expo's signed receipt, and feed the matchmaking score; everything else is refused and changes
nothing."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from karakoram.adapters.exchange.signing import digest
from karakoram.domain.exchange.bodies import ControlResult, KeyRevoked
from karakoram.domain.exchange.expo_bodies import TariffPublished, TradeSummary
from karakoram.expo.adapters import tables as t
from karakoram.expo.adapters.crypto import verify_receipt
from karakoram.expo.bootstrap import Expo
from karakoram.expo.entrypoints.api import create_expo_app
from karakoram.expo.services.matching import market_inputs
from tests.expo_support import CN, NOW, PK, delivery, expo_engine, make_expo, node_message


@pytest.fixture(params=["sqlite", "postgresql"])
def expo(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Expo]:
    for engine in expo_engine(request.param, tmp_path):
        yield make_expo(engine)


@pytest.fixture
def client(expo: Expo) -> TestClient:
    return TestClient(create_expo_app(expo.ctx))


def summary(month: str, value: str, *, traders_ok: bool = True) -> TradeSummary:
    cell = {"chapter": "85", "origin": "CN", "destination": "PK"}
    cell |= {"declarations": 14, "value": value} if traders_ok else {"suppressed": True}
    return TradeSummary(month, "PKR", (cell,), 3, NOW.isoformat())


TARIFF = TariffPublished(
    "3",
    "Pakistan import tariff",
    (
        {"hs_prefix": "", "mfn": "20", "preferential": {}},
        {"hs_prefix": "85", "mfn": "20", "preferential": {"CPFTA": "12"}},
        {"hs_prefix": "8528", "mfn": "20", "preferential": {}},
    ),
    {"CPFTA": ["CN"]},
    NOW.isoformat(),
)


def send(client: TestClient, node, tokens: list[str], **proof) -> list[dict]:
    answer = client.post(
        "/exchange/batch",
        json={
            "delivery": delivery(node, tokens, sent_at=proof.pop("sent_at", NOW)),
            "messages": tokens,
        },
    )
    assert answer.status_code == 200, answer.text
    return answer.json()["results"]


def rows(expo: Expo, table) -> int:
    with expo.engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(table)).scalar_one()


def test_summaries_and_a_tariff_feed_the_score_with_signed_receipts(expo, client):
    tokens = [
        node_message(PK, summary("2025-10", "1000.00"), at=NOW),
        node_message(PK, summary("2026-10", "1400.00"), at=NOW),
        node_message(PK, TARIFF, at=NOW),
    ]
    results = send(client, PK, tokens)
    key = client.get("/receipt-key").json()
    for token, result in zip(tokens, results, strict=True):
        receipt = verify_receipt(result["receipt"], key)
        assert receipt["receiver"] == "EXPO" and receipt["digest"] == digest(token)
        assert not result["duplicate"]
    inputs = market_inputs(expo.ctx)
    assert inputs.preference("CN", "PK", "851713").points == 8  # type: ignore[union-attr]
    assert inputs.preference("CN", "PK", "852872").points == 0  # type: ignore[union-attr]
    assert inputs.preference("PK", "CN", "851713") is None
    (trend,) = inputs.trends
    assert (trend.origin, trend.destination, trend.chapter, trend.growth_pct) == (
        "CN", "PK", "85", 40.0,
    )  # fmt: skip


def test_the_same_message_again_gets_its_first_receipt_and_changes_nothing(expo, client):
    token = node_message(PK, summary("2026-10", "1400.00"), at=NOW)
    (first,) = send(client, PK, [token])
    (again,) = send(client, PK, [token])
    assert again == {"receipt": first["receipt"], "duplicate": True}
    assert rows(expo, t.node_inbox) == 1 and rows(expo, t.node_summaries) == 1


def test_a_newer_summary_of_a_month_replaces_the_older_and_a_late_older_one_does_not(expo, client):
    old = node_message(PK, summary("2026-10", "900.00"), at=NOW - timedelta(hours=2))
    new = node_message(PK, summary("2026-10", "1400.00"), at=NOW - timedelta(hours=1))
    send(client, PK, [new])
    send(client, PK, [old])  # arrives late: kept in the inbox, not applied over the newer
    with expo.engine.connect() as conn:
        (cells,) = conn.execute(select(t.node_summaries.c.cells)).one()
    assert cells[0]["value"] == "1400.00" and rows(expo, t.node_inbox) == 2


def test_forged_unsigned_foreign_and_misaddressed_messages_are_refused_and_change_nothing(
    expo, client
):
    good = node_message(PK, TARIFF, at=NOW)
    header, _, signature = good.split(".")
    other_payload = node_message(PK, summary("2026-10", "1.00"), at=NOW).split(".")[1]
    forged = f"{header}.{other_payload}.{signature}"
    unsigned = '{"id": "x", "type": "tariff_published", "sender": "PK-GB"}'
    as_cn = node_message(CN, TARIFF, at=NOW, signed_by=PK)  # says CN-URC, signed with PK's key
    elsewhere = node_message(PK, TARIFF, at=NOW, recipient="CN-URC")
    results = send(client, PK, [forged, unsigned, as_cn, elsewhere])
    assert [r["refused"] for r in results] == [
        "bad_signature", "malformed", "not_in_delivery", "wrong_recipient",
    ]  # fmt: skip
    # CN's own delivery of a message CN signed with PK's key: its key is not PK's
    (wrong_key,) = send(client, CN, [as_cn])
    assert wrong_key["refused"] == "unknown_key"
    assert rows(expo, t.node_inbox) == 0 and rows(expo, t.node_tariffs) == 0


def test_an_administrations_message_is_not_taken(expo, client):
    control = ControlResult("physical", "clean", {}, NOW.isoformat(), ("T1", "T2"))
    (result,) = send(client, CN, [node_message(CN, control, at=NOW)])
    assert result["refused"] == "not_shared" and rows(expo, t.node_inbox) == 0


def test_a_stale_or_unproven_delivery_is_refused_whole(expo, client):
    token = node_message(PK, TARIFF, at=NOW)
    stale = client.post(
        "/exchange/batch",
        json={
            "delivery": delivery(PK, [token], sent_at=NOW - timedelta(hours=1)),
            "messages": [token],
        },
    )
    assert stale.status_code >= 400 and stale.json()["code"] == "delivery_stale"
    bare = client.post("/exchange/batch", json={"messages": [token]})
    assert bare.json()["code"] == "delivery_missing"
    assert rows(expo, t.node_inbox) == 0


def test_a_node_ends_its_key_at_the_expo(expo, client):
    (done,) = send(client, PK, [node_message(PK, KeyRevoked(PK.kid, NOW.isoformat()), at=NOW)])
    assert "receipt" in done
    later = node_message(PK, TARIFF, at=NOW + timedelta(minutes=1))
    answer = client.post(
        "/exchange/batch",
        json={
            "delivery": delivery(PK, [later], sent_at=NOW + timedelta(minutes=1)),
            "messages": [later],
        },
    )
    assert answer.json()["code"] == "delivery_key_not_valid"
