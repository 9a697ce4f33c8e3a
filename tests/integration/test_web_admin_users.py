"""An administrator manages accounts in the browser, on SQLite and PostgreSQL."""

from __future__ import annotations

import re

from tests.integration.test_web import csrf_of, sign_in

KEY = re.compile(r'<code class="api-key" dir="ltr">([^<]+)</code>')


def _admin(client, keys) -> str:
    sign_in(client, keys.admin)
    return csrf_of(client.get("/ui/admin/users"))


def test_an_administrator_adds_a_carrier_whose_key_works_once_shown(client, keys, node):
    token = _admin(client, keys)
    form = client.get("/ui/admin/users/new")
    assert form.status_code == 200 and 'value="carrier"' in form.text
    assert 'value="partner"' not in form.text
    made = client.post(
        "/ui/admin/users/new",
        data={"csrf": token, "name": "haulier-7", "role": "carrier", "party": "CN-HAUL-7"},
    )
    assert made.status_code == 200, made.text
    assert made.headers["cache-control"] == "no-store"
    api_key = KEY.search(made.text).group(1)
    me = client.get("/users/me", headers={"Authorization": f"Bearer {api_key}"})
    assert me.status_code == 200 and me.json()["role"] == "carrier"
    listed = client.get("/ui/admin/users").text
    assert "haulier-7" in listed and api_key not in listed


def test_a_bad_new_user_keeps_what_was_typed_and_says_what_is_wrong(client, keys):
    token = _admin(client, keys)
    refused = client.post(
        "/ui/admin/users/new", data={"csrf": token, "name": "lorry", "role": "trader", "party": ""}
    )
    assert refused.status_code == 422
    assert 'class="error-summary"' in refused.text
    assert "Enter the identifier of the trader or carrier this user acts for" in refused.text
    assert 'value="lorry"' in refused.text and '<option value="trader" selected>' in refused.text
    taken = client.post(
        "/ui/admin/users/new", data={"csrf": token, "name": "officer", "role": "officer"}
    )
    assert taken.status_code == 422 and "A user with this name exists already" in taken.text
    partner = client.post(
        "/ui/admin/users/new", data={"csrf": token, "name": "pk-2", "role": "partner"}
    )
    assert partner.status_code == 422 and "Choose the user&#39;s role" in partner.text


def test_a_new_key_ends_the_old_one_and_revoking_ends_the_account(client, keys):
    token = _admin(client, keys)
    renewed = client.post("/ui/admin/users/officer/key", data={"csrf": token})
    assert renewed.status_code == 200
    new_key = KEY.search(renewed.text).group(1)
    assert client.get("/users/me", headers=keys.officer).status_code == 401
    fresh = {"Authorization": f"Bearer {new_key}"}
    assert client.get("/users/me", headers=fresh).status_code == 200
    revoked = client.post("/ui/admin/users/officer/revoke", data={"csrf": token})
    assert revoked.status_code == 200 and "officer is revoked" in revoked.text
    assert client.get("/users/me", headers=fresh).status_code == 401


def test_an_administrator_cannot_revoke_itself_and_others_cannot_reach_these(client, keys):
    token = _admin(client, keys)
    own = client.post("/ui/admin/users/admin/revoke", data={"csrf": token})
    assert own.status_code == 422
    assert client.get("/users/me", headers=keys.admin).status_code == 200
    other = type(client)(client.app)
    sign_in(other, keys.supervisor)
    their = csrf_of(other.get("/ui"))
    assert other.get("/ui/admin/users/new").status_code == 403
    assert other.post("/ui/admin/users/officer/revoke", data={"csrf": their}).status_code == 403
    assert client.get("/users/me", headers=keys.officer).status_code == 200
