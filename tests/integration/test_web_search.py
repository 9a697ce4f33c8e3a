"""The officer's search page, on SQLite and PostgreSQL."""

from __future__ import annotations

from tests.builders import declaration
from tests.integration.test_web import csrf_of, sign_in


def _lodge(client, keys, lrn: str, registration: str) -> str:
    body = declaration(lrn, transport={"registration": registration, "nationality": "CN"})
    answer = client.post("/declarations", json=body, headers=keys.trader)
    assert answer.status_code == 201, answer.text
    return answer.json()["mrn"]


def test_an_officer_finds_a_truck_and_opens_its_declaration(client, keys):
    wanted = _lodge(client, keys, "W-1", "新Q-A9")
    other = _lodge(client, keys, "W-2", "XJ-Z1")
    sign_in(client, keys.officer)
    empty = client.get("/ui/search")
    assert empty.status_code == 200 and "search-results" not in empty.text
    found = client.get("/ui/search", params={"vehicle": "新q a9"})
    assert found.status_code == 200
    assert wanted in found.text and other not in found.text
    assert f'href="/ui/declarations/{wanted}"' in found.text
    assert 'value="新q a9"' in found.text  # what was typed stays in the form
    none = client.get("/ui/search", params={"ucr": "UCR-NOPE"})
    assert "No declaration matches." in none.text


def test_a_bad_date_gets_an_error_summary_linking_to_its_field(client, keys):
    sign_in(client, keys.officer)
    page = client.get("/ui/search", params={"lodged_from": "31/12/2026", "hs_prefix": "84x"})
    assert page.status_code == 200
    assert 'class="error-summary"' in page.text
    assert 'href="#search-lodged_from"' in page.text and 'id="search-lodged_from"' in page.text
    assert 'href="#search-hs_prefix"' in page.text
    assert "search-results" not in page.text


def test_the_search_speaks_the_officers_language(client, keys):
    mrn = _lodge(client, keys, "W-3", "XJ-Q3")
    token = csrf_of(sign_in(client, keys.officer))
    page = client.post(
        "/ui/language",
        data={"csrf": token, "language": "zh_Hans", "back": f"/ui/search?lrn=W-3&mrn={mrn}"},
    )
    assert "搜索报关单" in page.text and mrn in page.text


def test_traders_cannot_search(client, keys):
    sign_in(client, keys.trader)
    assert client.get("/ui/search", params={"lrn": "W-1"}).status_code == 403
