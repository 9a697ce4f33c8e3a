"""A trader asks for a review of a hold and records a bank guarantee's reference; an officer
sees the pending request and answers it. Each lands on the timeline and in the audit chain;
asking twice or answering twice records once. On SQLite and PostgreSQL."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text

from karakoram.bootstrap import Node
from tests.builders import declaration
from tests.integration.conftest import Keys
from tests.integration.test_clearance import EXAMPLES, RATES, RULES, act, goods, load, lodge
from tests.integration.test_web import csrf_of, sign_in

QUESTION = "The seal was replaced by the police at Tashkurgan; their report is attached."


@pytest.fixture
def held(client: TestClient, keys: Keys) -> str:
    load(client, keys, "rates", RATES, "text/csv")
    load(client, keys, "tariff", (EXAMPLES / "tariff-cn-import.toml").read_text())
    load(client, keys, "rules", RULES)
    mrn: str = lodge(client, keys, goods(declaration(), "740311"))["mrn"]
    act(client, keys, mrn, "hold", reason="The seal number differs from the manifest.")
    return mrn


def events(client: TestClient, keys: Keys, mrn: str) -> list[dict[str, Any]]:
    answer = client.get(f"/declarations/{mrn}", headers=keys.trader)
    assert answer.status_code == 200, answer.text
    found: list[dict[str, Any]] = answer.json()["timeline"]
    return found


def audit_kinds(node: Node, mrn: str) -> list[str]:
    with node.engine.connect() as conn:
        rows = conn.execute(
            text("SELECT kind FROM audit_log WHERE subject = :s ORDER BY seq"), {"s": mrn}
        )
        return [r.kind for r in rows]


def test_a_trader_asks_for_a_review_and_an_officer_answers_it(
    client: TestClient, keys: Keys, node: Node, held: str
) -> None:
    url = f"/declarations/{held}/review-requests"
    asked = client.post(url, json={"question": QUESTION}, headers=keys.trader)
    assert asked.status_code == 201, asked.text
    again = client.post(url, json={"question": "again?"}, headers=keys.trader)
    assert (again.status_code, again.json()["id"]) == (200, asked.json()["id"])
    pending = client.get("/review-requests", headers=keys.officer).json()
    assert [(r["mrn"], r["question"]) for r in pending] == [(held, QUESTION)]
    request_id = asked.json()["id"]
    answer = "Seal report accepted; the inspection is booked for 14:00."
    answered = client.post(
        f"/review-requests/{request_id}/answer", json={"answer": answer}, headers=keys.officer
    )
    assert answered.status_code == 200, answered.text
    assert answered.json()["answered_by"] == "officer"
    twice = client.post(
        f"/review-requests/{request_id}/answer", json={"answer": "x"}, headers=keys.officer
    )
    assert twice.status_code == 409
    assert client.get("/review-requests", headers=keys.officer).json() == []
    timeline = [(e["action"], e.get("reason")) for e in events(client, keys, held)]
    assert ("ask_review", QUESTION) in timeline and ("answer_review", answer) in timeline
    kinds = audit_kinds(node, held)
    assert kinds.count("declaration.ask_review") == 1
    assert kinds.count("declaration.answer_review") == 1


def test_only_the_lodging_trader_asks_and_only_officers_answer(
    client: TestClient, keys: Keys, held: str
) -> None:
    url = f"/declarations/{held}/review-requests"
    assert client.post(url, json={"question": QUESTION}, headers=keys.other).status_code == 404
    assert client.post(url, json={"question": QUESTION}, headers=keys.officer).status_code == 403
    empty = client.post(url, json={"question": "  "}, headers=keys.trader)
    assert empty.status_code == 422
    assert [e["pointer"] for e in empty.json()["errors"]] == ["/question"]
    assert client.get("/review-requests", headers=keys.trader).status_code == 403
    assert client.get("/review-requests", headers=keys.officer).json() == []


def test_a_trader_records_a_guarantee_reference_once(
    client: TestClient, keys: Keys, node: Node, held: str
) -> None:
    url = f"/declarations/{held}/guarantee"
    first = client.post(url, json={"reference": "BG-ICBC-2026-0815"}, headers=keys.trader)
    assert first.status_code == 200, first.text
    second = client.post(url, json={"reference": "BG-ICBC-2026-0815"}, headers=keys.trader)
    assert second.json()["version"] == first.json()["version"]
    bad = client.post(url, json={"reference": "BG 1"}, headers=keys.trader)
    assert bad.status_code == 422
    offered = [e for e in events(client, keys, held) if e["action"] == "offer_guarantee"]
    assert [e["reason"] for e in offered] == ["BG-ICBC-2026-0815"]
    assert audit_kinds(node, held).count("declaration.offer_guarantee") == 1


def test_the_traders_home_lists_the_hold_with_its_reason_and_the_officer_answers_in_the_ui(
    client: TestClient, keys: Keys, held: str
) -> None:
    sign_in(client, keys.trader)
    home = client.get("/ui")
    assert home.status_code == 200
    assert held in home.text and "The seal number differs from the manifest." in home.text
    assert "RED-COPPER" not in home.text  # never the rule behind the channel
    detail = client.get(f"/ui/my-declarations/{held}").text
    assert "Your next step" in detail and 'class="ask-review"' in detail
    asked = client.post(
        f"/ui/my-declarations/{held}/review",
        data={"csrf": csrf_of(home), "question": QUESTION},
        follow_redirects=False,
    )
    assert asked.status_code == 303
    assert "an officer will answer it" in client.get("/ui?done=review").text
    detail = client.get(f"/ui/my-declarations/{held}").text
    assert "Your next step" in detail and "You asked for a review" in detail
    client.post("/ui/sign-out", data={"csrf": csrf_of(client.get("/ui"))})
    sign_in(client, keys.officer)
    page = client.get("/ui/reviews")
    assert page.status_code == 200 and QUESTION in page.text
    request_id = client.get("/review-requests", headers=keys.officer).json()[0]["id"]
    answered = client.post(
        f"/ui/reviews/{request_id}/answer",
        data={"csrf": csrf_of(page), "answer": "Booked for 14:00."},
        follow_redirects=False,
    )
    assert answered.status_code == 303
    assert QUESTION not in client.get("/ui/reviews?answered=1").text
