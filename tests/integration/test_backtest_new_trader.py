"""The back-test's new-trader detector meets each declaration as live assessment did: a
trader is new to its first declaration, known to the later ones, not known to all of them
because they are all stored by the time of the back-test (SQLite and PostgreSQL)."""

from __future__ import annotations

import random
from collections import Counter

from karakoram.domain.risk.rule_file import parse_rule_set
from karakoram.services import declarations as handlers
from karakoram.services.policy.backtest import backtest, backtest_records, backtest_version
from tests.builders import OTHER_TRADER, TRADER
from tests.integration.test_backtest_live import BOSS, ME, OTHER, activate, goods, live_channels

NEW_TRADER = """
[rule_set]
name = "new traders yellow"
currency = "USD"
[selectivity]
thresholds = { yellow = 40, red = 70 }
random_rates = { red = 0.0, yellow = 0.0, blue = 0.0 }
[detectors]
unit_value = false
new_trader = true
new_trader_score = 45
partner_signals = false
"""


def test_the_backtest_finds_new_traders_where_live_assessment_did(node):
    version = activate(node, NEW_TRADER)
    rng = random.Random(7)
    by = {TRADER: ME, OTHER_TRADER: OTHER}
    channels = []
    for n in range(6):
        who = TRADER if n % 2 else OTHER_TRADER
        doc = goods(f"NT-{n}", rng, who)
        channels.append(handlers.lodge_declaration(doc, by[who], node.ctx).record.channel)
    # each trader's first declaration is yellow live; the others green
    assert Counter(channels) == Counter({"yellow": 2, "green": 4})

    report = backtest_version(version, BOSS, node.ctx)

    assert +report.channels == live_channels(node) == Counter({"yellow": 2, "green": 4})
    assert report.changed == 0
    rule_set = parse_rule_set(NEW_TRADER)
    node.ctx.unit_values.clear()
    assert backtest(rule_set, "check", BOSS, node.ctx) == backtest_records(
        rule_set, "check", BOSS, node.ctx
    )
