"""Degraded mode end to end: two nodes, the link between them cut for a simulated day.

The exporting node (CN-URC) releases exports all day; their pre-arrival data waits in its
outbox. The importing node (PK-GB) keeps lodging the imports: its probes of its partner (and
anything it sends) fail, so it sees its partner late, then down, and from then on no import
is penalised for the data it cannot have (`pre_arrival_pending_partner_down`, scoring
nothing, instead of `no_pre_arrival`); each is marked for later verification. When the link
returns, what the relay gave up goes again, the backlog drains both ways, every import is
checked against the data that came, one that disagrees raises a post-clearance review, and
nothing is lost.

The two nodes run in one process (their apps on an in-process transport, as in
tests/integration/test_exchange.py) on one simulated clock, so that a day passes in seconds and
each side's clock agrees with the other's signed times; on SQLite and on PostgreSQL.
"""

from __future__ import annotations

import contextlib
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from karakoram.adapters.db.tables import audit_log, partner_records
from karakoram.adapters.exchange.peer import HttpPeer
from karakoram.domain.exchange.partner_state import PartnerState
from karakoram.domain.gate.pre_arrival import CheckStatus
from karakoram.entrypoints.http.app import create_app
from karakoram.services import declarations as handlers
from karakoram.services.exchange.partner_state import partner_statuses
from karakoram.services.exchange.probe import probe_partners
from karakoram.services.exchange.relay import relay_once
from karakoram.services.users import add_user
from tests.conftest import _postgres_engine, fast_hasher
from tests.integration.test_exchange import (
    PK_TRADER,
    TRADER_CN,
    _pair,
    activate_pk_policy,
    count,
    export,
    pk_import,
    signals_of,
)
from tests.integration.test_web import csrf_of

HOUR = timedelta(hours=1)
#: consignments exported during the outage, one every two hours
DURING = 10


class SimClock:
    """One simulated clock for both nodes: real time plus an offset the test moves on."""

    def __init__(self) -> None:
        self.offset = timedelta(0)

    def __call__(self) -> datetime:
        return datetime.now(UTC) + self.offset

    def advance(self, by: timedelta) -> None:
        self.offset += by


class Link(httpx.BaseTransport):
    """The line between the nodes: cut, every request fails before it reaches the partner."""

    def __init__(self, inner: httpx.BaseTransport) -> None:
        self.inner, self.cut, self.refused = inner, False, 0

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        if self.cut:
            self.refused += 1
            raise httpx.ConnectError("the line over the pass is down", request=request)
        return self.inner.handle_request(request)


@pytest.fixture
def day(tmp_path, empty_engine):
    clock = SimClock()
    with contextlib.ExitStack() as stack:
        other = None
        if empty_engine.dialect.name == "postgresql":
            other = stack.enter_context(contextlib.contextmanager(_postgres_engine)())
        yield clock, *next(_pair(tmp_path, empty_engine, other, clock))


def relay(node, link, clock, rounds=50):
    """Relay passes on the shared clock until nothing is due (or `rounds`); a failed message
    is due again at the next pass (no backoff), as relays retry through an outage."""
    config = node.ctx.exchange
    base, config.backoff_base = config.backoff_base, 0.0
    try:
        for _ in range(rounds):
            stats = relay_once(config, HttpPeer(link), node.ctx.uow, lambda: clock() + HOUR / 60)
            if link.cut or not (stats.delivered or stats.retried):
                return
    finally:
        config.backoff_base = base


def state_of(node, clock, partner):
    with node.ctx.uow() as uow:
        return {s.administration: s.state for s in partner_statuses(uow, clock())}[partner]


def test_a_day_without_the_partner_penalises_no_import_and_loses_nothing(day):
    clock, cn, pk, apps, _ = day
    link = Link(apps)
    activate_pk_policy(pk)
    # before the outage: the data comes first, as it should
    handlers.lodge_declaration(export("DAY-0"), TRADER_CN, cn.ctx)
    relay(cn, link, clock)
    before = handlers.lodge_declaration(pk_import("DAY-0"), PK_TRADER, pk.ctx).record
    assert "no_pre_arrival" not in signals_of(pk, before.mrn)[1]
    assert probe_partners(pk.ctx, HttpPeer(link)) == {"CN-URC": True}
    assert state_of(pk, clock, "CN-URC") is PartnerState.UP

    link.cut = True
    states, imported = [], []
    for n in range(1, DURING + 1):
        handlers.lodge_declaration(export(f"DAY-{n}"), TRADER_CN, cn.ctx)
        for _ in range(2):  # two hours: PK probes its partner (each hour here), in vain
            clock.advance(HOUR)
            assert probe_partners(pk.ctx, HttpPeer(link)) == {"CN-URC": False}
            assert probe_partners(cn.ctx, HttpPeer(link)) == {"PK-GB": False}
            relay(pk, link, clock)
            relay(cn, link, clock)
        states.append(state_of(pk, clock, "CN-URC"))
        wrong = {"gross_mass": "90"} if n == 3 else {}  # the truck carries more than declared
        imported.append(
            handlers.lodge_declaration(pk_import(f"DAY-{n}", **wrong), PK_TRADER, pk.ctx).record
        )
    assert states == [PartnerState.DOWN] * DURING
    for record in imported:
        _, signals = signals_of(pk, record.mrn)
        assert "no_pre_arrival" not in signals  # not the trader's doing
        pending = signals["pre_arrival_pending_partner_down"]
        assert pending["score"] == 0 and pending["values"]["partner"] == "CN"
    with pk.ctx.uow() as uow:
        checks = uow.pre_arrival.listed(None, 100)
    assert len(checks) == DURING and {c.status for c in checks} == {CheckStatus.PENDING}
    with TestClient(create_app(pk)) as client:
        supervisor = add_user("sost-boss", "supervisor", None, pk.ctx, fast_hasher()).api_key
        seen = client.get(
            "/exchange/partners/state", headers={"Authorization": f"Bearer {supervisor}"}
        )
    assert seen.status_code == 200 and seen.json()[0]["state"] == "down"

    # the link returns: the backlog drains both ways, every import is checked again
    link.cut = False
    clock.advance(HOUR)
    with cn.ctx.uow() as uow:  # the relay gave up on some after its last try (an hour or so)
        assert uow.exchange.outbox_counts().get("dead", 0) > 0
    assert probe_partners(cn.ctx, HttpPeer(link)) == {"PK-GB": True}  # back: they go again
    assert probe_partners(pk.ctx, HttpPeer(link)) == {"CN-URC": True}
    relay(cn, link, clock)
    relay(pk, link, clock)
    with cn.ctx.uow() as uow:
        assert set(uow.exchange.outbox_counts()) == {"delivered"}
    with pk.ctx.uow() as uow:
        assert not {"pending", "dead"} & set(uow.exchange.outbox_counts())
        checks = {c.ucr: c for c in uow.pre_arrival.listed(None, 100)}
    assert count(pk, partner_records) == DURING + 1  # every pre-arrival message, once
    assert {u: c.status for u, c in checks.items()} == {
        f"UCR-DAY-{n}": CheckStatus.REVIEW if n == 3 else CheckStatus.VERIFIED
        for n in range(1, DURING + 1)
    }
    review = checks["UCR-DAY-3"]
    assert review.findings and all("gross_mass" in f or "mass" in f for f in review.findings)
    assert state_of(pk, clock, "CN-URC") is PartnerState.UP
    with pk.engine.connect() as conn:
        kinds = conn.execute(
            select(audit_log.c.kind).where(audit_log.c.kind.like("pre_arrival.%"))
        ).scalars()
        recorded = sorted(kinds)
    assert recorded.count("pre_arrival.review") == 1
    assert recorded.count("pre_arrival.verified") == DURING - 1
    assert recorded.count("pre_arrival.pending") == DURING
    officer = add_user("sost-officer", "officer", None, pk.ctx, fast_hasher()).api_key
    with TestClient(create_app(pk)) as client:
        client.post(
            "/ui/sign-in", data={"csrf": csrf_of(client.get("/ui/sign-in")), "api_key": officer}
        )
        page = client.get(f"/ui/declarations/{imported[2].mrn}")
        listed = client.get(
            "/pre-arrival-checks",
            params={"status": "review"},
            headers={"Authorization": f"Bearer {officer}"},
        )
    assert page.status_code == 200
    assert 'data-status="review"' in page.text and "Post-clearance review" in page.text
    assert [c["ucr"] for c in listed.json()] == ["UCR-DAY-3"]
    print(
        f"\na day without the partner: {DURING} imports, none penalised, 1 review; "
        f"{link.refused} requests refused by the cut line"
    )
