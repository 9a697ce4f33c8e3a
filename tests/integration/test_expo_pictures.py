"""Pictures of a listing on SQLite and PostgreSQL (issue 18): its owner adds PNG and JPEG
pictures told by their first bytes (text renamed .png, SVG and oversized files refused with
nothing stored), the same picture twice is kept once, anyone fetches it with its type, and the
catalogue page shows it with the listing's title and the owner's upload form."""

from __future__ import annotations

import hashlib
import io
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from PIL import Image

from karakoram.expo.bootstrap import Expo
from karakoram.expo.domain.pictures import MAX_PICTURE_BYTES, MAX_PICTURES
from karakoram.expo.entrypoints.api import create_expo_app
from tests.expo_support import CN, PK, expo_engine, make_expo

PHONE = {
    "side": "offer", "ref": "phone-1", "hs_code": "8517.13",
    "titles": {"en": "5G smartphone", "zh": "5G智能手机"}, "origin": "CN", "quantity": 500,
    "unit": "H87",
}  # fmt: skip
SVG = b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'


def image(kind: str, colour: tuple[int, int, int] = (200, 30, 30)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (8, 8), colour).save(out, kind)
    return out.getvalue()


@pytest.fixture(params=["sqlite", "postgresql"])
def expo(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Expo]:
    yield from (make_expo(engine) for engine in expo_engine(request.param, tmp_path))


@pytest.fixture
def client(expo: Expo) -> TestClient:
    return TestClient(create_expo_app(expo.ctx), base_url="http://expo.test")


@pytest.fixture
def keys(client: TestClient) -> dict[str, str]:
    found = {}
    for name, token in (
        ("cn", CN.attest("91650100MA77XY1234", "Kashgar Trading")),
        ("pk", PK.attest("PK-9000", "Gilgit Mobiles")),
    ):
        found[name] = client.post("/participants", json={"attestation": token}).json()["api_key"]
    return found


def _auth(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


@pytest.fixture
def listing(client: TestClient, keys: dict[str, str]) -> int:
    answer = client.post("/listings", json=PHONE, headers=_auth(keys["cn"]))
    assert answer.status_code == 201, answer.text
    return int(answer.json()["id"])


def _send(client, listing, key, body, media="image/png"):
    return client.post(
        f"/listings/{listing}/pictures", content=body,
        headers=_auth(key) | {"Content-Type": media},
    )  # fmt: skip


def _held(client: TestClient, listing: int, sha: str) -> int:
    return client.get(f"/listings/{listing}/pictures/{sha}").status_code


def test_the_owner_adds_png_and_jpeg_and_anyone_gets_them_with_their_type(client, keys, listing):
    for kind, media in (("PNG", "image/png"), ("JPEG", "image/jpeg")):
        body = image(kind)
        # the header is not what decides: the bytes are
        added = _send(client, listing, keys["cn"], body, "application/octet-stream")
        assert added.status_code == 201, added.text
        sha = hashlib.sha256(body).hexdigest()
        assert added.json() | {"url": ""} == {
            "listing_id": listing, "sha256": sha, "media_type": media, "size": len(body),
            "url": "",
        }  # fmt: skip
        got = TestClient(client.app).get(added.json()["url"])  # a visitor, no key
        assert got.status_code == 200 and got.content == body
        assert got.headers["content-type"] == media
        assert got.headers["x-content-type-options"] == "nosniff"
        assert "max-age=31536000" in got.headers["cache-control"]
    (found,) = client.get("/catalogue", params={"q": "smartphone"}).json()
    assert len(found["pictures"]) == 2 and all(client.get(u).content for u in found["pictures"])


def test_the_same_picture_twice_is_stored_once(client, keys, listing, expo):
    body = image("PNG")
    first = _send(client, listing, keys["cn"], body)
    again = _send(client, listing, keys["cn"], body)
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json() == first.json()
    with expo.ctx.uow() as uow:
        assert uow.pictures_of([listing]) == {listing: [first.json()["sha256"]]}


@pytest.mark.parametrize(
    ("body", "code"),
    [
        (b"id,price\nphone,120\n", "not_an_image"),  # text renamed .png
        (SVG, "not_an_image"),
        (b"\x89PNG\r\n\x1a\n" + b"\x00" * MAX_PICTURE_BYTES, "too_large"),
    ],
)
def test_what_is_no_small_picture_is_refused_and_nothing_stored(
    client, keys, listing, expo, body, code
):
    refused = _send(client, listing, keys["cn"], body, "image/png")
    assert refused.status_code == 422
    assert refused.headers["content-type"].startswith("application/problem+json")
    assert code in [e["code"] for e in refused.json()["errors"]]
    with expo.ctx.uow() as uow:
        assert uow.pictures_of([listing]) == {listing: []}


def test_a_listing_holds_at_most_four_pictures(client, keys, listing):
    for n in range(MAX_PICTURES):
        assert _send(client, listing, keys["cn"], image("PNG", (n, 0, 0))).status_code == 201
    fifth = _send(client, listing, keys["cn"], image("PNG", (99, 0, 0)))
    assert fifth.status_code == 422
    assert [e["code"] for e in fifth.json()["errors"]] == ["too_many_pictures"]


def test_only_the_owner_adds_or_removes_pictures(client, keys, listing):
    body = image("PNG")
    sha = hashlib.sha256(body).hexdigest()
    assert _send(client, listing, keys["pk"], body).status_code == 403
    assert _send(client, 999, keys["cn"], body).status_code == 404
    assert client.post(f"/listings/{listing}/pictures", content=body).status_code == 401
    assert _held(client, listing, sha) == 404
    assert _send(client, listing, keys["cn"], body).status_code == 201
    url = f"/listings/{listing}/pictures/{sha}"
    assert client.delete(url, headers=_auth(keys["pk"])).status_code == 403
    assert _held(client, listing, sha) == 200
    assert client.delete(url, headers=_auth(keys["cn"])).status_code == 204
    assert _held(client, listing, sha) == 404


def _csrf(page: str) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', page)
    assert found
    return found.group(1)


def test_the_catalogue_page_shows_the_pictures_and_the_owner_uploads_there(client, keys, listing):
    owner = TestClient(client.app, base_url="http://expo.test")
    form = owner.get("/ui/sign-in")
    owner.post("/ui/sign-in", data={"csrf": _csrf(form.text), "api_key": keys["cn"]})
    page = owner.get("/ui/catalogue", params={"q": "smartphone"})
    assert f'action="/ui/listings/{listing}/pictures"' in page.text
    assert 'enctype="multipart/form-data"' in page.text
    body = image("JPEG")
    files = {"picture": ("phone.jpg", body, "image/jpeg")}
    data = {"csrf": "forged", "to": "/ui/catalogue?q=smartphone"}
    forged = owner.post(f"/ui/listings/{listing}/pictures", data=data, files=files)
    assert forged.status_code == 403
    data["csrf"] = _csrf(page.text)
    sent = owner.post(f"/ui/listings/{listing}/pictures", data=data, files=files)
    assert sent.status_code == 200 and sent.url.path == "/ui/catalogue"
    sha = hashlib.sha256(body).hexdigest()
    tag = f'<img src="/listings/{listing}/pictures/{sha}" alt="5G smartphone"'
    visitor = TestClient(client.app).get("/ui/catalogue", params={"q": "smartphone"})
    assert tag in visitor.text and '/pictures"' not in visitor.text  # no form for visitors
    assert "img-src 'self'" in visitor.headers["content-security-policy"]
    zh = TestClient(client.app, base_url="http://expo.test")
    token = _csrf(zh.get("/ui/catalogue").text)
    zh.post("/ui/language", data={"csrf": token, "language": "zh_Hans"})
    in_chinese = zh.get("/ui/catalogue", params={"q": "smartphone"}).text
    assert 'alt="5G智能手机"' in in_chinese and "图片" in in_chinese
    renamed = {"picture": ("notes.png", b"just text, not a picture", "image/png")}
    refused = owner.post(f"/ui/listings/{listing}/pictures", data=data, files=renamed)
    assert refused.status_code == 422
