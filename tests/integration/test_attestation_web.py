"""The attestation's web path: a trader gets it on its node's pages (shown, or as a file),
named by its company as its declarations name it, and registers at the expo by pasting it or
uploading the file; a token that is not one is refused in the reader's language."""

from __future__ import annotations

import html
import re
from datetime import UTC, datetime, timedelta

from fastapi.testclient import TestClient

from karakoram.adapters.db.engine import build_engine
from karakoram.adapters.exchange.signing import public_jwk
from karakoram.expo.entrypoints.api import create_expo_app
from karakoram.expo.services.participants import add_partner
from tests.builders import TRADER, declaration
from tests.expo_support import make_expo
from tests.integration.test_attestation import _signing
from tests.integration.test_web import csrf_of, sign_in


def _token(page: str) -> str:
    found = re.search(r'<textarea id="token"[^>]*>([^<]+)</textarea>', page)
    assert found, "no token on the page"
    return html.unescape(found.group(1)).strip()


def _expo(node, key, tmp_path):
    expo = make_expo(build_engine(f"sqlite:///{tmp_path / 'expo.db'}"), now=datetime.now(UTC))
    ctx = node.ctx
    since = ctx.clock() - timedelta(days=1)
    add_partner(
        ctx.administration, ctx.rules.country, None, "cn-1", public_jwk(key), expo.ctx, since
    )
    return expo


def _expo_browser(expo) -> TestClient:
    return TestClient(create_expo_app(expo.ctx), base_url="http://expo.test")


def test_a_trader_gets_its_attestation_on_its_node_s_pages(node, client, keys):
    _signing(node)
    assert client.post("/declarations", json=declaration(), headers=keys.trader).status_code == 201
    home = sign_in(client, keys.trader)
    assert 'href="/ui/attestation"' in client.get("/ui").text
    page = client.get("/ui/attestation")
    assert page.status_code == 200 and "Get an attestation for the expo" in page.text
    issued = client.post("/ui/attestation", data={"csrf": csrf_of(home), "days": "10"})
    assert issued.status_code == 201
    token = _token(issued.text)
    assert token.count(".") == 2
    # the company's name as its declaration gives it, not the account's login ("kashgar")
    assert "<bdi>Kashgar Silk Road Trading</bdi>" in issued.text
    assert f"({TRADER}, CN)" in issued.text.replace('<span dir="ltr">', "").replace("</span>", "")
    file = client.post("/ui/attestation", data={"csrf": csrf_of(home), "download": "1"})
    assert file.status_code == 200 and file.headers["content-type"].startswith("application/jose")
    assert "attachment" in file.headers["content-disposition"] and file.text.count(".") == 2
    zh = client.get("/ui/attestation", headers={"Accept-Language": "zh-CN"}).text
    assert "获取博览会资质证明" in zh


def test_an_officer_has_no_attestation_page(node, client, keys):
    sign_in(client, keys.officer)
    assert client.get("/ui/attestation").status_code == 403
    assert 'href="/ui/attestation"' not in client.get("/ui").text


def test_a_trader_registers_at_the_expo_by_pasting_or_uploading_it(node, client, keys, tmp_path):
    key = _signing(node)
    token = client.post("/attestations", json={}, headers=keys.trader).json()["token"]
    expo = _expo(node, key, tmp_path)
    try:
        pasted = _expo_browser(expo)
        form = pasted.get("/ui/register")
        done = pasted.post(
            "/ui/register", data={"csrf": csrf_of(form), "attestation": f"\n{token}\n"}
        )
        assert done.status_code == 201 and "data-registered" in done.text
        api_key = re.search(r'<code class="api-key" dir="ltr">([^<]+)</code>', done.text)
        assert api_key is not None
        assert pasted.get("/ui/suggestions").status_code == 200  # signed in
        uploaded = _expo_browser(expo)
        form = uploaded.get("/ui/register")
        again = uploaded.post(
            "/ui/register",
            data={"csrf": csrf_of(form)},
            files={"file": ("attestation.jws", token.encode(), "application/jose")},
        )
        assert again.status_code == 201
        assert uploaded.get("/ui/suggestions").status_code == 200
    finally:
        expo.close()


def test_the_expo_refuses_what_is_not_an_attestation_in_the_reader_s_language(
    node, client, keys, tmp_path
):
    key = _signing(node)
    expo = _expo(node, key, tmp_path)
    try:
        browser = _expo_browser(expo)
        form = browser.get("/ui/register")
        refused = browser.post(
            "/ui/register", data={"csrf": csrf_of(form), "attestation": "not.a.token"}
        )
        assert refused.status_code == 422
        assert 'data-refused="attestation_malformed"' in refused.text
        empty = browser.post("/ui/register", data={"csrf": csrf_of(form)})
        assert empty.status_code == 422
        assert browser.get("/ui/suggestions").status_code == 401  # nobody signed in
        browser.post(
            "/ui/language", data={"csrf": csrf_of(form), "language": "ur", "to": "/ui/register"}
        )
        urdu = browser.post("/ui/register", data={"csrf": csrf_of(form), "attestation": "x"})
        assert "تصدیق نامہ مسترد کر دیا گیا" in urdu.text
        assert "یہ تصدیق نامہ نہیں" in urdu.text and "It is not" not in urdu.text
    finally:
        expo.close()
