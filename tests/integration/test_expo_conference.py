"""Conference tokens on SQLite and PostgreSQL: the organiser puts a session with a speaker;
a speaker's and a listener's LiveKit tokens carry the claims LiveKit reads (signed HS256 with
the deployment's secret, the `video` grant, publish for the speaker only), a Jitsi token the
claims prosody's token auth reads; no SFU, a session over or unknown, or no key: refused.
No SFU server runs here: the tests stop at the tokens' claims."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from fastapi.testclient import TestClient
from joserfc import jwt
from joserfc.errors import BadSignatureError
from joserfc.jwk import OctKey
from pydantic import ValidationError

from karakoram.expo.bootstrap import sfu_tokens
from karakoram.expo.config import ExpoSettings
from karakoram.expo.entrypoints.api import create_expo_app
from karakoram.expo.services.participants import key_hash
from tests.integration.test_expo_web import expo, keys  # noqa: F401

ORGANISER = "organiser-" + "k" * 32
SECRET = "sfu-secret-" + "s" * 32
TALK = {
    "title": "Cross-border e-commerce through Khunjerab", "speakers": [],
    "starts_at": "2026-12-01T10:00:00+05:00", "ends_at": "2026-12-01T11:00:00+05:00",
}  # fmt: skip


def _sfu(kind: str):  # type: ignore[no-untyped-def]
    url = "wss://sfu.expo.example" if kind == "livekit" else "https://meet.expo.example"
    settings = ExpoSettings(  # type: ignore[call-arg]
        secret_key="x" * 40, sfu_kind=kind, sfu_url=url, sfu_api_key="APIexpo",
        sfu_api_secret=SECRET,
    )  # fmt: skip
    return sfu_tokens(settings)


def _h(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


@pytest.fixture
def api(expo, keys) -> TestClient:  # noqa: F811
    expo.ctx.organiser_key_hash = key_hash(ORGANISER, expo.ctx)
    expo.ctx.sfu = _sfu("livekit")
    client = TestClient(create_expo_app(expo.ctx))
    speaker = client.get("/participants/me", headers=_h(keys["cn"])).json()["id"]
    put = client.put("/organiser/conference/khunjerab-ecommerce",
                     json=TALK | {"speakers": [speaker]}, headers=_h(ORGANISER))  # fmt: skip
    assert put.status_code == 200, put.text
    return client


def _claims(token: str) -> dict:
    return dict(jwt.decode(token, OctKey.import_key(SECRET), algorithms=["HS256"]).claims)


def test_livekit_tokens_let_the_speaker_publish_and_the_audience_watch(api, keys):  # noqa: F811
    assert [s["slug"] for s in api.get("/conference").json()] == ["khunjerab-ecommerce"]
    got = {}
    for who in ("cn", "pk"):
        answer = api.post("/conference/khunjerab-ecommerce/token", headers=_h(keys[who]))
        assert answer.status_code == 200, answer.text
        got[who] = answer.json()
    speaker, listener = got["cn"], got["pk"]
    assert speaker["kind"] == "livekit" and speaker["url"] == "wss://sfu.expo.example"
    c = _claims(speaker["token"])
    assert c["iss"] == "APIexpo" and c["name"] == "Kashgar Trading"
    grant = {"room": "expo-khunjerab-ecommerce", "roomJoin": True, "canPublish": True}
    assert c["video"] == grant | {"canPublishData": True, "canSubscribe": True}
    # good from 15 minutes before the start (05:00 UTC) until the end (06:00 UTC)
    assert c["nbf"] == int(datetime(2026, 12, 1, 4, 45, tzinfo=UTC).timestamp())
    assert c["exp"] == int(datetime(2026, 12, 1, 6, 0, tzinfo=UTC).timestamp())
    other = _claims(listener["token"])
    assert other["video"]["canPublish"] is False and other["video"]["canSubscribe"] is True
    assert other["sub"] != c["sub"] and listener["speaker"] is False
    with pytest.raises(BadSignatureError):
        jwt.decode(speaker["token"], OctKey.import_key("another-" + "s" * 32), algorithms=["HS256"])


def test_a_jitsi_token_carries_what_prosody_reads(expo, api, keys):  # noqa: F811
    expo.ctx.sfu = _sfu("jitsi")
    answer = api.post("/conference/khunjerab-ecommerce/token", headers=_h(keys["pk"])).json()
    c = _claims(answer["token"])
    assert (c["aud"], c["iss"], c["sub"], c["room"]) == (
        "jitsi", "APIexpo", "meet.expo.example", "expo-khunjerab-ecommerce"
    )  # fmt: skip
    assert c["context"]["user"]["name"] == "Gilgit Mobiles" and c["moderator"] is False


def test_refusals(expo, api, keys):  # noqa: F811
    path = "/conference/khunjerab-ecommerce/token"
    assert api.post(path).status_code == 401
    assert api.post("/conference/nope/token", headers=_h(keys["pk"])).status_code == 404
    assert api.put("/organiser/conference/x", json=TALK, headers=_h(keys["pk"])).status_code == 401
    bad = api.put("/organiser/conference/Bad Slug", json=TALK | {"speakers": [999],
                  "ends_at": "2026-12-01T09:00:00+05:00"}, headers=_h(ORGANISER))  # fmt: skip
    assert bad.status_code == 422
    assert {e["code"] for e in bad.json()["errors"]} == {
        "invalid_slug",
        "invalid_times",
        "unknown_participant",
    }
    expo.ctx.clock = lambda: datetime(2026, 12, 1, 6, 0, tzinfo=UTC)
    over = api.post(path, headers=_h(keys["pk"]))
    assert over.status_code == 409 and over.json()["code"] == "session_over"
    expo.ctx.sfu = None
    none = api.post(path, headers=_h(keys["pk"]))
    assert none.status_code == 409 and none.json()["code"] == "no_sfu"


def test_an_sfu_without_its_secret_is_refused_at_start():
    with pytest.raises(ValidationError):
        ExpoSettings(secret_key="x" * 40, sfu_kind="livekit", sfu_url="wss://x")  # type: ignore[call-arg]


def test_the_openapi_document_lists_the_new_routes(api):
    paths = api.get("/openapi.json").json()["paths"]
    assert {
        "/threads/{suggestion_id}/messages", "/threads/verify", "/receipt-key",
        "/organiser/report", "/organiser/report.xlsx", "/conference",
        "/organiser/conference/{slug}", "/conference/{slug}/token",
    } <= set(paths)  # fmt: skip
