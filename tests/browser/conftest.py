"""A node served by uvicorn on a free port, driven through Debian's Chromium with Playwright.

The browser is the system one (`/usr/bin/chromium`, or KARAKORAM_CHROMIUM): Playwright never
downloads its own. Without it these tests are skipped and say why; `.ci/run` installs it.
Each test may save screenshots with `shot(page, name)`; they are kept under
`artefacts/screenshots/` (or KARAKORAM_ARTEFACTS) after the run.
Every page listens for `securitypolicyviolation`: a test whose pages broke the Content Security
Policy (an inline style or script, a foreign source) fails after it ran, naming each violation.
"""

from __future__ import annotations

import os
import socket
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import uvicorn
from playwright.sync_api import Browser, Page, expect, sync_playwright
from sqlalchemy import Engine

from karakoram.adapters.db.engine import build_engine
from karakoram.adapters.db.migrate import upgrade
from karakoram.bootstrap import Node, bootstrap
from karakoram.config import load_settings
from karakoram.data import EXAMPLE_EDITION
from karakoram.domain.declaration.nomenclature_file import read_nomenclature
from karakoram.entrypoints.http.app import create_app
from karakoram.services.nomenclature import replace_nomenclature
from tests.conftest import EXAMPLE_HS, fast_hasher
from tests.integration.conftest import Keys

CHROMIUM = Path(os.environ.get("KARAKORAM_CHROMIUM", "/usr/bin/chromium"))
ARTEFACTS = Path(os.environ.get("KARAKORAM_ARTEFACTS", "artefacts")) / "screenshots"
STARTUP_SECONDS = 20.0


@dataclass
class Live:
    """A running node: its address, its composition root and a key for every role."""

    url: str
    node: Node
    keys: Keys

    def key(self, role: str) -> str:
        """The raw API key of the user for `role` (trader, officer, supervisor, analyst, ...)."""
        return getattr(self.keys, role)["Authorization"].removeprefix("Bearer ")


#: assertions poll for up to 15 s (Playwright's default is 5 s): on a loaded 2-core machine
#: parsing Plotly and drawing three charts took longer than that
expect.set_options(timeout=15_000)


#: one browser for this package, closed when its tests are done: Playwright's sync API keeps an
#: event loop running in the main thread while it is open, and every later `asyncio.run` (the
#: e2e and integration tests') would fail on it
@pytest.fixture(scope="package")
def browser() -> Iterator[Browser]:
    if not CHROMIUM.exists():
        pytest.skip(
            f"browser tests skipped: no Chromium at {CHROMIUM} "
            "(install Debian's chromium, as .ci/run does, or set KARAKORAM_CHROMIUM)"
        )
    with sync_playwright() as playwright:
        # --no-sandbox: CI runs as root in a container, where Chromium's sandbox cannot start
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=["--no-sandbox"])
        yield chromium
        chromium.close()


def _serve(node: Node) -> Iterator[str]:
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(create_app(node), log_level="warning", lifespan="on"))
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


@pytest.fixture
def live(tmp_path: Path) -> Iterator[Live]:
    """A fresh node on SQLite (the UI's storage is tested on both stores in test_web*.py)."""
    engine: Engine = build_engine(f"sqlite:///{tmp_path / 'node.db'}")
    upgrade(engine)
    node = bootstrap(
        load_settings(database_url=str(engine.url), analytics_dir=str(tmp_path / "analytics")),
        engine=engine,
        hasher=fast_hasher(),
    )
    replace_nomenclature(EXAMPLE_EDITION, read_nomenclature(EXAMPLE_HS), node.ctx)
    keys = Keys(node)
    for url in _serve(node):
        yield Live(url, node, keys)
    engine.dispose()


#: every document reports each CSP violation to the test (see `csp_violations`)
CSP_LISTENER = """
document.addEventListener("securitypolicyviolation", (e) => {
  window.__karakoramCsp({
    page: document.location.pathname, directive: e.violatedDirective,
    blocked: e.blockedURI, source: e.sourceFile, line: e.lineNumber, sample: e.sample,
  });
}, true);
"""


@pytest.fixture
def csp_violations() -> list[dict[str, object]]:
    """The CSP violations the test's pages reported; the `page` fixture fails on any left."""
    return []


@pytest.fixture
def page(browser: Browser, live: Live, csp_violations: list[dict[str, object]]) -> Iterator[Page]:
    context = browser.new_context(base_url=live.url, viewport={"width": 1280, "height": 900})
    context.set_default_timeout(10_000)
    context.expose_binding("__karakoramCsp", lambda _source, found: csp_violations.append(found))
    context.add_init_script(CSP_LISTENER)
    tab = context.new_page()
    yield tab
    if not tab.is_closed():
        tab.evaluate("0")  # a round trip, so a report still in flight has arrived
    context.close()
    assert not csp_violations, f"the page broke its Content Security Policy: {csp_violations}"


@pytest.fixture
def shot() -> Callable[[Page, str], Path]:
    """Save a full-page screenshot as a test artefact; returns its path."""

    def save(tab: Page, name: str) -> Path:
        ARTEFACTS.mkdir(parents=True, exist_ok=True)
        path = ARTEFACTS / f"{name}.png"
        tab.screenshot(path=str(path), full_page=True)
        return path

    return save


def sign_in(tab: Page, live: Live, role: str) -> None:
    """Sign in through the form with the API key of `role`'s user and land on the home page."""
    tab.goto("/ui/sign-in")
    tab.fill("input[name=api_key]", live.key(role))
    tab.click("form[action$='/sign-in'] button[type=submit]")
    tab.wait_for_url("**/ui")
