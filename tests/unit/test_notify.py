"""The notifications' pure parts: the webhook signature, the addresses refused, the targets
checked, the back-off, and the outbox's queueing through fakes (changes made together told once,
only the owner's endpoints, nothing for an event that keeps the state)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from karakoram.domain.clearance import DeclarationEvent
from karakoram.domain.declaration.model import DeclarationRecord
from karakoram.domain.declaration.validation import parse_declaration
from karakoram.domain.errors import ValidationFailed
from karakoram.domain.notify import (
    Channel,
    Endpoint,
    check_target,
    next_attempt,
    refused_address,
    sign,
    verify,
)
from karakoram.services.notify.outbox import enqueue_status_changes
from tests.builders import TRADER, declaration
from tests.unit.fakes import FakeStore, FakeUnitOfWork, fake_context

AT = datetime(2026, 5, 4, 8, 0, tzinfo=UTC)


def test_a_signature_verifies_with_its_secret_only_and_only_while_fresh() -> None:
    header = sign("s3cret", 1_700_000_000, b'{"a":1}')
    assert header.startswith("t=1700000000,v1=")
    assert verify("s3cret", header, b'{"a":1}', 1_700_000_100)
    assert not verify("other", header, b'{"a":1}', 1_700_000_100)
    assert not verify("s3cret", header, b'{"a":2}', 1_700_000_100)
    assert not verify("s3cret", header, b'{"a":1}', 1_700_001_000)
    assert not verify("s3cret", "garbage", b'{"a":1}', 1_700_000_000)


@pytest.mark.parametrize(
    ("address", "refused"),
    [
        ("127.0.0.1", True),
        ("10.0.0.8", True),
        ("172.16.5.4", True),
        ("192.168.1.1", True),
        ("169.254.169.254", True),
        ("::1", True),
        ("fe80::1%eth0", True),
        ("fd00::1", True),
        ("::ffff:127.0.0.1", True),
        ("0.0.0.0", True),
        ("224.0.0.1", True),
        ("93.184.216.34", False),
        ("2606:4700::6810:84e5", False),
    ],
)
def test_addresses_a_webhook_may_not_reach(address: str, refused: bool) -> None:
    assert refused_address(address) is refused


@pytest.mark.parametrize(
    ("channel", "target", "code"),
    [
        ("webhook", "http://example.com/x", "not_https"),
        ("webhook", "https://user:pw@example.com/x", "invalid_url"),
        ("webhook", "https:///x", "invalid_url"),
        ("email", "no-at-sign", "invalid_email"),
        ("email", "a b@example.com", "invalid_email"),
        ("fax", "123", "invalid_channel"),
        ("email", "", "required"),
        ("webhook", "https://[::1/x", "invalid_url"),
        ("webhook", "https://example.com:99999/x", "invalid_url"),
        ("webhook", "https://example.com/\x00", "invalid_format"),
        ("email", "desk@example.com\u2028Bcc: x@y.z", "invalid_format"),
    ],
)
def test_targets_that_are_refused(channel: str, target: str, code: str) -> None:
    with pytest.raises(ValidationFailed) as refused:
        check_target(channel, target)
    assert [e.code for e in refused.value.errors] == [code]


def test_the_backoff_doubles_up_to_its_cap() -> None:
    waits = [(next_attempt(n, AT, 5, 60) - AT).total_seconds() for n in range(1, 7)]
    assert waits == [5, 10, 20, 40, 60, 60]


def test_changes_made_together_are_told_once_to_each_of_the_owners_endpoints() -> None:
    ctx = fake_context()
    document = parse_declaration(declaration(), ctx.codes, ctx.rules)
    record = DeclarationRecord("26CNABCDEFGHJKLMNE5", TRADER, document, "d", "assessed", AT, AT, 3)
    uow = FakeUnitOfWork(FakeStore())
    for target in ("https://a.example/h", "desk@example.com"):
        kind = Channel.WEBHOOK if target.startswith("https") else Channel.EMAIL
        uow.notifications.add_endpoint(Endpoint(0, TRADER, kind, target, "t", AT))
    uow.notifications.add_endpoint(Endpoint(0, "SOMEONE-ELSE", Channel.EMAIL, "x@y.z", "t", AT))
    events = [
        DeclarationEvent("lodge", None, "lodged", "t", AT),
        DeclarationEvent("accept", "lodged", "accepted", "node", AT),
        DeclarationEvent("assess", "accepted", "assessed", "node", AT + timedelta(seconds=1)),
    ]
    assert enqueue_status_changes(uow, [(record, e) for e in events]) == 2
    payloads = [d.payload for d in uow.delivery_rows.values()]
    assert all('"from":null' in p and '"to":"assessed"' in p for p in payloads)
    same = DeclarationEvent("answer_documents", "held", "held", "t", AT)
    assert enqueue_status_changes(uow, [(replace(record, status="held"), same)]) == 0


def test_production_refuses_webhooks_to_private_addresses() -> None:
    from pydantic import ValidationError

    from karakoram.config import Settings

    with pytest.raises(ValidationError, match="allow_private_addresses is for tests"):
        Settings(environment="production", notify={"allow_private_addresses": True})
