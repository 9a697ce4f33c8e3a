"""The HTTP API as a client meets it, on each database."""

from __future__ import annotations

from tests.builders import OTHER_TRADER, bend, declaration

PROBLEM = "application/problem+json"


def lodge(client, keys, doc=None):
    return client.post("/declarations", json=doc or declaration(), headers=keys.trader)


def test_lodging_returns_201_with_mrn_location_and_etag(client, keys):
    response = lodge(client, keys)
    assert response.status_code == 201
    body = response.json()
    assert len(body["mrn"]) == 18 and body["status"] == "accepted"
    assert response.headers["location"] == f"/declarations/{body['mrn']}"
    assert response.headers["etag"] == '"1"'
    assert body["declaration"]["items"][0]["hs_code"] == "847130"


def test_resubmitting_the_same_body_returns_the_original(client, keys):
    first = lodge(client, keys).json()
    again = lodge(client, keys)
    assert again.status_code == 200
    assert again.json()["mrn"] == first["mrn"]
    listed = client.get("/declarations", headers=keys.officer).json()["items"]
    assert [d["mrn"] for d in listed] == [first["mrn"]]


def test_same_lrn_with_another_body_is_409_naming_the_mrn(client, keys):
    first = lodge(client, keys).json()
    response = lodge(client, keys, bend(declaration(), "/incoterm", "FCA"))
    assert response.status_code == 409
    assert response.headers["content-type"] == PROBLEM
    problem = response.json()
    assert problem["mrn"] == first["mrn"]
    assert "LRN-1" in problem["detail"]


def test_invalid_declaration_is_422_problem_listing_every_error(client, keys):
    doc = bend(bend(declaration(), "/items/0/hs_code", "999911"), "/items/1/origin", "XX")
    response = lodge(client, keys, doc)
    assert response.status_code == 422
    assert response.headers["content-type"] == PROBLEM
    problem = response.json()
    assert problem["status"] == 422 and problem["type"].startswith("urn:karakoram:problem:")
    assert {(e["code"], e["pointer"]) for e in problem["errors"]} == {
        ("unknown_hs_code", "/items/0/hs_code"),
        ("unknown_country", "/items/1/origin"),
    }
    assert client.get("/declarations", headers=keys.officer).json()["items"] == []


def test_malformed_json_is_422_invalid_json(client, keys):
    response = client.post("/declarations", content=b"{nope", headers=keys.trader)
    assert response.status_code == 422
    assert response.json()["errors"][0]["code"] == "invalid_json"


def test_requests_without_a_valid_key_are_401(client, keys):
    assert client.get("/declarations").status_code == 401
    bad = {"Authorization": "Bearer kk_000000000000_nope"}
    response = client.get("/declarations", headers=bad)
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == "Bearer"


def test_another_traders_mrn_is_404_not_403(client, keys):
    mrn = lodge(client, keys).json()["mrn"]
    assert client.get(f"/declarations/{mrn}", headers=keys.other).status_code == 404
    assert client.get("/declarations/26CNNOSUCHTHING0E0", headers=keys.other).status_code == 404
    assert client.get(f"/declarations/{mrn}", headers=keys.importer).status_code == 200
    assert client.get(f"/declarations/{mrn}", headers=keys.officer).status_code == 200
    assert client.get("/declarations", headers=keys.other).json()["items"] == []


def test_a_partner_node_cannot_list_declarations(client, keys):
    assert client.get("/declarations", headers=keys.partner).status_code == 403


def test_get_shows_the_timeline(client, keys):
    mrn = lodge(client, keys).json()["mrn"]
    body = client.get(f"/declarations/{mrn}", headers=keys.trader).json()
    assert [(e["action"], e["to_state"]) for e in body["timeline"]] == [
        ("lodge", "lodged"),
        ("accept", "accepted"),
    ]
    assert body["timeline"][0]["actor"] == "kashgar"


def test_list_filters_and_cursor_pagination(client, keys):
    for n in range(4):
        lodge(client, keys, declaration(f"A{n}"))
    lodge(
        client,
        keys,
        bend(
            bend(declaration("COPPER"), "/items/0/hs_code", "740311"), "/items/1/hs_code", "740311"
        ),
    )
    other = declaration("T1", declarant=OTHER_TRADER)
    client.post("/declarations", json=other, headers=keys.other)
    page = client.get("/declarations?limit=2", headers=keys.trader).json()
    seen = [d["declaration"]["lrn"] for d in page["items"]]
    while page["next_cursor"]:
        page = client.get(
            f"/declarations?limit=2&cursor={page['next_cursor']}", headers=keys.trader
        ).json()
        seen += [d["declaration"]["lrn"] for d in page["items"]]
    assert seen == ["A0", "A1", "A2", "A3", "COPPER"]
    copper = client.get("/declarations?hs_prefix=7403", headers=keys.officer).json()["items"]
    assert [d["declaration"]["lrn"] for d in copper] == ["COPPER"]
    by_trader = client.get(f"/declarations?trader={OTHER_TRADER}", headers=keys.officer)
    assert [d["declaration"]["lrn"] for d in by_trader.json()["items"]] == ["T1"]
    assert client.get("/declarations?status=cancelled", headers=keys.officer).json()["items"] == []
    future = client.get("/declarations?lodged_from=2999-01-01T00:00:00Z", headers=keys.officer)
    assert future.json()["items"] == []


def test_bad_query_parameters_are_422_with_pointers(client, keys):
    response = client.get("/declarations?limit=0&type=XX", headers=keys.officer)
    assert response.status_code == 422
    assert {e["pointer"] for e in response.json()["errors"]} == {"/query/limit", "/query/type"}


def test_amend_then_cancel_then_no_more_changes(client, keys):
    mrn = lodge(client, keys).json()["mrn"]
    amended = client.put(
        f"/declarations/{mrn}",
        json=bend(declaration(), "/incoterm", "FCA"),
        headers=keys.trader | {"If-Match": '"1"'},
    )
    assert amended.status_code == 200 and amended.json()["version"] == 2
    stale = client.put(
        f"/declarations/{mrn}",
        json=bend(declaration(), "/incoterm", "CPT"),
        headers=keys.trader | {"If-Match": '"1"'},
    )
    assert stale.status_code == 409
    assert (
        client.get(f"/declarations/{mrn}", headers=keys.trader).json()["declaration"]["incoterm"]
        == "FCA"
    )
    assert (
        client.post(
            f"/declarations/{mrn}/cancel", json={"reason": "sale fell through"}, headers=keys.other
        ).status_code
        == 404
    )
    cancelled = client.post(
        f"/declarations/{mrn}/cancel", json={"reason": "sale fell through"}, headers=keys.trader
    )
    assert cancelled.json()["status"] == "cancelled"
    refused = client.put(f"/declarations/{mrn}", json=declaration(), headers=keys.trader)
    assert refused.status_code == 409
    assert refused.json()["current"] == "cancelled"
    timeline = client.get(f"/declarations/{mrn}", headers=keys.trader).json()["timeline"]
    assert [e["action"] for e in timeline] == ["lodge", "accept", "amend", "cancel"]
    assert timeline[-1]["reason"] == "sale fell through"


def test_administrators_add_users_and_see_the_key_once(client, keys):
    created = client.post(
        "/users", json={"name": "broker", "role": "trader", "party": "B-1"}, headers=keys.admin
    )
    assert created.status_code == 201
    key = created.json()["api_key"]
    me = client.get("/users/me", headers={"Authorization": f"Bearer {key}"}).json()
    assert me == {"name": "broker", "role": "trader", "party": "B-1"}
    listed = client.get("/users", headers=keys.admin).json()
    assert "api_key" not in listed[0] and "key_hash" not in listed[0]
    assert client.get("/users", headers=keys.trader).status_code == 403
    bad = client.post("/users", json={"name": "x", "role": "pilot"}, headers=keys.admin)
    assert bad.json()["errors"][0]["code"] == "unknown_role"


def test_openapi_and_docs_are_published(client):
    schema = client.get("/openapi.json").json()
    assert "DeclarationIn" in schema["components"]["schemas"]
    assert "/declarations" in schema["paths"]
    assert client.get("/docs").status_code == 200
