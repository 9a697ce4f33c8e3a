"""Passwords: an administrator sets them (page, API, CLI), users sign in with them, and a new
password or a revocation ends the sessions signed in with the old one."""

from __future__ import annotations

import os
import re
import subprocess
import sys

import pytest

from karakoram.domain.errors import ValidationFailed
from karakoram.entrypoints.web.session import COOKIE
from karakoram.services.users import list_users, revoke_user, set_password
from tests.integration.test_web import csrf_of, sign_in

PASSWORD = "correct horse battery"
GENERIC = "Those sign-in details were not accepted"


def password_sign_in(client, name, password, expect=200):
    token = csrf_of(client.get("/ui/sign-in"))
    response = client.post("/ui/sign-in", data={"csrf": token, "name": name, "password": password})
    assert response.status_code == expect, response.text
    return response


def admin_sets(client, keys, name, password, confirm=None):
    """The administrator's form, as a browser would submit it; returns the answer."""
    token = csrf_of(sign_in(client, keys.admin))
    return client.post(
        f"/ui/admin/users/{name}/password",
        data={
            "csrf": token,
            "password": password,
            "confirm": password if confirm is None else confirm,
        },
    )


def test_an_administrator_sets_a_password_on_the_page_and_the_user_signs_in_with_it(client, keys):
    users_page = sign_in(client, keys.admin)
    assert 'href="/ui/admin/users"' in users_page.text  # the administrator's nav and home
    listing = client.get("/ui/admin/users")
    assert listing.status_code == 200 and 'href="/ui/admin/users/officer/password"' in listing.text
    assert 'href="/ui/admin/users/pk-gb/password"' not in listing.text  # a partner: key only
    done = admin_sets(client, keys, "officer", PASSWORD)
    assert done.status_code == 200 and done.url.path == "/ui/admin/users"
    assert "The password of officer is set" in done.text
    client.cookies.clear()
    home = password_sign_in(client, "officer", PASSWORD)
    assert home.url.path == "/ui" and "officer" in home.text
    cookie = next(c for c in client.cookies.jar if c.name == COOKIE)
    assert PASSWORD not in cookie.value and "horse" not in cookie.value
    assert client.get("/ui/queue").status_code == 200


def test_a_failed_sign_in_does_not_say_which_part_was_wrong(client, keys, node):
    set_password("officer", PASSWORD, node.ctx, node.hasher)
    wrong_password = password_sign_in(client, "officer", "not the password at all", 401)
    unknown_user = password_sign_in(client, "nobody", PASSWORD, 401)
    no_password_set = password_sign_in(client, "analyst", PASSWORD, 401)
    empty = password_sign_in(client, "", "", 401)
    for page in (wrong_password, unknown_user, no_password_set, empty):
        assert GENERIC in page.text
    # the name typed is kept, the password never comes back
    assert 'value="officer"' in wrong_password.text and PASSWORD not in unknown_user.text
    assert client.get("/ui", follow_redirects=False).status_code == 303


def test_the_password_policy_shows_its_errors_beside_the_fields(client, keys):
    short = admin_sets(client, keys, "officer", "short")
    assert short.status_code == 422
    assert re.search(r'id="password-error">A password needs at least 12 characters', short.text)
    named = admin_sets(client, keys, "officer", "my name is Officer!")
    assert named.status_code == 422 and "must not contain the user name" in named.text
    differ = admin_sets(client, keys, "officer", PASSWORD, PASSWORD + "x")
    assert (
        differ.status_code == 422 and 'id="confirm-error">The two passwords differ' in differ.text
    )
    nobody = admin_sets(client, keys, "nobody", PASSWORD)
    assert nobody.status_code == 422 and "There is no such user" in nobody.text
    partner = admin_sets(client, keys, "pk-gb", PASSWORD)
    assert partner.status_code == 422 and "signs in with its key only" in partner.text
    password_sign_in(client, "officer", "my name is Officer!", 401)  # nothing was stored


def test_only_an_administrator_reaches_the_users_pages(client, keys, node):
    token = csrf_of(sign_in(client, keys.supervisor))
    assert 'href="/ui/admin/users"' not in client.get("/ui").text
    assert client.get("/ui/admin/users").status_code == 403
    assert client.get("/ui/admin/users/officer/password").status_code == 403
    forced = client.post(
        "/ui/admin/users/officer/password",
        data={"csrf": token, "password": PASSWORD, "confirm": PASSWORD},
    )
    assert forced.status_code == 403
    assert all(u.password_hash is None for u in list_users(node.ctx))


def test_a_new_password_ends_the_sessions_of_the_old_one(client, keys, node):
    set_password("officer", PASSWORD, node.ctx, node.hasher)
    password_sign_in(client, "officer", PASSWORD)
    assert client.get("/ui", follow_redirects=False).status_code == 200
    set_password("officer", PASSWORD + " again", node.ctx, node.hasher)
    assert client.get("/ui", follow_redirects=False).status_code == 303
    password_sign_in(client, "officer", PASSWORD, 401)
    password_sign_in(client, "officer", PASSWORD + " again")
    assert client.get("/ui", follow_redirects=False).status_code == 200


def test_a_revoked_user_is_signed_out_and_cannot_sign_in_again(client, keys, node):
    set_password("officer", PASSWORD, node.ctx, node.hasher)
    password_sign_in(client, "officer", PASSWORD)
    revoke_user("officer", node.ctx)
    assert client.get("/ui", follow_redirects=False).status_code == 303
    password_sign_in(client, "officer", PASSWORD, 401)


def test_a_key_session_is_unaffected_by_a_password_and_the_key_still_signs_in(client, keys, node):
    sign_in(client, keys.officer)
    set_password("officer", PASSWORD, node.ctx, node.hasher)
    assert client.get("/ui", follow_redirects=False).status_code == 200


def test_the_api_sets_passwords_for_administrators_only(client, keys):
    body = {"password": PASSWORD}
    assert client.put("/users/officer/password", json=body, headers=keys.officer).status_code == 403
    done = client.put("/users/officer/password", json=body, headers=keys.admin)
    assert done.status_code == 204
    weak = client.put("/users/officer/password", json={"password": "x"}, headers=keys.admin)
    assert weak.status_code == 422 and weak.json()["errors"][0]["pointer"] == "/password"
    password_sign_in(client, "officer", PASSWORD)
    revoked = client.post("/users/officer/revoke", headers=keys.admin)
    assert revoked.status_code == 200 and revoked.json()["active"] is False
    assert client.get("/ui", follow_redirects=False).status_code == 303


def test_the_policy_refuses_short_passwords_and_the_user_name(node, keys):
    with pytest.raises(ValidationFailed) as short:
        set_password("admin", "tea kettle1", node.ctx, node.hasher)
    assert [e.code for e in short.value.errors] == ["too_short"]
    with pytest.raises(ValidationFailed) as named:
        set_password("admin", "the ADMIN password", node.ctx, node.hasher)
    assert [e.code for e in named.value.errors] == ["contains_name"]
    assert set_password("admin", "tea kettle 12", node.ctx, node.hasher).password_hash


def test_the_cli_sets_a_password_from_standard_input(tmp_path):
    env = os.environ | {
        "KARAKORAM_DATABASE_URL": f"sqlite:///{tmp_path / 'node.db'}",
        "NO_COLOR": "1",
        "COLUMNS": "200",
    }

    def karakoram(*args, stdin=""):
        return subprocess.run(
            [sys.executable, "-m", "karakoram", *args],
            cwd=tmp_path,
            env=env,
            input=stdin,
            capture_output=True,
            text=True,
            timeout=120,
        )

    assert karakoram("db", "upgrade").returncode == 0
    assert karakoram("users", "add", "amina", "--role", "officer").returncode == 0
    weak = karakoram("users", "password", "amina", "--stdin", stdin="amina1234567\n")
    assert weak.returncode == 1 and "contains_name" in weak.stderr
    done = karakoram("users", "password", "amina", "--stdin", stdin=PASSWORD + "\n")
    assert done.returncode == 0, done.stderr
    listed = karakoram("users", "list").stdout
    assert re.search(r"amina .* officer .* yes .* set", listed), listed


def test_an_administrator_changing_their_own_password_stays_signed_in_only_here(client, keys, node):
    set_password("admin", PASSWORD, node.ctx, node.hasher)
    elsewhere = client.__class__(client.app)
    password_sign_in(elsewhere, "admin", PASSWORD)
    token = csrf_of(password_sign_in(client, "admin", PASSWORD))
    done = client.post(
        "/ui/admin/users/admin/password",
        data={"csrf": token, "password": PASSWORD + " 2", "confirm": PASSWORD + " 2"},
    )
    assert done.status_code == 200 and done.url.path == "/ui/admin/users"
    assert client.get("/ui", follow_redirects=False).status_code == 200
    assert elsewhere.get("/ui", follow_redirects=False).status_code == 303
