"""The back-test's fast path (risk subjects read by page) gives exactly the report of the
straightforward evaluation (whole declarations through `find`), on each database."""

from __future__ import annotations

import random
from functools import partial

import pytest
from sqlalchemy import text

from karakoram.adapters.db.engine import build_engine
from karakoram.bootstrap import bootstrap
from karakoram.config import load_settings
from karakoram.data import example
from karakoram.domain.access import Principal, Role
from karakoram.domain.risk.rule_file import parse_rule_set
from karakoram.services import declarations as handlers
from karakoram.services.context import NodeContext
from karakoram.services.policy import backtest as backtest_module
from karakoram.services.policy import documents as policy
from karakoram.services.policy.backtest import Processes, backtest, backtest_records
from karakoram.services.policy.documents import Kind
from tests.builders import TRADER, bend, declaration

EXAMPLES = example("")
BOSS = Principal(0, "supervisor", Role.SUPERVISOR)
RULES = """
[rule_set]
name = "fast path check"
currency = "USD"
[selectivity]
random_rates = { red = 0.1, yellow = 0.2, blue = 0.2 }
[detectors]
unit_value_min_samples = 3
[[rules]]
id = "CABLE-CHEAP"
when = { all = [ { field = "hs_code", op = "prefix", value = ["8544"] },
                 { field = "value_per_kg", op = "lt", value = 100 } ] }
channel = "yellow"
[[rules]]
id = "ORIGIN-AF"
when = { field = "origin", op = "eq", value = "AF" }
channel = "red"
[[rules]]
id = "WATCHED"
when = { field = "trader", op = "eq", value = "PK-NTN-4412345" }
score = 15
[[rules]]
id = "EXW-KSG"
when = { all = [ { field = "incoterm", op = "eq", value = "EXW" },
                 { field = "office", op = "eq", value = "CNKSG" } ] }
score = 30
[[rules]]
id = "HEAVY"
when = { all = [ { field = "gross_mass", op = "gt", value = 100 },
                 { not = { field = "aeo", op = "is", value = true } } ] }
score = 40
"""


@pytest.fixture
def lodged(node):
    for kind, name in [
        (Kind.RATES, "rates-cn.csv"),
        (Kind.TARIFF, "tariff-cn-import.toml"),
        (Kind.RULES, "rules-khunjerab.toml"),
    ]:
        text = (EXAMPLES / name).read_text()
        doc = policy.submit_document(
            kind, text, BOSS, node.ctx.policy, node.ctx.uow, node.ctx.clock
        )
        policy.activate_document(
            kind, doc.version, BOSS, node.ctx.policy, node.ctx.uow, node.ctx.clock
        )
    me = Principal(1, "kashgar", Role.TRADER, TRADER)
    rng = random.Random(3)
    for n in range(40):
        doc = declaration(f"F{n}", items=rng.randint(1, 3), incoterm=rng.choice(["DAP", "EXW"]))
        for goods in doc["items"]:
            goods["hs_code"] = rng.choice(["847130", "854442", "740311"])
            goods["origin"] = rng.choice(["CN", "CN", "AF"])
            goods["gross_mass"] = goods["net_mass"] = str(rng.randint(1, 90))
        if n % 3:
            doc = bend(doc, "/exporter/aeo", False)
        if n % 7 == 0:
            doc = bend(doc, "/importer/identifier", f"PK-NTN-{n:07d}")
        handlers.lodge_declaration(doc, me, node.ctx)
    return node


def test_the_fast_backtest_gives_the_straightforward_report(lodged, monkeypatch):
    monkeypatch.setattr(backtest_module, "PAGE", 7)  # several pages, the last one short
    monkeypatch.setattr(backtest_module, "RECORDS_PAGE", 5)
    rule_set = parse_rule_set(RULES)
    lodged.ctx.unit_values.clear()  # each run computes the unit-value statistics afresh
    fast = backtest(rule_set, "check", BOSS, lodged.ctx)
    lodged.ctx.unit_values.clear()
    plain = backtest_records(rule_set, "check", BOSS, lodged.ctx)
    assert fast == plain
    assert fast.total == 40 and fast.skipped == 0
    assert all(fast.rules[r].fired for r in ("CABLE-CHEAP", "ORIGIN-AF", "WATCHED", "HEAVY"))
    assert sum(fast.channels.values()) == 40 and len(fast.channels) > 1


def test_the_fast_backtest_keeps_to_the_period(lodged):
    rule_set = parse_rule_set(RULES)
    with lodged.ctx.uow() as uow:
        records = uow.declarations.find(backtest_module.DeclarationFilter(), BOSS, None, 100)
    cut = records[20].lodged_at
    lodged.ctx.unit_values.clear()
    fast = backtest(rule_set, "check", BOSS, lodged.ctx, None, cut)
    lodged.ctx.unit_values.clear()
    assert fast == backtest_records(rule_set, "check", BOSS, lodged.ctx, None, cut)
    later = backtest(rule_set, "check", BOSS, lodged.ctx, cut, None)
    assert fast.total + later.total == 40


def open_context(url: str, schema: str | None) -> NodeContext:
    """A back-test process's own node context on the test's database, from the composition
    root (module level, so that it can be handed to another process)."""
    return bootstrap(load_settings(database_url=url), engine=build_engine(url, schema=schema)).ctx


def test_the_backtest_in_processes_gives_the_straightforward_report(lodged):
    rule_set = parse_rule_set(RULES)
    engine = lodged.engine
    schema = None
    if engine.dialect.name == "postgresql":
        with engine.connect() as conn:
            schema = conn.execute(text("SELECT current_schema()")).scalar_one()
    url = engine.url.render_as_string(hide_password=False)
    processes = Processes(2, partial(open_context, url, schema), chunk=7)  # six pieces
    with lodged.ctx.uow() as uow:
        records = uow.declarations.find(backtest_module.DeclarationFilter(), BOSS, None, 100)
    cut = records[20].lodged_at
    lodged.ctx.unit_values.clear()
    done: list[int] = []
    apart = backtest(rule_set, "check", BOSS, lodged.ctx, progress=done.append, processes=processes)
    assert apart == backtest_records(rule_set, "check", BOSS, lodged.ctx)
    assert apart.total == 40 and sum(done) == 40 and len(done) == 6
    lodged.ctx.unit_values.clear()
    early = backtest(rule_set, "check", BOSS, lodged.ctx, None, cut, processes=processes)
    assert early == backtest_records(rule_set, "check", BOSS, lodged.ctx, None, cut)
    assert early.total == 20


def no_context() -> NodeContext:
    raise AssertionError("a process was started")


def test_a_backtest_of_one_piece_stays_in_this_process(lodged):
    rule_set = parse_rule_set(RULES)
    one_piece = Processes(2, no_context, chunk=1000)  # 40 declarations: one piece
    lodged.ctx.unit_values.clear()
    alone = backtest(rule_set, "check", BOSS, lodged.ctx, processes=one_piece)
    lodged.ctx.unit_values.clear()
    assert alone == backtest_records(rule_set, "check", BOSS, lodged.ctx)
    assert alone.total == 40
