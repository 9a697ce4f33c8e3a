"""Issue 14, the edge as people meet it: throttled attempts answer 429 with Retry-After, a
browser's refusals are pages in its reader's language with the request id, API clients keep
problem+json with a `code`, and the supervisor's refusals by reason and sender (page and API)."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient

from karakoram.adapters.exchange.signing import Signer, new_key
from karakoram.entrypoints.http.app import create_app
from karakoram.services.users import add_user
from tests.builders import TRADER
from tests.integration import test_exchange_hardening as hardening
from tests.integration import test_security_auth as auth
from tests.integration.test_exchange import envelope, proof, send
from tests.integration.test_web import csrf_of, sign_in

# fixtures of other files: two nodes that exchange, a clock the authentication reads
pair, now, clock = hardening.pair, hardening.now, auth.clock
password_sign_in = auth.password_sign_in

PROBLEM = "application/problem+json"
HTML_FIRST = {"Accept": "text/html,application/xhtml+xml,*/*;q=0.8"}
ERROR_ID = re.compile(r'class="muted error-id">[^<]*<code dir="ltr">([0-9a-zA-Z-]+)</code>')


def problem_of(response, status: int, code: str) -> dict:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == PROBLEM
    body = response.json()
    assert {"type", "title", "status", "code"} <= set(body)
    assert (body["status"], body["code"]) == (status, code)
    return body


def error_page_of(response, status: int) -> str:
    """The error page's text, after checking it is one and shows the request id."""
    assert response.status_code == status, response.text[:300]
    assert response.headers["content-type"].startswith("text/html")
    assert f'data-status="{status}"' in response.text
    found = ERROR_ID.search(response.text)
    assert found and found.group(1) == response.headers["x-request-id"]
    return response.text


# ---- throttling ------------------------------------------------------------------------------


def test_an_api_client_that_keeps_failing_is_told_429_and_when_to_retry(client, keys, clock):
    for _ in range(10):  # the address's free failures
        refused = client.get("/declarations", headers={"Authorization": "Bearer kk_x_nope"})
        problem_of(refused, 401, "authentication_failed")
    slowed = client.get("/declarations", headers=keys.officer)
    body = problem_of(slowed, 429, "too_many_attempts")
    assert slowed.headers["retry-after"] == "1" == str(body["retry_after"])
    clock.advance(seconds=1)  # waiting as told is enough
    assert client.get("/declarations", headers=keys.officer).status_code == 200


def test_a_locked_account_answers_a_browser_429_in_its_language(client, node, keys, clock):
    for _ in range(5):
        assert password_sign_in(client, "officer", "wrong password").status_code == 401
        clock.advance(seconds=40)
    token = csrf_of(client.get("/ui/sign-in"))
    locked = client.post(
        "/ui/sign-in",
        data={"csrf": token, "name": "officer", "password": "wrong password"},
        headers={"Accept-Language": "ur-PK,ur;q=0.9,en;q=0.5"},
    )
    text = error_page_of(locked, 429)
    wait = int(locked.headers["retry-after"])
    assert 60 < wait <= 15 * 60  # the account's lock, in whole seconds
    assert 'lang="ur" dir="rtl"' in text and "بہت زیادہ کوششیں" in text
    assert f"{wait} سیکنڈ بعد دوبارہ کوشش کریں" in text
    # the browser's language held for the error page only: the cookie chose none
    assert 'lang="en"' in client.get("/ui/sign-in").text


# ---- error pages -------------------------------------------------------------------------------


def _boom(app):
    def boom() -> None:
        raise RuntimeError("a bug")

    app.add_api_route("/ui/boom", boom)
    app.add_api_route("/boom", boom)


@pytest.fixture
def app_client(node):
    app = create_app(node)
    _boom(app)
    with TestClient(app, raise_server_exceptions=False) as test_client:
        yield test_client


def _requests(client, headers):
    """Each status a browser or an API client may meet, and how to meet it."""
    big = b"{" + b" " * 2**20 + b"}"  # past the default limit of 1 MiB
    return {
        404: lambda path: client.get(f"{path}/no-such-page", headers=headers),
        405: lambda path: client.delete(f"{path}/sign-in" if path else "/health", headers=headers),
        413: lambda path: client.post(
            f"{path}/sign-in" if path else "/declarations",
            content=big,
            headers={**headers, "Content-Type": "application/json"},
        ),
        415: lambda path: client.post(
            "/declarations", content=b"x", headers={**headers, "Content-Type": "text/plain"}
        ),
        422: lambda path: client.get(
            f"{path}/exchange/refusals?hours=many" if path else "/exchange/refusals?hours=many",
            headers=headers,
        ),
        500: lambda path: client.get(f"{path}/boom", headers=headers),
    }


@pytest.mark.parametrize("status", [404, 405, 413, 415, 422, 500])
@pytest.mark.parametrize("language", ["en", "zh_Hans", "ur"])
def test_a_browser_meets_an_error_page_in_its_language(app_client, keys, status, language):
    heading = {
        "en": {404: "Page not found", 413: "Request too large", 500: "Internal error"},
        "zh_Hans": {404: "找不到页面", 413: "请求过大", 500: "内部错误"},
        "ur": {404: "صفحہ نہیں ملا", 413: "درخواست بہت بڑی ہے", 500: "اندرونی خرابی"},
    }[language]
    accept = {"en": "en-GB,en", "zh_Hans": "zh-CN,zh;q=0.9", "ur": "ur"}[language]
    sign_in(app_client, keys.supervisor)
    headers = {**HTML_FIRST, "Accept-Language": accept}
    path = "" if status == 415 else "/ui"
    text = error_page_of(_requests(app_client, headers)[status](path), status)
    assert f'lang="{language.replace("_", "-")}"' in text
    if status in heading:
        assert f"<h1>{heading[status]}</h1>" in text
    assert "Traceback" not in text and "a bug" not in text


def test_the_cookie_s_language_wins_over_the_browser_s(client, keys):
    page = sign_in(client, keys.officer)
    client.post("/ui/language", data={"csrf": csrf_of(page), "language": "zh_Hans"})
    missing = client.get("/ui/nowhere", headers={"Accept-Language": "ur"})
    assert "<h1>找不到页面</h1>" in error_page_of(missing, 404)


def test_a_browser_at_the_site_root_gets_the_page_an_api_client_problem_json(app_client):
    page = app_client.get("/no-such-thing", headers=HTML_FIRST)
    assert "<h1>Page not found</h1>" in error_page_of(page, 404)
    problem_of(app_client.get("/no-such-thing"), 404, "not_found")
    problem_of(app_client.get("/no-such-thing", headers={"Accept": "*/*"}), 404, "not_found")


@pytest.mark.parametrize(
    ("status", "code"),
    [
        (404, "not_found"),
        (405, "method_not_allowed"),
        (413, "too_large"),
        (415, "unsupported_media_type"),
        (422, "validation_failed"),
        (500, "internal_error"),
    ],
)
def test_api_clients_keep_problem_json_with_a_code(app_client, keys, status, code):
    headers = {**keys.supervisor, "Accept": "application/json"}
    answer = _requests(app_client, headers)[status]("")
    body = problem_of(answer, status, code)
    assert body.get("error_id") == answer.headers["x-request-id"]


# ---- refusals by reason and sender --------------------------------------------------------------


@pytest.fixture
def refused(pair):
    """PK-GB has refused 7 pieces of junk sent by anyone (no delivery proof) and 3 forgeries
    claiming to be from CN-URC, delivered by CN-URC's own relay."""
    _cn, pk, apps, key = pair
    for n in range(7):
        assert send(apps, f"junk-{n}").status_code == 403
    forger = Signer(new_key("CN-URC-2026"), "CN-URC-2026")
    for _ in range(3):
        forged = forger.sign(envelope())
        assert send(apps, forged, proof(key, [forged])).status_code == 403
    return pk, apps.apps["pk-gb"]


def _key(node, name, role, party=None):
    return {"Authorization": f"Bearer {add_user(name, role, party, node.ctx, node.hasher).api_key}"}


def test_the_api_counts_refusals_by_reason_and_sender_for_supervisors_only(refused):
    pk, app = refused
    supervisor = _key(pk, "boss", "supervisor")
    found = app.get("/exchange/refusals?hours=1&limit=5", headers=supervisor)
    assert found.status_code == 200, found.text
    body = found.json()
    assert body["counts"] == [
        {"code": "delivery_missing", "sender": "", "count": 7},
        {"code": "bad_signature", "sender": "CN-URC", "count": 3},
    ]
    assert len(body["latest"]) == 5 and body["latest"][0]["code"] == "bad_signature"
    assert body["latest"][0]["sender"] == "CN-URC"
    for name, role, party in (("kashgar", "trader", TRADER), ("officer", "officer", None)):
        problem_of(
            app.get("/exchange/refusals", headers=_key(pk, name, role, party)),
            403,
            "missing_capability",
        )
    problem_of(app.get("/exchange/refusals"), 401, "authentication_failed")
    problem_of(app.get("/exchange/refusals?hours=0", headers=supervisor), 422, "validation_failed")


def test_the_supervisor_s_page_shows_counts_per_reason_and_sender(refused):
    pk, app = refused
    sign_in(app, _key(pk, "boss", "supervisor"))
    page = app.get("/ui/exchange/refusals?hours=24")
    assert page.status_code == 200, page.text
    rows = re.findall(
        r'<tr data-code="([a-z_]+)" data-sender="([A-Z-]*)">.*?<td class="count">(\d+)</td>',
        page.text,
    )
    assert rows == [("delivery_missing", "", "7"), ("bad_signature", "CN-URC", "3")]
    assert "10 messages refused in this period." in page.text
    latest = re.findall(r'<td dir="ltr" class="code">([a-z_]+)</td>', page.text)
    assert latest == ["bad_signature"] * 3 + ["delivery_missing"] * 5  # every forgery, some junk
    assert 'href="/ui/exchange/refusals"' in app.get("/ui/exchange").text


def test_an_officer_or_a_trader_is_refused_the_refusals_page(refused):
    pk, app = refused
    for name, role, party in (("officer", "officer", None), ("kashgar", "trader", TRADER)):
        app.cookies.clear()
        sign_in(app, _key(pk, name, role, party))
        text = error_page_of(app.get("/ui/exchange/refusals"), 403)
        assert "bad_signature" not in text
