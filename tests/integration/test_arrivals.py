"""Recording trucks arriving at the border, on SQLite and PostgreSQL."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select

from karakoram.adapters.db.tables import arrivals


def test_arrival_is_recorded_once_and_the_same_ucr_again_answers_the_first(client, keys, node):
    first = client.post("/arrivals", json={"ucr": "UCR-ARR-1"}, headers=keys.officer)
    assert first.status_code == 201
    body = first.json()
    assert (body["ucr"], body["office"], body["recorded_by"]) == ("UCR-ARR-1", "CNKJB", "officer")
    again = client.post(
        "/arrivals",
        json={"ucr": "UCR-ARR-1", "at": "2020-01-01T00:00:00Z"},
        headers=keys.officer,
    )
    assert again.status_code == 200 and again.json() == body
    with node.engine.connect() as conn:
        assert conn.scalar(select(func.count()).select_from(arrivals)) == 1


def test_arrival_takes_an_office_and_a_time(client, keys):
    at = (datetime.now(UTC) - timedelta(hours=3)).replace(microsecond=0)
    made = client.post(
        "/arrivals",
        json={"ucr": "UCR-ARR-2", "office": "CNKSG", "at": at.isoformat()},
        headers=keys.officer,
    )
    assert made.status_code == 201
    assert made.json()["office"] == "CNKSG"
    assert datetime.fromisoformat(made.json()["at"]) == at


def test_arrival_refuses_unknown_office_future_time_and_missing_ucr(client, keys):
    future = (datetime.now(UTC) + timedelta(hours=2)).isoformat()
    refused = client.post(
        "/arrivals", json={"ucr": " ", "office": "XXX", "at": future}, headers=keys.officer
    )
    assert refused.status_code == 422
    pointers = {e["pointer"] for e in refused.json()["errors"]}
    assert pointers == {"/ucr", "/office", "/at"}


def test_only_officers_record_arrivals(client, keys):
    assert client.post("/arrivals", json={"ucr": "U"}, headers=keys.trader).status_code == 403
    assert client.post("/arrivals", json={"ucr": "U"}, headers=keys.analyst).status_code == 403


def test_concurrent_arrivals_of_one_ucr_store_one_row(client, keys, node):
    def post(_: int) -> int:
        response = client.post("/arrivals", json={"ucr": "UCR-RACE"}, headers=keys.officer)
        return response.status_code

    with ThreadPoolExecutor(4) as pool:
        codes = sorted(pool.map(post, range(8)))
    assert codes.count(201) == 1 and set(codes) <= {200, 201}
    with node.engine.connect() as conn:
        assert conn.scalar(select(func.count()).select_from(arrivals)) == 1
