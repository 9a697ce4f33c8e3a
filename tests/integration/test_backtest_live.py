"""The back-test predicts live selection: the same consignment draw (with the re-lodgement
floor) and the same AEO facts, from the register as of each declaration's lodgement, never
the declaration's own claim (issue 13), on SQLite and PostgreSQL."""

from __future__ import annotations

import random
from collections import Counter

from sqlalchemy import text

from karakoram.data import example
from karakoram.domain.access import Principal, Role
from karakoram.domain.risk.engine import selection_draw
from karakoram.domain.risk.rule_file import parse_rule_set
from karakoram.services import aeo
from karakoram.services import declarations as handlers
from karakoram.services.policy import documents as policy
from karakoram.services.policy.backtest import backtest, backtest_records, backtest_version
from karakoram.services.policy.documents import Kind
from karakoram.services.selection import LiveFacts
from tests.builders import OTHER_TRADER, TRADER, bend, declaration

EXAMPLES = example("")
BOSS = Principal(0, "supervisor", Role.SUPERVISOR)
ME = Principal(1, "kashgar", Role.TRADER, TRADER)
OTHER = Principal(2, "other", Role.TRADER, OTHER_TRADER)
RANDOM = """
[rule_set]
name = "random and AEO"
currency = "USD"
[selectivity]
thresholds = { yellow = 40, red = 70 }
random_rates = { red = 0.2, yellow = 0.25, blue = 0.2 }
aeo_factor = 0.25
[detectors]
unit_value = false
new_trader = false
partner_signals = false
[[rules]]
id = "HEAVY-NON-AEO"
when = { all = [ { field = "gross_mass", op = "gt", value = 100 },
                 { not = { field = "aeo", op = "is", value = true } } ] }
score = 45
[[rules]]
id = "RELODGED"
when = { field = "cancelled_after_selection", op = "is", value = true }
score = 5
"""
NON_AEO_RED = """
[rule_set]
name = "non-AEO red"
currency = "USD"
[selectivity]
random_rates = { red = 0.0, yellow = 0.0, blue = 0.0 }
[detectors]
unit_value = false
new_trader = false
partner_signals = false
[[rules]]
id = "NON-AEO"
when = { not = { field = "aeo", op = "is", value = true } }
channel = "red"
"""


def activate(node, rules: str) -> int:
    ctx = node.ctx
    version = 0
    for kind, source in [
        (Kind.RATES, (EXAMPLES / "rates-cn.csv").read_text()),
        (Kind.TARIFF, (EXAMPLES / "tariff-cn-import.toml").read_text()),
        (Kind.RULES, rules),
    ]:
        doc = policy.submit_document(kind, source, BOSS, ctx.policy, ctx.uow, ctx.clock)
        policy.activate_document(kind, doc.version, BOSS, ctx.policy, ctx.uow, ctx.clock)
        version = doc.version
    return version


def goods(lrn: str, rng: random.Random, who: str = TRADER) -> dict:
    doc = declaration(lrn, declarant=who, items=rng.randint(1, 2))
    doc = bend(doc, "/transport/registration", f"XJ-A{rng.randint(1000, 1099)}")
    for item in doc["items"]:
        item["gross_mass"] = str(rng.choice([30, 300]))
    return doc


def lodge(node, doc: dict, who: Principal):
    return handlers.lodge_declaration(doc, who, node.ctx).record


def live_channels(node) -> Counter[str]:
    with node.engine.connect() as conn:
        rows = conn.execute(text("SELECT channel FROM declarations")).all()
    return Counter(r.channel or "unassessed" for r in rows)


def test_the_backtest_of_the_active_rules_gives_the_channels_live_selection_gave(node):
    version = activate(node, RANDOM)
    aeo.register_aeo(TRADER, "AEOF", None, None, BOSS, node.ctx)  # OTHER only claims it
    rng = random.Random(13)
    docs = [goods(f"L-{n}", rng, TRADER if n % 2 else OTHER_TRADER) for n in range(40)]
    by = {TRADER: ME, OTHER_TRADER: OTHER}
    lodged = [
        handlers.lodge_declaration(d, by[d["declarant"]["identifier"]], node.ctx).record
        for d in docs
    ]
    for n, doc in enumerate(docs[:4]):  # the same goods again, new LRN and UCR: the same draw
        again = {**doc, "lrn": f"AGAIN-{n}", "ucr": f"U-AGAIN-{n}"}
        handlers.lodge_declaration(again, by[doc["declarant"]["identifier"]], node.ctx)
    k, selected = next((k, r) for k, r in enumerate(lodged) if r.channel in ("yellow", "red"))
    who = by[docs[k]["declarant"]["identifier"]]
    handlers.cancel_declaration(selected.mrn, "wrong truck", who, node.ctx)
    relodged = {**docs[k], "lrn": "RELODGED", "ucr": "U-RELODGED"}
    assert handlers.lodge_declaration(relodged, who, node.ctx).record.channel != "green"

    report = backtest_version(version, BOSS, node.ctx)

    live = live_channels(node)
    assert report.total == 45 and report.skipped == 0
    assert report.changed == 0
    assert +report.channels == live and +report.actual == live
    assert len(live) >= 3  # random selection really chose: only the same draw agrees
    assert report.rules["RELODGED"].fired == 1
    assert report.rules["HEAVY-NON-AEO"].fired > 0
    rule_set = parse_rule_set(RANDOM)
    node.ctx.unit_values.clear()
    fast = backtest(rule_set, "check", BOSS, node.ctx)
    assert fast == backtest_records(rule_set, "check", BOSS, node.ctx)
    assert fast.channels == report.channels


def test_the_mrn_draw_would_not_have_agreed(node):
    """The check above can fail: the same declarations drawn by MRN land elsewhere."""
    activate(node, RANDOM)
    rng = random.Random(13)
    lodged = [
        handlers.lodge_declaration(goods(f"M-{n}", rng), ME, node.ctx).record for n in range(40)
    ]
    rates = {"red": 0.2 * 0.25, "yellow": 0.25 * 0.25, "blue": 0.2 * 0.25}
    with node.ctx.uow() as uow:
        live = LiveFacts.read(uow, node.ctx.selection_key, node.ctx.draw_window, lodged)
    differ = 0
    for r in lodged:
        by_mrn = selection_draw(node.ctx.selection_key, r.mrn)
        differ += _bucket(by_mrn, rates) != _bucket(live.selections.of(r.mrn).draw, rates)
    assert differ > 0


def _bucket(draw: float, rates: dict[str, float]) -> str:
    edge = 0.0
    for channel, rate in rates.items():
        edge += rate
        if draw < edge:
            return channel
    return "none"


def test_a_self_claimed_aeo_changes_nothing_and_a_registered_one_does(node):
    # P-0 stays never assessed: the activation below must not assess what waited
    node.ctx.policy.on_activation = None
    before_policy = handlers.lodge_declaration(declaration("P-0"), ME, node.ctx).record
    assert before_policy.channel is None  # never assessed: no stored draw
    version = activate(node, NON_AEO_RED)
    lodged = []
    for n in range(4):  # every one claims AEO status in its parties
        lodged.append(lodge(node, declaration(f"C-{n}"), ME))
    assert [r.channel for r in lodged] == ["red"] * 4  # live: the claim counted for nothing

    claimed = backtest_version(version, BOSS, node.ctx)
    assert claimed.channels["red"] == 5 and claimed.changed == 1  # P-0 had no channel

    aeo.register_aeo(TRADER, "AEOF", lodged[2].lodged_at, None, BOSS, node.ctx)
    registered = backtest_version(version, BOSS, node.ctx)
    assert (registered.channels["red"], registered.channels["green"]) == (3, 2)
    assert registered.rules["NON-AEO"].fired == 3  # P-0, C-0, C-1: before the certification
    unclaimed = bend(declaration("C-9"), "/exporter/aeo", False)
    assert handlers.lodge_declaration(unclaimed, ME, node.ctx).record.channel == "green"
    rule_set = parse_rule_set(NON_AEO_RED)
    assert backtest(rule_set, "x", BOSS, node.ctx) == backtest_records(
        rule_set, "x", BOSS, node.ctx
    )
