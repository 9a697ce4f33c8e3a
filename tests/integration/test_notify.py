"""Notifications of status changes, end to end against real receivers: a webhook over real TLS
(a test CA from trustme) whose signature verifies, retried after a failing answer, refused at a
private address outside test configurations, and logged; an e-mail through a real SMTP server
(aiosmtpd) with STARTTLS. On SQLite and PostgreSQL."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import trustme
from fastapi.testclient import TestClient
from sqlalchemy import Engine, text

from karakoram.bootstrap import Node, bootstrap
from karakoram.bootstrap_notify import notification_sender
from karakoram.config import load_settings
from karakoram.domain.notify import DELIVERY_HEADER, SIGNATURE_HEADER, verify
from karakoram.entrypoints.http.app import create_app
from karakoram.services.notify.outbox import deliver_due
from tests.builders import declaration
from tests.conftest import fast_hasher
from tests.integration.conftest import Keys
from tests.integration.test_web import csrf_of, sign_in
from tests.notify_receivers import SmtpServer, make_ca, smtp_server, webhook_receiver
from tests.unit.fakes import Clock


@pytest.fixture
def ca(tmp_path: Path) -> tuple[trustme.CA, Path]:
    return make_ca(tmp_path)


def build(engine: Engine, tmp_path: Path, clock: Clock, **notify: Any) -> Node:
    settings = load_settings(
        database_url=str(engine.url),
        analytics_dir=str(tmp_path / "analytics"),
        notify={"first_retry": 30.0, **notify},
    )
    return bootstrap(settings, engine=engine, hasher=fast_hasher(), clock=clock)


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def test_node(
    engine: Engine, tmp_path: Path, clock: Clock, ca: tuple[trustme.CA, Path]
) -> Iterator[Node]:
    """A node in a test configuration: private addresses allowed, the test CA trusted."""
    node = build(engine, tmp_path, clock, allow_private_addresses=True, ca_bundle=str(ca[1]))
    yield node


@pytest.fixture
def api(test_node: Node) -> Iterator[TestClient]:
    with TestClient(create_app(test_node)) as client:
        yield client


def deliver(node: Node) -> bool:
    sender = notification_sender(node)
    try:
        return deliver_due(node.ctx, sender)
    finally:
        sender.close()


def register(api: TestClient, keys: Keys, channel: str, target: str) -> dict[str, Any]:
    answer = api.post(
        "/notifications/endpoints", json={"channel": channel, "target": target}, headers=keys.trader
    )
    assert answer.status_code == 201, answer.text
    return dict(answer.json())


def lodge(api: TestClient, keys: Keys, lrn: str = "NOTIFY-1") -> str:
    lodged = api.post("/declarations", json=declaration(lrn=lrn), headers=keys.trader)
    assert lodged.status_code == 201, lodged.text
    return str(lodged.json()["mrn"])


def test_a_status_change_reaches_the_webhook_signed_with_the_endpoint_secret(
    test_node: Node, api: TestClient, ca: tuple[trustme.CA, Path]
) -> None:
    keys = Keys(test_node)
    with webhook_receiver(ca[0]) as receiver:
        endpoint = register(api, keys, "webhook", receiver.url)
        assert endpoint["secret"] and len(endpoint["secret"]) >= 40
        mrn = lodge(api, keys)
        assert deliver(test_node)
        got = receiver.next()
    change = json.loads(got.body)
    assert (change["type"], change["mrn"], change["lrn"]) == (
        "declaration.status_changed",
        mrn,
        "NOTIFY-1",
    )
    assert change["from"] is None and change["to"]
    assert got.headers[DELIVERY_HEADER] == change["id"]
    signature = got.headers[SIGNATURE_HEADER]
    assert verify(endpoint["secret"], signature, got.body, int(time.time()))
    assert not verify("another secret", signature, got.body, int(time.time()))
    assert not verify(endpoint["secret"], signature, got.body + b" ", int(time.time()))
    # the secret is shown once: the list and the same address again withhold it
    listed = api.get("/notifications/endpoints", headers=keys.trader).json()
    assert [e["secret"] for e in listed] == [None]
    again = api.post(
        "/notifications/endpoints",
        json={"channel": "webhook", "target": receiver.url},
        headers=keys.trader,
    )
    assert (again.status_code, again.json()["id"], again.json()["secret"]) == (
        200,
        endpoint["id"],
        None,
    )


def test_a_failing_receiver_is_tried_again_after_the_backoff_and_the_log_shows_both(
    test_node: Node, api: TestClient, ca: tuple[trustme.CA, Path], clock: Clock
) -> None:
    keys = Keys(test_node)
    with webhook_receiver(ca[0], answers=[503]) as receiver:
        register(api, keys, "webhook", receiver.url)
        mrn = lodge(api, keys)
        assert deliver(test_node)
        first = receiver.next()
        assert not deliver(test_node), "tried again before its back-off"
        clock.advance(seconds=31)
        assert deliver(test_node)
        second = receiver.next()
    assert first.headers[DELIVERY_HEADER] == second.headers[DELIVERY_HEADER]
    assert first.body == second.body
    log = api.get("/notifications/deliveries", headers=keys.trader).json()
    assert [(d["mrn"], d["status"]) for d in log] == [(mrn, "delivered")]
    assert [(a["ok"], a["status_code"]) for a in log[0]["attempts"]] == [
        (False, 503),
        (True, 200),
    ]
    # another trader sees none of it
    assert api.get("/notifications/deliveries", headers=keys.other).json() == []


def test_the_outbox_survives_a_restart(
    test_node: Node,
    api: TestClient,
    ca: tuple[trustme.CA, Path],
    engine: Engine,
    tmp_path: Path,
    clock: Clock,
) -> None:
    keys = Keys(test_node)
    with webhook_receiver(ca[0]) as receiver:
        register(api, keys, "webhook", receiver.url)
        mrn = lodge(api, keys)
        # another node process on the same database delivers what this one queued
        restarted = build(
            engine, tmp_path, clock, allow_private_addresses=True, ca_bundle=str(ca[1])
        )
        assert deliver(restarted)
        assert json.loads(receiver.next().body)["mrn"] == mrn


def test_a_receiver_that_never_answers_well_ends_dead_after_max_attempts(
    engine: Engine, tmp_path: Path, clock: Clock, ca: tuple[trustme.CA, Path]
) -> None:
    node = build(
        engine,
        tmp_path,
        clock,
        allow_private_addresses=True,
        ca_bundle=str(ca[1]),
        max_attempts=2,
    )
    keys = Keys(node)
    with (
        webhook_receiver(ca[0], answers=[500, 500, 500]) as receiver,
        TestClient(create_app(node)) as api,
    ):
        register(api, keys, "webhook", receiver.url)
        lodge(api, keys)
        assert deliver(node)
        clock.advance(hours=1)
        assert deliver(node)
        clock.advance(hours=1)
        assert not deliver(node)
        log = api.get("/notifications/deliveries", headers=keys.trader).json()
    assert log[0]["status"] == "dead"
    assert [a["status_code"] for a in log[0]["attempts"]] == [500, 500]


def test_a_webhook_at_a_private_address_is_refused_outside_test_configurations(
    engine: Engine, tmp_path: Path, clock: Clock
) -> None:
    node = build(engine, tmp_path, clock)
    keys = Keys(node)
    with TestClient(create_app(node)) as api:
        for target, code in [
            ("https://127.0.0.1:8443/hook", "private_address"),
            ("https://10.1.2.3/hook", "private_address"),
            ("https://169.254.169.254/latest", "private_address"),
            ("https://[::1]/hook", "private_address"),
            ("https://localhost/hook", "private_address"),
            ("http://hooks.example.com/hook", "not_https"),
            ("https://no-such-host.invalid/hook", "unresolved"),
        ]:
            answer = api.post(
                "/notifications/endpoints",
                json={"channel": "webhook", "target": target},
                headers=keys.trader,
            )
            assert answer.status_code == 422, (target, answer.text)
            problem = answer.json()
            assert [(e["code"], e["pointer"]) for e in problem["errors"]] == [(code, "/target")]
        assert api.get("/notifications/endpoints", headers=keys.trader).json() == []


def test_only_traders_register_endpoints_and_bad_input_is_a_422(
    test_node: Node, api: TestClient
) -> None:
    keys = Keys(test_node)
    refused = api.post(
        "/notifications/endpoints",
        json={"channel": "email", "target": "officer@example.com"},
        headers=keys.officer,
    )
    assert refused.status_code == 403
    for body, pointer in [
        ({"channel": "pigeon", "target": "x"}, "/channel"),
        ({"channel": "email", "target": "not an address"}, "/target"),
        ({"channel": "email", "target": ""}, "/target"),
    ]:
        answer = api.post("/notifications/endpoints", json=body, headers=keys.trader)
        assert answer.status_code == 422, answer.text
        assert [e["pointer"] for e in answer.json()["errors"]] == [pointer]


def test_an_endpoint_removed_is_no_longer_notified_and_stays_in_the_audit_chain(
    test_node: Node, api: TestClient
) -> None:
    keys = Keys(test_node)
    endpoint = register(api, keys, "email", "desk@kashgar-trading.example")
    removed = api.post(f"/notifications/endpoints/{endpoint['id']}/remove", headers=keys.trader)
    assert removed.status_code == 204
    again = api.post(f"/notifications/endpoints/{endpoint['id']}/remove", headers=keys.trader)
    assert again.status_code == 404
    lodge(api, keys)
    assert not deliver(test_node)
    with test_node.engine.connect() as conn:
        rows = conn.execute(
            text("SELECT kind FROM audit_log WHERE subject = :s ORDER BY seq"),
            {"s": f"notify/{endpoint['id']}"},
        )
        kinds = [r.kind for r in rows]
    assert kinds == ["notify.endpoint_added", "notify.endpoint_removed"]


def test_a_status_change_reaches_the_trader_by_email_over_starttls(
    engine: Engine, tmp_path: Path, clock: Clock, ca: tuple[trustme.CA, Path]
) -> None:
    with smtp_server(ca[0]) as smtp:
        node = mail_node(engine, tmp_path, clock, ca[1], smtp)
        keys = Keys(node)
        with TestClient(create_app(node)) as api:
            register(api, keys, "email", "desk@kashgar-trading.example")
            mrn = lodge(api, keys)
            assert deliver(node)
            sender, recipients, message = smtp.next()
            log = api.get("/notifications/deliveries", headers=keys.trader).json()
    assert (sender, recipients) == ("customs@cn-urc.example", ["desk@kashgar-trading.example"])
    assert mrn in message["Subject"]
    assert "NOTIFY-1" in message.get_payload()[0].get_payload(decode=True).decode()
    assert [(d["channel"], d["status"]) for d in log] == [("email", "delivered")]


def mail_node(engine: Engine, tmp_path: Path, clock: Clock, bundle: Path, smtp: SmtpServer) -> Node:
    return build(
        engine,
        tmp_path,
        clock,
        smtp_host=smtp.host,
        smtp_port=smtp.port,
        smtp_starttls=True,
        smtp_from="customs@cn-urc.example",
        ca_bundle=str(bundle),
    )


def test_an_smtp_server_that_is_down_is_a_failed_attempt_tried_again(
    engine: Engine, tmp_path: Path, clock: Clock, ca: tuple[trustme.CA, Path]
) -> None:
    with smtp_server(ca[0]) as smtp:
        node = mail_node(engine, tmp_path, clock, ca[1], smtp)
    keys = Keys(node)  # the server has stopped: the first attempt fails
    with TestClient(create_app(node)) as api:
        register(api, keys, "email", "desk@kashgar-trading.example")
        lodge(api, keys)
        assert deliver(node)
        log = api.get("/notifications/deliveries", headers=keys.trader).json()
    assert log[0]["status"] == "pending"
    assert log[0]["attempts"][0]["ok"] is False and log[0]["attempts"][0]["error"]
    assert log[0]["next_attempt_at"] is not None


def test_the_notifications_page_adds_a_webhook_shows_its_secret_once_and_the_log(
    test_node: Node, api: TestClient, ca: tuple[trustme.CA, Path]
) -> None:
    keys = Keys(test_node)
    sign_in(api, keys.trader)
    page = api.get("/ui/notifications")
    assert page.status_code == 200
    refused = api.post(
        "/ui/notifications",
        data={"csrf": csrf_of(page), "channel": "webhook", "target": "http://plain.example/x"},
    )
    assert refused.status_code == 422
    assert "https://" in refused.text and 'value="http://plain.example/x"' in refused.text
    with webhook_receiver(ca[0]) as receiver:
        added = api.post(
            "/ui/notifications",
            data={"csrf": csrf_of(page), "channel": "webhook", "target": receiver.url},
        )
        assert added.status_code == 201
        secret = added.text.split('<code class="secret" dir="ltr">')[1].split("<")[0]
        mrn = lodge(api, keys)
        assert deliver(test_node)
        got = receiver.next()
    assert verify(secret, got.headers[SIGNATURE_HEADER], got.body, int(time.time()))
    later = api.get("/ui/notifications")
    assert secret not in later.text
    assert mrn in later.text and "HTTP 200" in later.text and receiver.url in later.text
