"""The web UI through its forms: sessions, CSRF, languages and the officer's pages."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient

from karakoram.entrypoints.http.app import create_app
from karakoram.entrypoints.web.session import COOKIE
from karakoram.services.users import issue_key
from tests.builders import declaration
from tests.integration.test_clearance import EXAMPLES, RATES, RULES, goods, load, lodge

CSRF = re.compile(r'name="csrf" value="([^"]+)"')


def csrf_of(page):
    return CSRF.search(page.text).group(1)


def key_of(headers):
    return headers["Authorization"].removeprefix("Bearer ")


def sign_in(client, headers):
    token = csrf_of(client.get("/ui/sign-in"))
    response = client.post("/ui/sign-in", data={"csrf": token, "api_key": key_of(headers)})
    assert response.status_code == 200, response.text
    return response


@pytest.fixture
def policy(client, keys):
    load(client, keys, "rates", RATES, "text/csv")
    load(client, keys, "tariff", (EXAMPLES / "tariff-cn-import.toml").read_text())
    return load(client, keys, "rules", RULES)


@pytest.fixture
def red(client, keys, policy):
    return lodge(client, keys, goods(declaration(), "740311"))["mrn"]


def test_signed_out_pages_redirect_to_the_sign_in_form(client):
    for path in ("/ui", "/ui/queue", "/ui/declarations/X"):
        response = client.get(path, follow_redirects=False)
        assert response.status_code == 303
        assert response.headers["location"].endswith("/ui/sign-in")


def test_sign_in_sets_a_signed_http_only_cookie_and_sign_out_ends_it(client, keys):
    page = sign_in(client, keys.officer)
    assert "officer" in page.text and 'charset="utf-8"' in page.text
    cookie = next(c for c in client.cookies.jar if c.name == COOKIE)
    assert cookie.path == "/ui" and cookie.has_nonstandard_attr("HttpOnly")
    assert key_of(keys.officer) not in cookie.value  # the key itself is never in the cookie
    signed_out = client.post("/ui/sign-out", data={"csrf": csrf_of(page)})
    assert signed_out.url.path == "/ui/sign-in"
    assert client.get("/ui", follow_redirects=False).status_code == 303


def test_a_wrong_key_is_refused_and_a_forged_cookie_signs_nobody_in(client, keys):
    token = csrf_of(client.get("/ui/sign-in"))
    refused = client.post("/ui/sign-in", data={"csrf": token, "api_key": "kk_nope_nope"})
    assert refused.status_code == 401
    client.cookies.set(COOKIE, "eyJrZXlfaWQiOiJ4In0.forged", path="/ui")
    assert client.get("/ui", follow_redirects=False).status_code == 303


def test_a_form_without_the_session_token_is_refused(client, keys, red):
    page = sign_in(client, keys.officer)
    assert client.post("/ui/sign-out", data={}).status_code == 403
    assert client.post("/ui/sign-out", data={"csrf": "guess"}).status_code == 403
    forged = client.post(
        f"/ui/declarations/{red}/actions", data={"action": "inspect", "csrf": "guess"}
    )
    assert forged.status_code == 403
    assert client.get("/ui", follow_redirects=False).status_code == 200  # still signed in
    assert csrf_of(page)


def test_the_queue_lists_a_red_declaration_for_an_officer(client, keys, red):
    sign_in(client, keys.officer)
    page = client.get("/ui/queue")
    assert page.status_code == 200 and red in page.text
    # links go to the pages, not to the API routes of the same name
    assert 'href="/ui/queue"' in page.text
    assert f'href="/ui/declarations/{red}"' in page.text
    assert red not in client.get("/ui/queue?channel=green").text


def test_the_declaration_page_shows_the_rule_that_fired_and_the_allowed_actions(client, keys, red):
    sign_in(client, keys.officer)
    page = client.get(f"/ui/declarations/{red}")
    assert page.status_code == 200
    assert "RED-COPPER" in page.text and "Copper cathodes" in page.text
    assert "hs_code = 740311" in page.text  # the value that made the rule fire
    assert "<p>export · " in page.text  # stored codes are shown as words
    assert 'value="inspect"' in page.text and 'value="hold"' in page.text
    assert 'value="release"' in page.text
    assert 'value="seize"' not in page.text  # not before an inspection


def test_an_officer_inspects_then_releases_through_the_forms(client, keys, red):
    page = sign_in(client, keys.officer)
    declaration_page = client.get(f"/ui/declarations/{red}")
    version = re.search(r'name="version" value="(\d+)"', declaration_page.text).group(1)
    token = csrf_of(page)
    inspected = client.post(
        f"/ui/declarations/{red}/actions",
        data={
            "csrf": token,
            "action": "inspect",
            "version": version,
            "quantity_matches": "true",
            "seals": "intact",
            "notes": "all as declared",
        },
    )
    assert inspected.status_code == 200 and "all as declared" in inspected.text
    released = client.post(
        f"/ui/declarations/{red}/actions", data={"csrf": token, "action": "release"}
    )
    assert released.status_code == 200
    state = client.get(f"/declarations/{red}", headers=keys.officer).json()
    assert state["status"] == "released"


def test_domain_errors_are_shown_on_the_page(client, keys, red):
    token = csrf_of(sign_in(client, keys.officer))
    url = f"/ui/declarations/{red}/actions"
    no_reason = client.post(url, data={"csrf": token, "action": "hold"})
    assert no_reason.status_code == 422 and "Say why you hold" in no_reason.text
    too_early = client.post(url, data={"csrf": token, "action": "release"})
    assert too_early.status_code == 409 and "physical inspection" in too_early.text
    page = client.get(f"/ui/declarations/{red}").text
    seen = re.search(r'name="version" value="(\d+)"', page).group(1)
    client.post(url, data={"csrf": token, "action": "inspect", "version": seen})
    # a form read before the inspection says so instead of acting on what changed meanwhile
    stale = client.post(url, data={"csrf": token, "action": "release", "version": seen})
    assert stale.status_code == 409 and "changed" in stale.text
    assert "Traceback" not in stale.text


def test_a_trader_is_refused_the_officers_page_and_a_forced_action(client, keys, red):
    token = csrf_of(sign_in(client, keys.trader))
    page = client.get(f"/ui/declarations/{red}")
    assert page.status_code == 403 and 'name="action"' not in page.text
    forced = client.post(
        f"/ui/declarations/{red}/actions", data={"csrf": token, "action": "release"}
    )
    assert forced.status_code == 403
    assert client.get(f"/declarations/{red}", headers=keys.officer).json()["status"] == "assessed"
    assert client.get("/ui/queue").status_code == 403


def test_the_language_switch_only_returns_to_pages_of_the_ui(client, keys):
    token = csrf_of(sign_in(client, keys.officer))
    response = client.post(
        "/ui/language",
        data={"csrf": token, "language": "en", "back": "https://evil.example/"},
        follow_redirects=False,
    )
    assert response.headers["location"] == "/ui"


def test_the_styles_are_served_by_the_node(client):
    page = client.get("/ui/sign-in").text
    assert 'href="/ui/static/karakoram.css"' in page and "<script" not in page
    css = client.get("/ui/static/karakoram.css")
    assert css.status_code == 200 and "text/css" in css.headers["content-type"]


def test_the_language_is_kept_in_the_session_and_urdu_is_right_to_left(client, keys, red):
    token = csrf_of(sign_in(client, keys.officer))
    urdu = client.post("/ui/language", data={"csrf": token, "language": "ur", "back": "/ui/queue"})
    assert urdu.url.path == "/ui/queue"
    assert 'dir="rtl"' in urdu.text and 'lang="ur"' in urdu.text
    assert "اعلانات" in urdu.text
    chinese = client.post(
        "/ui/language", data={"csrf": token, "language": "zh_Hans", "back": "/ui/queue"}
    )
    assert 'lang="zh-Hans"' in chinese.text and 'dir="ltr"' in chinese.text
    assert "等待" in chinese.text
    assert "风险判定" in client.get(f"/ui/declarations/{red}").text  # kept for the next page


def test_a_new_key_for_the_account_ends_its_sessions(client, keys, node):
    sign_in(client, keys.officer)
    assert client.get("/ui", follow_redirects=False).status_code == 200
    issue_key("officer", node.ctx, node.hasher)
    assert client.get("/ui", follow_redirects=False).status_code == 303


def test_the_cookie_is_secure_over_https(node, keys):
    with TestClient(create_app(node), base_url="https://testserver") as secure:
        sign_in(secure, keys.officer)
        cookie = next(c for c in secure.cookies.jar if c.name == COOKIE)
        assert cookie.secure


def test_an_unknown_declaration_is_a_page_not_a_stack_trace(client, keys):
    sign_in(client, keys.officer)
    page = client.get("/ui/declarations/26CNNOSUCHTHING")
    assert page.status_code == 404 and "text/html" in page.headers["content-type"]
