"""A node feeds the expo through the real exchange (issue 18), on SQLite and PostgreSQL: the
expo registered as a partner of its own kind, the node's trade summary (from its analytical
copy, cells of fewer than three traders suppressed) and tariff version signed into the outbox,
relayed, receipted by the expo, and read by its matchmaking."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from fastapi.testclient import TestClient

from karakoram.adapters.analytics.store import ParquetAnalyticsStore
from karakoram.adapters.exchange.peer import HttpPeer
from karakoram.adapters.exchange.signing import new_key, public_jwk
from karakoram.domain.access import Principal, Role
from karakoram.domain.errors import Conflict
from karakoram.domain.exchange.expo_bodies import PartnerKind
from karakoram.expo.entrypoints.api import create_expo_app
from karakoram.expo.services.matching import market_inputs
from karakoram.expo.services.participants import add_partner
from karakoram.services.exchange import expo_feed, partners
from karakoram.services.exchange.partners import NewPartner
from karakoram.services.exchange.relay import relay_once
from karakoram.services.policy import documents as policy
from karakoram.services.policy.documents import Kind
from karakoram.services.statistics.analytical_copy import Watermarks
from tests.expo_support import NOW, expo_engine, make_expo
from tests.integration.test_exchange import EXAMPLES, LONG_AGO, AppTransport, make_node, register
from tests.integration.test_statistics import item_row

ANALYST = Principal(0, "analyst", Role.ANALYST)


def _imports(month: date, traders: dict[str, list[str]]) -> list[dict]:
    """Goods items PK-GB released in `month`: per chapter, one item per trader of PKR 100."""
    rows = []
    for chapter, names in traders.items():
        for trader in names:
            n = len(rows) + 1 + month.year * 1000
            row = item_row(n, month, "100", "PKR", "import", f"{chapter}0000")
            rows.append(row | {"trader": trader, "partner": "CN"})
    return rows


@pytest.fixture
def fed(tmp_path, empty_engine):
    """PK-GB (its own rates, tariff and a CN partner) and an expo trusting its key."""
    pk, pk_key = make_node(tmp_path, "PK-GB", empty_engine, clock=lambda: NOW)
    register(pk, "CN-URC", "CN", new_key("CN-URC-2026"), "http://cn-urc")
    boss = Principal(0, "test", Role.SUPERVISOR)
    for kind, name in ((Kind.RATES, "rates-pk.csv"), (Kind.TARIFF, "tariff-pk-import.toml")):
        doc = policy.submit_document(
            kind, (EXAMPLES / name).read_text(), boss, pk.ctx.policy, pk.ctx.uow, pk.ctx.clock
        )
        policy.activate_document(kind, doc.version, boss, pk.ctx.policy, pk.ctx.uow, pk.ctx.clock)
    copy = ParquetAnalyticsStore(tmp_path / "pk-copy")
    rows = _imports(date(2025, 10, 6), {"61": ["A", "B", "C"], "52": ["A", "B", "C"]})
    rows += _imports(date(2026, 10, 6), {"61": ["A", "B", "C", "D"], "52": ["A", "B"]})
    copy.apply(Watermarks(len(rows), 0, 0), rows, [], [])
    pk.ctx.analytics = copy
    kind = "sqlite" if empty_engine.dialect.name == "sqlite" else "postgresql"
    (tmp_path / "expo").mkdir()
    for engine in expo_engine(kind, tmp_path / "expo"):
        expo = make_expo(engine)
        add_partner("PK-GB", "PK", None, "PK-GB-2026", public_jwk(pk_key), expo.ctx, LONG_AGO)
        yield pk, expo
        pk.close()


def test_the_expo_is_fed_through_the_exchange_and_matching_reads_it(fed):
    pk, expo = fed
    with pytest.raises(Conflict):  # no expo registered yet
        expo_feed.send_tariff(ANALYST, pk.ctx)
    jwk = expo.ctx.receipts.public_key()  # type: ignore[union-attr]
    partners.register_partner(
        pk.ctx,
        NewPartner("EXPO", "PK", "https://expo", jwk["kid"], jwk, kind=PartnerKind.EXPO,
                   since=LONG_AGO),
    )  # fmt: skip
    first = expo_feed.send_trade_summary(ANALYST, pk.ctx, "2025-10")
    again = expo_feed.send_trade_summary(ANALYST, pk.ctx, "2026-10")
    expo_feed.send_tariff(ANALYST, pk.ctx)
    assert (first.cells, first.suppressed) == (2, 0) and (again.cells, again.suppressed) == (1, 1)
    transport = AppTransport({"expo": TestClient(create_expo_app(expo.ctx))})
    stats = relay_once(pk.ctx.exchange, HttpPeer(transport), pk.ctx.uow, lambda: NOW)
    assert stats.delivered == 3 and stats.retried == 0
    with pk.ctx.uow() as uow:
        assert uow.exchange.outbox_counts() == {"delivered": 3}
    inputs = market_inputs(expo.ctx)
    # chapter 61 from China: PKR 300 → 400 (+33 %); chapter 52 suppressed this October
    assert [(t.origin, t.destination, t.chapter, t.growth_pct) for t in inputs.trends] == [
        ("CN", "PK", "61", 33.0)
    ]
    fish = inputs.preference("CN", "PK", "030211")
    assert fish is not None and (fish.agreement, fish.points) == ("CPFTA", 5.0)
    # the summary again replaces the expo's copy of the month, not adds to it
    expo_feed.send_trade_summary(ANALYST, pk.ctx, "2026-10")
    relay_once(pk.ctx.exchange, HttpPeer(transport), pk.ctx.uow, lambda: NOW + timedelta(seconds=1))
    assert len(market_inputs(expo.ctx).trends) == 1
    with expo.ctx.uow() as uow:
        assert len(uow.node_summaries()) == 2
