"""The supervisor's page of the AEO register and mandates, through its forms."""

from __future__ import annotations

from tests.builders import TRADER
from tests.integration.test_web import csrf_of, sign_in

BROKER = "91650100MA55BR0001"


def test_a_supervisor_registers_an_operator_and_records_a_mandate(client, keys):
    token = csrf_of(sign_in(client, keys.supervisor))
    added = client.post(
        "/ui/register/aeo",
        data={"csrf": token, "identifier": TRADER, "level": "AEOS", "valid_from": "2026-01-01"},
    )
    assert added.status_code == 200 and added.url.path == "/ui/register"
    assert TRADER in added.text and "AEOS" in added.text
    given = client.post(
        "/ui/register/mandates",
        data={"csrf": token, "principal": TRADER, "representative": BROKER, "valid_to": ""},
    )
    assert given.status_code == 200 and BROKER in given.text
    listed = client.get("/mandates", headers=keys.supervisor).json()
    assert [(m["principal"], m["representative"]) for m in listed] == [(TRADER, BROKER)]
    assert client.get("/aeo-register", headers=keys.supervisor).json()[0]["level"] == "AEOS"


def test_a_bad_date_is_shown_on_the_form_and_changes_nothing(client, keys):
    token = csrf_of(sign_in(client, keys.supervisor))
    refused = client.post(
        "/ui/register/aeo",
        data={"csrf": token, "identifier": TRADER, "level": "AEOF", "valid_from": "soon"},
    )
    assert refused.status_code == 422 and "/valid_from" in refused.text
    assert client.get("/aeo-register", headers=keys.supervisor).json() == []


def test_a_trader_cannot_open_the_register(client, keys):
    sign_in(client, keys.trader)
    assert client.get("/ui/register").status_code == 403
