"""The exchange under faults, between two real nodes as separate processes on loopback.

10,000 released exports are queued on the exporting node (through the service functions that
emit them on release); `karakoram relay` delivers them over HTTP to the importing node's
`karakoram serve`, through a fault-injecting link (tests/e2e/faulty_link.py). On the way the
partner is killed mid-stream and restarted, and the relay is killed with SIGKILL mid-batch and
at a random moment, and restarted. At the end nothing is lost, nothing applied twice, and the
exporting node holds the receiver's first receipt, valid, for every message.

Both nodes run on SQLite here (each its own file): the same storage code runs on PostgreSQL
in tests/integration/test_exchange.py (faults in process, both backends); over processes it
would add a shared server's start-up and schemas to a test that is about the link and the
processes dying.
"""

from __future__ import annotations

import contextlib
import json
import os
import sqlite3
import subprocess
import sys
from dataclasses import replace
from datetime import UTC, datetime

import pytest

from karakoram.adapters.exchange.signing import TrustedKey, digest, verify
from karakoram.bootstrap import bootstrap
from karakoram.config import load_settings
from karakoram.domain.clearance import Action, DeclarationEvent
from karakoram.domain.declaration.model import DeclarationRecord
from karakoram.domain.declaration.validation import parse_declaration
from karakoram.services.exchange import emit as exchange
from tests.builders import TRADER, declaration
from tests.e2e.faulty_link import FaultyLink
from tests.e2e.test_two_nodes import Node, wait_for

MESSAGES = 10_000
#: one relay runs at a time here, so a short lease is safe and a killed relay's messages
#: come back quickly; production keeps the default (120 s, above the request timeout)
RELAY = ("relay", "--lease", "3", "--backoff", "0.05", "--timeout", "10")


class Relay:
    """`karakoram relay` for a node, as its own process."""

    def __init__(self, node: Node, *command: str) -> None:
        self.node, self.command = node, command or RELAY
        self.process: subprocess.Popen[bytes] | None = None
        self.starts = 0

    def start(self) -> None:
        env = os.environ | {"KARAKORAM_CONFIG": str(self.node.config)}
        log = self.node.dir / f"relay-{self.starts}.log"
        with log.open("wb") as out:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "karakoram", *self.command],
                env=env,
                cwd=self.node.dir,
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        self.starts += 1

    def kill(self) -> None:
        """SIGKILL: no clean-up, whatever it was doing."""
        assert self.process is not None
        self.process.kill()
        self.process.wait(timeout=10)


def outbox_counts(node: Node) -> dict[str, int]:
    with contextlib.closing(_read_only(node)) as db:
        return dict(db.execute("SELECT status, count(*) FROM outbox GROUP BY status").fetchall())


def _read_only(node: Node) -> sqlite3.Connection:
    return sqlite3.connect(f"file:{node.dir / 'node.db'}?mode=ro", uri=True, timeout=30)


def emit_released_exports(node: Node, n: int) -> None:
    """Queue the pre-arrival message of `n` released exports, as release does, in bulk."""
    built = bootstrap(load_settings(node.config))
    ctx, config = built.ctx, built.ctx.exchange
    assert config is not None
    template = parse_declaration(declaration("F-0", items=1), ctx.codes, ctx.rules)
    now = datetime.now(UTC)
    try:
        for start in range(0, n, 1000):
            with ctx.uow() as uow:
                for k in range(start, min(n, start + 1000)):
                    d = replace(template, lrn=f"F-{k}", ucr=f"UCR-F-{k}")
                    record = DeclarationRecord(
                        f"26CNKJB{k:010d}E", TRADER, d, "-", "released", now, now
                    )
                    event = DeclarationEvent(Action.RELEASE.value, "accepted", "released", "t", now)
                    for kind, body in exchange.messages_for(record, event, uow):
                        exchange.emit(uow, config, now, record, kind, body)
                uow.commit()
    finally:
        built.close()


@pytest.fixture
def exchange_pair(tmp_path):
    """An exporting node (no server: its relay delivers) and an importing node behind a link."""
    sender = Node(tmp_path, "CN-URC", "CN", "CNY", "CNKJB")
    receiver = Node(tmp_path, "PK-GB", "PK", "PKR", "PKSST")
    for node in (sender, receiver):
        text = node.config.read_text()
        node.config.write_text(
            text.replace("relay_interval = 0.2", "relay_interval = 0.05\nrelay_max_attempts = 1000")
        )
        node.run("db", "upgrade")
        node.run("keys", "new", "--out", str(node.dir / "key.pem"), "--kid", f"{node.name}-1")
    link = FaultyLink(receiver.url, seed=20260404)
    for me, other, url, country in (
        (sender, receiver, link.url, "PK"),
        (receiver, sender, sender.url, "CN"),
    ):
        me.run(
            "partners", "add", other.name, "--url", url, "--country", country,
            "--key", str(other.dir / "key.public.json"), "--kid", f"{other.name}-1",
        )  # fmt: skip
    relay = Relay(sender)
    with link:
        yield sender, receiver, link, relay
        for process in (relay.process, receiver.process):
            if process is not None and process.poll() is None:
                process.kill()
                process.wait(timeout=10)


def test_ten_thousand_messages_survive_kills_drops_duplicates_and_reordering(exchange_pair, report):
    sender, receiver, link, relay = exchange_pair
    emit_released_exports(sender, MESSAGES)
    assert outbox_counts(sender) == {"pending": MESSAGES}
    delivered = lambda: outbox_counts(sender).get("delivered", 0)  # noqa: E731
    receiver.start()
    relay.start()

    wait_for(lambda: delivered() >= MESSAGES * 0.15, "the stream to flow", 120)
    receiver.kill()  # the partner dies mid-stream (SIGKILL)
    wait_for(lambda: link.counts["partner unreachable"] >= 3, "the relay to find it gone", 60)
    receiver.start()

    wait_for(lambda: delivered() >= MESSAGES * 0.4, "the stream to resume", 120)
    link.hold_answers.set()  # the receiver commits the next batch; its answer waits
    wait_for(link.holding.is_set, "a batch committed by the receiver and not yet answered", 60)
    relay.kill()  # SIGKILL mid-batch: its messages stay leased, their outcomes unrecorded
    link.release.set()
    relay.start()

    wait_for(lambda: delivered() >= MESSAGES * 0.7, "the restarted relay to deliver", 120)
    relay.kill()  # and once more at whatever moment it is in
    relay.start()
    wait_for(lambda: delivered() == MESSAGES, "every message to be delivered", 240)
    relay.kill()

    counts = check_nothing_lost_nothing_twice_everything_receipted(sender, receiver)
    happened = {k: v for k, v in sorted(link.counts.items())}
    summary = (
        f"sent {MESSAGES:,}, delivered {counts['delivered']:,}, "
        f"retried {counts['retried']:,} (failed attempts recorded by the relay), "
        f"duplicates suppressed {link.counts['duplicates suppressed by the receiver']:,}, "
        f"applied {counts['applied']:,}, lost {counts['lost']}, applied twice 0, "
        f"receipts valid {counts['receipts']:,}; relay started {relay.starts} times, "
        f"partner started twice\nfaults and what the link saw: {json.dumps(happened)}"
    )
    report("exchange fault suite (two processes on loopback, SQLite)", summary)
    for fault in (
        "dropped before the receiver",
        "torn requests",
        "dropped after the receiver committed",
        "requests sent twice",
        "messages repeated in a batch",
        "batches reordered",
        "messages held back",
        "messages slipped into a later batch",
        "receipts lost",
        "receipts corrupted",
        "partner unreachable",
    ):
        assert link.counts[fault] > 0, f"{fault} never happened: {summary}"
    assert counts["lost"] == 0 and counts["delivered"] == MESSAGES, summary


def check_nothing_lost_nothing_twice_everything_receipted(
    sender: Node, receiver: Node
) -> dict[str, int]:
    with contextlib.closing(_read_only(sender)) as db:
        sent = db.execute(
            "SELECT message_id, token, receipt, status, attempts FROM outbox"
        ).fetchall()
    with contextlib.closing(_read_only(receiver)) as db:
        inbox = dict(db.execute("SELECT message_id, receipt FROM inbox").fetchall())
        applied = db.execute("SELECT message_id FROM partner_records").fetchall()
        refused = db.execute("SELECT count(*) FROM refusals").fetchone()[0]
    assert len(sent) == MESSAGES
    assert {status for *_, status, _ in sent} == {"delivered"}
    ids = {m for m, *_ in sent}
    assert set(inbox) == ids, "every message sent is in the receiver's inbox, and only those"
    assert len(applied) == len({m for (m,) in applied}) == MESSAGES, "each applied exactly once"
    assert refused == 0, "no message was refused (a corrupted receipt is the sender's to refuse)"
    key = json.loads((receiver.dir / "key.public.json").read_text())
    trusted = [TrustedKey("PK-GB-1", key, datetime(2020, 1, 1, tzinfo=UTC), None)]
    now = datetime.now(UTC)
    for message_id, token, receipt, _status, _attempts in sent:
        assert receipt == inbox[message_id], "the sender holds the receiver's first receipt"
        body = verify(receipt, trusted, "PK-GB", now)
        assert (body["message_id"], body["digest"]) == (message_id, digest(token))
    return {
        "delivered": len(sent),
        "applied": len(applied),
        "lost": len(ids - set(inbox)),
        "retried": sum(attempts - 1 for *_, attempts in sent),
        "receipts": len(sent),
    }
