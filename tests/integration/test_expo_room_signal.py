"""The meeting room's WebSocket, without a browser: only the meeting's signed-in participants
from the expo's own page may join; signals go to the one peer named, the chat to everyone; the
fifth peer finds the room full; minutes sent in the room are kept with the meeting."""

from __future__ import annotations

import contextlib
import re
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from starlette.websockets import WebSocketDisconnect

from karakoram.expo.entrypoints.api import create_expo_app
from karakoram.expo.services.meetings import run_schedule
from tests.expo_support import PK
from tests.integration.test_expo_web import _post, browser, expo, keys  # noqa: F401

#: the test client opens WebSockets on ws://testserver, whatever its base URL
ORIGIN = "http://testserver"


@pytest.fixture
def meeting(expo, keys) -> int:  # noqa: F811
    cn, pk = browser(expo, keys["cn"]), browser(expo, keys["pk"])
    sid = re.search(r"/ui/suggestions/(\d+)/answer", cn.get("/ui/suggestions").text).group(1)  # type: ignore[union-attr]
    for who in (cn, pk):
        _post(who, "/ui/suggestions", f"/ui/suggestions/{sid}/answer", answer="accepted")
    _post(pk, "/ui/suggestions", f"/ui/suggestions/{sid}/meeting-request")
    rid = re.search(r"/ui/meeting-requests/(\d+)/answer", cn.get("/ui/meetings").text).group(1)  # type: ignore[union-attr]
    _post(cn, "/ui/meetings", f"/ui/meeting-requests/{rid}/answer", answer="accepted")
    for who in (cn, pk):
        _post(who, "/ui/meetings", "/ui/availability", zone="UTC",
              start="2026-12-01T08:00", end="2026-12-01T09:00")  # fmt: skip
    assert len(run_schedule(expo.ctx).plan) == 1
    with expo.ctx.uow() as uow:
        (m,) = uow.meetings()
    return m.id


@pytest.fixture
def stack() -> Iterator[contextlib.ExitStack]:
    with contextlib.ExitStack() as opened:
        yield opened


def _socket(loop: TestClient, browser: TestClient, meeting_id: int, origin: str = ORIGIN):  # type: ignore[no-untyped-def]
    """A WebSocket with `browser`'s cookie, opened through `loop`: every socket of a test goes
    through one client, so all of them live on one event loop, as under uvicorn."""
    cookie = "; ".join(f"{k}={v}" for k, v in browser.cookies.items())
    return loop.websocket_connect(
        f"/ui/meetings/{meeting_id}/signal", headers={"origin": origin, "cookie": cookie}
    )


def test_two_members_signal_and_chat_and_keep_minutes(expo, keys, meeting, stack):  # noqa: F811
    app = create_expo_app(expo.ctx)  # one app: one set of rooms
    # entered, the client keeps one event loop for all its sockets (else one loop per socket)
    loop = stack.enter_context(TestClient(app))
    cn, pk = browser(expo, keys["cn"], app), browser(expo, keys["pk"], app)
    with _socket(loop, cn, meeting) as a:
        hello_a = a.receive_json()
        assert hello_a["type"] == "welcome" and hello_a["peers"] == []
        with _socket(loop, pk, meeting) as b:
            hello_b = b.receive_json()
            assert [p["name"] for p in hello_b["peers"]] == ["Kashgar Trading"]
            joined = a.receive_json()
            assert joined == {"type": "joined", "peer": hello_b["you"]}
            b.send_json({"type": "signal", "to": hello_a["you"]["id"], "data": {"sdp": "x"}})
            assert a.receive_json() == {
                "type": "signal", "from": hello_b["you"]["id"], "data": {"sdp": "x"},
            }  # fmt: skip
            a.send_json({"type": "chat", "text": "118 USD?"})
            for ws in (a, b):
                said = ws.receive_json()
                assert (said["type"], said["name"], said["text"]) == (
                    "chat",
                    "Kashgar Trading",
                    "118 USD?",
                )
            b.send_json({"type": "minutes", "text": "Agreed at 118 USD."})
            assert b.receive_json() == {"type": "minutes-saved"}
            assert a.receive_json()["text"] == "Agreed at 118 USD."
        assert a.receive_json() == {"type": "left", "id": hello_b["you"]["id"]}
    with expo.ctx.uow() as uow:
        assert uow.meeting(meeting).minutes == "Agreed at 118 USD."  # type: ignore[union-attr]


def test_strangers_other_origins_and_a_fifth_peer_are_refused(expo, keys, meeting, stack):  # noqa: F811
    app = create_expo_app(expo.ctx)
    api = loop = stack.enter_context(TestClient(app))
    token = PK.attest("PK-1", "Stranger")
    stranger_key = api.post("/participants", json={"attestation": token}).json()["api_key"]
    for client, origin in (
        (browser(expo, stranger_key, app), ORIGIN),
        (browser(expo, keys["cn"], app), "http://evil.example"),
        (browser(expo, None, app), ORIGIN),
    ):
        with (
            pytest.raises(WebSocketDisconnect) as refused,
            _socket(loop, client, meeting, origin) as ws,
        ):
            ws.receive_json()
        assert refused.value.code == 4403
    cn = browser(expo, keys["cn"], app)
    with contextlib.ExitStack() as four:
        for _ in range(4):
            four.enter_context(_socket(loop, cn, meeting)).receive_json()
        with _socket(loop, cn, meeting) as fifth:
            assert fifth.receive_json() == {"type": "full"}
