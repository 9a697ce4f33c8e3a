"""A trader registers a webhook and an e-mail address in the browser; an officer's hold then
reaches both, through the node's own notification worker: a signed POST at a real HTTPS
receiver (a test CA from trustme) and an e-mail at a real SMTP server (aiosmtpd, STARTTLS);
the trader's page shows the deliveries."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest
import trustme
from playwright.sync_api import Page, expect
from sqlalchemy import Engine

from karakoram.adapters.db.engine import build_engine
from karakoram.adapters.db.migrate import upgrade
from karakoram.bootstrap import bootstrap
from karakoram.bootstrap_notify import notification_workers
from karakoram.config import load_settings
from karakoram.data import EXAMPLE_EDITION
from karakoram.domain.declaration.nomenclature_file import read_nomenclature
from karakoram.domain.notify import SIGNATURE_HEADER, verify
from karakoram.services.nomenclature import replace_nomenclature
from tests.browser.conftest import Live, _serve, sign_in
from tests.builders import declaration
from tests.conftest import EXAMPLE_HS, fast_hasher
from tests.integration.conftest import Keys
from tests.integration.test_clearance import EXAMPLES, RATES, RULES, act, goods, load, lodge
from tests.notify_receivers import (
    Received,
    SmtpServer,
    WebhookReceiver,
    make_ca,
    smtp_server,
    webhook_receiver,
)

MAILBOX = "desk@kashgar-trading.example"


@pytest.fixture
def ca(tmp_path: Path) -> tuple[trustme.CA, Path]:
    return make_ca(tmp_path)


@pytest.fixture
def receiver(ca: tuple[trustme.CA, Path]) -> Iterator[WebhookReceiver]:
    with webhook_receiver(ca[0]) as found:
        yield found


@pytest.fixture
def smtp(ca: tuple[trustme.CA, Path]) -> Iterator[SmtpServer]:
    with smtp_server(ca[0]) as found:
        yield found


@pytest.fixture
def live(tmp_path: Path, ca: tuple[trustme.CA, Path], smtp: SmtpServer) -> Iterator[Live]:
    """The browser package's live node, with notifications set up for this machine and the
    notification worker running as `serve` runs it."""
    engine: Engine = build_engine(f"sqlite:///{tmp_path / 'node.db'}")
    upgrade(engine)
    notify = {
        "interval": 0.2,
        "allow_private_addresses": True,
        "ca_bundle": str(ca[1]),
        "smtp_host": smtp.host,
        "smtp_port": smtp.port,
        "smtp_starttls": True,
        "smtp_from": "customs@cn-urc.example",
    }
    settings = load_settings(
        database_url=str(engine.url), analytics_dir=str(tmp_path / "analytics"), notify=notify
    )
    node = bootstrap(settings, engine=engine, hasher=fast_hasher())
    replace_nomenclature(EXAMPLE_EDITION, read_nomenclature(EXAMPLE_HS), node.ctx)
    stop = threading.Event()
    threads = [w.start(stop) for w in notification_workers(node)]
    keys = Keys(node)
    try:
        for url in _serve(node):
            yield Live(url, node, keys)
    finally:
        stop.set()
        for thread in threads:
            thread.join(timeout=10)
        engine.dispose()


def webhook_telling(receiver: WebhookReceiver, state: str, seconds: float = 30) -> Received:
    """The first webhook delivery that tells of `state`, waiting at most `seconds`."""
    deadline = time.monotonic() + seconds
    while True:
        got = receiver.next(timeout=max(0.1, deadline - time.monotonic()))
        if json.loads(got.body)["to"] == state:
            return got


def mail_telling(smtp: SmtpServer, state: str, seconds: float = 30) -> str:
    deadline = time.monotonic() + seconds
    while True:
        _, _, message = smtp.next(timeout=max(0.1, deadline - time.monotonic()))
        if message["Subject"].endswith(f": {state}"):
            return str(message["Subject"])


def test_a_hold_reaches_the_traders_webhook_and_mailbox(
    page: Page,
    live: Live,
    receiver: WebhookReceiver,
    smtp: SmtpServer,
    shot: Callable[[Page, str], Path],
) -> None:
    sign_in(page, live, "trader")
    page.click("header.top nav a[href='/ui/notifications']")
    page.wait_for_url("**/ui/notifications")
    page.select_option("select[name=channel]", "webhook")
    page.fill("input[name=target]", receiver.url)
    page.click("form.notify-form button[type=submit]")
    secret = page.locator("code.secret").inner_text().strip()
    assert len(secret) >= 40
    shot(page, "trader-notifications-secret")
    page.select_option("select[name=channel]", "email")
    page.fill("input[name=target]", MAILBOX)
    page.click("form.notify-form button[type=submit]")
    expect(page.locator("ul.notify-endpoints li")).to_have_count(2)
    expect(page.locator("code.secret")).to_have_count(0)

    with httpx.Client(base_url=live.url, timeout=30) as api:
        load(api, live.keys, "rates", RATES, "text/csv")
        load(api, live.keys, "tariff", (EXAMPLES / "tariff-cn-import.toml").read_text())
        load(api, live.keys, "rules", RULES)
        mrn = lodge(api, live.keys, goods(declaration(), "740311"))["mrn"]
        act(api, live.keys, mrn, "hold", reason="The seal number differs from the manifest.")

    held = webhook_telling(receiver, "held")
    assert json.loads(held.body)["mrn"] == mrn
    assert verify(secret, held.headers[SIGNATURE_HEADER], held.body, int(time.time()))
    assert mail_telling(smtp, "held") == f"Declaration {mrn}: held"

    # the lodgement and the hold, each to the webhook and the mailbox, once the worker has
    # recorded the attempts it made (reloading the page, for at most 30 s)
    rows = page.locator("table.notify-log tr.delivery.delivered", has_text=mrn)
    deadline = time.monotonic() + 30
    while True:
        page.goto("/ui/notifications")
        if rows.count() == 4 or time.monotonic() > deadline:
            break
        page.wait_for_timeout(200)
    expect(rows).to_have_count(4)
    expect(page.locator("table.notify-log")).to_contain_text("HTTP 200")
    shot(page, "trader-notifications-log")
