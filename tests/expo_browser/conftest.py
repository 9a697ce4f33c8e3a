"""The expo served by uvicorn on a free port, with two participants who have one meeting, and
the system Chromium started with a fake camera and microphone (Playwright never downloads a
browser). Its own package: the node's browser tests keep one Chromium for their package, and
Playwright's sync API allows one at a time."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest
import uvicorn
from fastapi.testclient import TestClient
from playwright.sync_api import Browser, sync_playwright

from karakoram.expo.bootstrap import Expo
from karakoram.expo.domain.schedule import SlotGrid
from karakoram.expo.entrypoints.api import create_expo_app
from karakoram.expo.services.context import MeetingRules
from karakoram.expo.services.matching import run_matching
from karakoram.expo.services.meetings import run_schedule
from tests.browser.conftest import CHROMIUM, STARTUP_SECONDS
from tests.expo_support import CN, PK, expo_engine, make_expo

MEDIA_FLAGS = [
    "--no-sandbox",
    "--use-fake-device-for-media-stream",
    "--use-fake-ui-for-media-stream",
]


@pytest.fixture(scope="package")
def media_browser() -> Iterator[Browser]:
    if not CHROMIUM.exists():
        pytest.skip(f"browser tests skipped: no Chromium at {CHROMIUM}")
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=MEDIA_FLAGS)
        yield chromium
        chromium.close()


@dataclass
class LiveExpo:
    url: str
    expo: Expo
    keys: dict[str, str]
    meeting_id: int


def _serve(app: object) -> Iterator[str]:
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="on"))  # type: ignore[arg-type]
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + STARTUP_SECONDS
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("the test server did not start")
        time.sleep(0.02)  # polling the server's own flag, bounded by the deadline
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=STARTUP_SECONDS)
        sock.close()


def _meeting(expo: Expo) -> tuple[dict[str, str], int]:
    """A CN exhibitor and a PK buyer, matched, both accepted, with a meeting scheduled."""
    client = TestClient(create_expo_app(expo.ctx))
    keys, heads = {}, {}
    for name, token in (
        ("cn", CN.attest("91650100MA77XY1234", "Kashgar Trading", aeo=True)),
        ("pk", PK.attest("PK-9000", "Gilgit Mobiles")),
    ):
        keys[name] = client.post("/participants", json={"attestation": token}).json()["api_key"]
        heads[name] = {"Authorization": f"Bearer {keys[name]}"}
    offer = {"side": "offer", "ref": "phone", "hs_code": "851713", "titles": {"en": "5G phone"},
             "origin": "CN", "quantity": 5, "unit": "H87"}  # fmt: skip
    client.post("/listings", json=offer, headers=heads["cn"])
    client.post("/listings", json=offer | {"side": "seek", "ref": "want"}, headers=heads["pk"])
    run_matching(expo.ctx)
    (s,) = client.get("/suggestions", headers=heads["cn"]).json()
    for h in heads.values():
        client.post(f"/suggestions/{s['id']}/answer", json={"answer": "accepted"}, headers=h)
    for name, zone in (("cn", "Asia/Urumqi"), ("pk", "Asia/Karachi")):
        window = {"start": "2026-12-01T08:00:00", "end": "2026-12-01T18:00:00"}
        client.put("/availability", json={"zone": zone, "windows": [window]}, headers=heads[name])
    rid = client.post(f"/suggestions/{s['id']}/meeting-request", headers=heads["pk"]).json()["id"]
    client.post(f"/meeting-requests/{rid}/answer", json={"answer": "accepted"}, headers=heads["cn"])
    run_schedule(expo.ctx)
    (m,) = client.get("/meetings", headers=heads["cn"]).json()
    return keys, m["id"]


@pytest.fixture
def live_expo(tmp_path: Path) -> Iterator[LiveExpo]:
    for engine in expo_engine("sqlite", tmp_path):
        expo = make_expo(engine)
        grid = SlotGrid(datetime(2026, 12, 1, tzinfo=UTC), 20, 72)
        expo.ctx.meetings = MeetingRules(grid, solver_seconds=10)
        keys, meeting_id = _meeting(expo)
        for url in _serve(create_expo_app(expo.ctx)):
            yield LiveExpo(url, expo, keys, meeting_id)
