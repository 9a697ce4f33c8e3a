"""The demo's nodes and the expo (issue 18): each node registers the expo as its partner of
kind `expo`, and once the traffic has played sends it the trade summaries of the simulated
months and its tariff version, queued in its outbox by the node's own use cases (as
`karakoram expo-feed` does) and delivered by its serving relay, signed and receipted."""

from __future__ import annotations

from typing import Any

from karakoram.bootstrap import bootstrap
from karakoram.config import load_settings
from karakoram.demo import nodes as demo_nodes
from karakoram.domain.access import Principal, Role
from karakoram.domain.exchange.expo_bodies import PartnerKind
from karakoram.services.exchange import expo_feed, partners
from karakoram.services.exchange.partners import NewPartner
from karakoram.services.statistics.refresh import refresh

OPERATOR = Principal(0, "demo expo feed", Role.ANALYST)


def register_expo(node: demo_nodes.DemoNode, url: str, jwk: dict[str, Any], expo_id: str) -> None:
    """The expo as `node`'s partner: sent trade summaries and tariff versions, nothing else."""
    n = bootstrap(load_settings(node.config))
    try:
        new = NewPartner(
            expo_id, node.spec.country, url, str(jwk["kid"]), jwk, "Karakoram expo",
            kind=PartnerKind.EXPO, since=demo_nodes.KEYS_VALID_FROM,
        )  # fmt: skip
        partners.register_partner(n.ctx, new)
    finally:
        n.close()


def send_figures(nodes: list[demo_nodes.DemoNode], months: list[str]) -> tuple[int, int]:
    """Each node's summaries of `months` and its tariff version, queued for the expo after
    refreshing its analytical copy; how many summaries and tariffs the expo will hold."""
    for node in nodes:
        n = bootstrap(load_settings(node.config))
        try:
            refresh(n.ctx)
            for month in months:
                expo_feed.send_trade_summary(OPERATOR, n.ctx, month)
            expo_feed.send_tariff(OPERATOR, n.ctx)
        finally:
            n.close()
    return len(nodes) * len(months), len(nodes)
