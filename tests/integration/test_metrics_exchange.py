"""The exchange's metrics between two nodes in one process: deliveries, retries and dead
letters on the sender, acceptances, duplicates and refusals on the receiver, and the outbox's
depth, failures and age per partner read from the database at scrape time."""

from __future__ import annotations

import httpx

from karakoram.adapters.exchange.peer import HttpPeer
from karakoram.bootstrap import Node
from karakoram.services import declarations as handlers
from tests.builders import declaration
from tests.integration.test_exchange import TRADER_CN, Faults, pair, proof, send
from tests.integration.test_metrics import scrape, value

__all__ = ["pair"]  # the fixture: CN-URC and PK-GB, each the other's partner


def relay(node: Node, transport: httpx.BaseTransport) -> None:
    """One pass of the node's relay worker (the one `serve` runs) through `transport`."""
    node.peer = HttpPeer(transport)
    node.relay_worker().step()


def test_deliveries_and_what_the_partner_made_of_them_are_counted(pair) -> None:
    cn, pk, apps, cn_key = pair
    for k in range(3):
        handlers.lodge_declaration(declaration(f"M-{k}"), TRADER_CN, cn.ctx)
    waiting = scrape(cn)
    assert value(waiting, "karakoram_outbox_messages", partner="PK-GB", status="pending") == 3
    assert value(waiting, "karakoram_outbox_oldest_age_seconds", partner="PK-GB") >= 0
    assert value(waiting, "karakoram_outbox_failing_messages", partner="PK-GB") == 0

    relay(cn, apps)
    sent, received = scrape(cn), scrape(pk)
    assert value(sent, "karakoram_relay_messages_total", partner="PK-GB", outcome="delivered") == 3
    assert value(sent, "karakoram_outbox_messages", partner="PK-GB", status="pending") == 0
    assert value(received, "karakoram_inbox_messages_total", outcome="accepted", code="") == 3

    with cn.ctx.uow() as uow:
        (message,) = uow.exchange.latest_outbox(1)
    assert send(apps, message.token, proof(cn_key, [message.token])).status_code == 200
    assert send(apps, "junk").status_code >= 400
    again = scrape(pk)
    assert value(again, "karakoram_inbox_messages_total", outcome="duplicate", code="") == 1
    refused = {
        dict(labels)["code"]: n
        for (name, labels), n in again.items()
        if name == "karakoram_inbox_messages_total" and ("outcome", "refused") in labels
    }
    assert sum(refused.values()) == 1, refused
    assert value(again, "karakoram_inbox_messages_total", outcome="accepted", code="") == 3


def test_retries_and_dead_letters_are_counted_and_the_backlog_shows(pair) -> None:
    cn, _, apps, _ = pair
    config = cn.ctx.exchange
    config.max_attempts, config.backoff_base = 2, 0.0  # due again at once, dead at the second
    handlers.lodge_declaration(declaration("DOWN-1"), TRADER_CN, cn.ctx)
    away = Faults(apps, seed=1, drop_before=1.0)  # the partner does not answer

    relay(cn, away)
    failing = scrape(cn)
    labels = {"partner": "PK-GB"}
    assert value(failing, "karakoram_relay_messages_total", **labels, outcome="retried") == 1
    assert value(failing, "karakoram_outbox_failing_messages", **labels) == 1
    assert value(failing, "karakoram_outbox_messages", **labels, status="pending") == 1

    relay(cn, away)
    dead = scrape(cn)
    assert value(dead, "karakoram_relay_messages_total", **labels, outcome="dead") == 1
    assert value(dead, "karakoram_outbox_messages", **labels, status="dead") == 1
    assert value(dead, "karakoram_outbox_messages", **labels, status="pending") == 0
    assert value(dead, "karakoram_relay_messages_total", **labels, outcome="delivered") == 0
