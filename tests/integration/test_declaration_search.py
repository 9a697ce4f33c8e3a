"""An officer's search over declarations (GET /declarations filters), on SQLite and PostgreSQL."""

from __future__ import annotations

from sqlalchemy import inspect

from karakoram.adapters.db.migrate import downgrade, upgrade
from tests.builders import declaration
from tests.integration.test_clearance import policy  # noqa: F401  (a fixture)


def _lodge(client, keys, lrn: str, registration: str) -> dict:
    body = declaration(lrn, transport={"registration": registration, "nationality": "CN"})
    answer = client.post("/declarations", json=body, headers=keys.trader)
    assert answer.status_code == 201, answer.text
    return answer.json()


def _found(client, headers, **params) -> list[str]:
    answer = client.get("/declarations", params=params, headers=headers)
    assert answer.status_code == 200, answer.text
    return [d["declaration"]["lrn"] for d in answer.json()["items"]]


def test_an_officer_finds_declarations_by_each_reference(client, keys):
    first = _lodge(client, keys, "S-1", "新Q-A1234")
    _lodge(client, keys, "S-2", "XJ-B 777")
    officer = keys.officer
    assert _found(client, officer, mrn=first["mrn"]) == ["S-1"]
    assert _found(client, officer, ucr="UCR-S-2") == ["S-2"]
    assert _found(client, officer, lrn="S-2") == ["S-2"]
    # the plate as a person types it: spaces, dashes and case do not matter
    assert _found(client, officer, vehicle="新q a1234") == ["S-1"]
    assert _found(client, officer, vehicle="xjb777") == ["S-2"]
    assert _found(client, officer, vehicle="XJ-B-778") == []
    both = _found(client, officer, hs_prefix="8471", type="EX")
    assert both == ["S-1", "S-2"]
    assert _found(client, officer, ucr="UCR-S-2", lrn="S-1") == []


def test_search_by_channel_and_a_trader_finds_only_its_own(client, keys, policy):  # noqa: F811
    made = _lodge(client, keys, "S-3", "XJ-C1")
    channel = made["channel"]
    assert channel in ("green", "blue", "yellow", "red")
    assert _found(client, keys.officer, channel=channel) == ["S-3"]
    other = next(c for c in ("green", "red") if c != channel)
    assert _found(client, keys.officer, channel=other) == []
    assert _found(client, keys.other, lrn="S-3") == []
    assert _found(client, keys.other, vehicle="XJ-C1") == []


def test_bad_search_parameters_are_refused_clearly(client, keys):
    for params in ({"channel": "purple"}, {"vehicle": "x" * 36}, {"mrn": "M" * 19}):
        answer = client.get("/declarations", params=params, headers=keys.officer)
        assert answer.status_code == 422, params
        assert answer.headers["content-type"].startswith("application/problem+json")


def test_the_migration_fills_the_vehicle_of_declarations_stored_before_it(client, keys, node):
    _lodge(client, keys, "S-4", "xj-d 42")
    downgrade(node.engine, "0022")  # the declarations table as it was before 0023
    with node.engine.connect() as conn:
        assert "vehicle" not in {c["name"] for c in inspect(conn).get_columns("declarations")}
    upgrade(node.engine)
    assert _found(client, keys.officer, vehicle="XJD42") == ["S-4"]


def test_newest_first_pages_backwards_without_gaps_or_repeats(client, keys):
    for n in range(5):
        _lodge(client, keys, f"N-{n}", "XJ-N1")
    seen, cursor = [], None
    while True:
        params = {"order": "newest", "limit": 2} | ({"cursor": cursor} if cursor else {})
        page = client.get("/declarations", params=params, headers=keys.trader).json()
        seen += [d["declaration"]["lrn"] for d in page["items"]]
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert seen == ["N-4", "N-3", "N-2", "N-1", "N-0"]
    assert _found(client, keys.officer, vehicle="XJN1", order="newest")[0] == "N-4"
