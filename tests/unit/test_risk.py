"""The risk engine: operators, precedence, selectivity, AEO, detectors, rule-file errors."""

from __future__ import annotations

import random
from decimal import Decimal

import pytest

from karakoram.data import example
from karakoram.domain.declaration.model import Declaration
from karakoram.domain.declaration.validation import parse_declaration
from karakoram.domain.errors import ValidationFailed
from karakoram.domain.risk.channels import Channel, strictest
from karakoram.domain.risk.compiled import CompiledRuleSet, evaluate_naively
from karakoram.domain.risk.detectors import NoHistory, UnitValueStats
from karakoram.domain.risk.engine import (
    RiskInput,
    assess_risk,
    effective_rates,
    random_channel,
    selection_draw,
)
from karakoram.domain.risk.facts import declaration_facts, item_facts
from karakoram.domain.risk.rule_file import parse_rule_set
from tests.builders import bend, declaration, import_declaration
from tests.unit.fakes import fake_context

EXAMPLE = example("rules-khunjerab.toml")
QUIET = """
[rule_set]
name = "test"
[selectivity]
random_rates = { red = 0.0, yellow = 0.0, blue = 0.0 }
[detectors]
unit_value = false
new_trader = false
"""


def parsed(doc: dict) -> Declaration:
    ctx = fake_context()
    return parse_declaration(doc, ctx.codes, ctx.rules)


def rules(body: str, header: str = QUIET) -> CompiledRuleSet:
    return CompiledRuleSet(parse_rule_set(header + body))


def fired_ids(compiled: CompiledRuleSet, doc: dict) -> list[str]:
    d = parsed(doc)
    shared = declaration_facts(d, Decimal(1))
    return [f.rule for f in compiled.evaluate(shared, item_facts(d, shared, Decimal(1)))]


def rule(rule_id: str, when: str, effect: str = "score = 1") -> str:
    return f'\n[[rules]]\nid = "{rule_id}"\nwhen = {when}\n{effect}\n'


# Each operator on the base declaration: 2 items of HS 847130, origin CN, value 5000,
# net 25 kg (200 per kg), gross 30 kg each (60 in all), incoterm DAP, exporter AEO.
@pytest.mark.parametrize(
    ("when", "fires"),
    [
        ('{ field = "incoterm", op = "eq", value = "DAP" }', True),
        ('{ field = "incoterm", op = "eq", value = "FCA" }', False),
        ('{ field = "incoterm", op = "ne", value = "FCA" }', True),
        ('{ field = "origin", op = "in", value = ["PK", "CN"] }', True),
        ('{ field = "origin", op = "not_in", value = ["PK", "CN"] }', False),
        ('{ field = "hs_code", op = "prefix", value = ["85", "8471"] }', True),
        ('{ field = "hs_code", op = "prefix", value = "85" }', False),
        ('{ field = "value_per_kg", op = "lt", value = 200 }', False),
        ('{ field = "value_per_kg", op = "le", value = 200 }', True),
        ('{ field = "value_per_kg", op = "gt", value = 199.99 }', True),
        ('{ field = "value_per_kg", op = "ge", value = 200.01 }', False),
        ('{ field = "gross_mass", op = "between", value = [60, 61] }', True),
        ('{ field = "gross_mass", op = "between", value = [61, 100] }', False),
        ('{ field = "aeo", op = "is", value = true }', True),
        ('{ field = "partner_aeo", op = "is", value = true }', False),
        ('{ field = "trader", op = "eq", value = "PK-NTN-4412345" }', True),
        ('{ field = "trader", op = "ne", value = "PK-NTN-4412345" }', False),
        ('{ field = "preference_claimed", op = "is", value = false }', True),
        ('{ field = "office", op = "eq", value = "CNKSG" }', True),
        ('{ field = "crossing", op = "in", value = ["KHUNJERAB"] }', True),
        (
            '{ all = [ { field = "origin", op = "eq", value = "CN" },'
            ' { field = "incoterm", op = "eq", value = "FCA" } ] }',
            False,
        ),
        (
            '{ any = [ { field = "origin", op = "eq", value = "PK" },'
            ' { field = "incoterm", op = "eq", value = "DAP" } ] }',
            True,
        ),
        ('{ not = { field = "origin", op = "eq", value = "CN" } }', False),
    ],
)
def test_each_operator(when, fires):
    assert fired_ids(rules(rule("R", when)), declaration()) == (["R"] if fires else [])


def test_an_item_rule_fires_when_one_item_meets_the_whole_condition():
    doc = bend(declaration(), "/items/1/origin", "AF")
    compiled = rules(
        rule(
            "R",
            '{ all = [ { field = "origin", op = "eq", value = "AF" },'
            ' { field = "hs_code", op = "prefix", value = ["8471"] } ] }',
        )
    )
    d = parsed(doc)
    shared = declaration_facts(d, Decimal(1))
    (firing,) = compiled.evaluate(shared, item_facts(d, shared, Decimal(1)))
    assert firing.item == 1
    assert firing.values == {"hs_code": "847130", "origin": "AF"}


def test_compiled_rules_agree_with_the_interpreter_on_random_rule_sets():
    rng = random.Random(7)
    leaves = [
        'field = "hs_code", op = "prefix", value = ["{hs}"]',
        'field = "origin", op = "in", value = ["{c}", "PK"]',
        'field = "value_per_kg", op = "lt", value = {n}',
        'field = "aeo", op = "is", value = {b}',
        'field = "incoterm", op = "ne", value = "FCA"',
        'field = "incoterm", op = "in", value = ["DAP", "EXW"]',
        'field = "trader", op = "eq", value = "PK-NTN-4412345"',
        'field = "trader", op = "in", value = ["X-1", "91650100MA77XY1234"]',
        'field = "origin", op = "eq", value = "{c}"',
    ]
    body = ""
    for n in range(200):
        parts = [
            "{ "
            + rng.choice(leaves)
            .replace("{hs}", rng.choice(["84", "8471", "85", "7403"]))
            .replace("{c}", rng.choice(["CN", "AF"]))
            .replace("{n}", str(rng.choice([10, 300])))
            .replace("{b}", rng.choice(["true", "false"]))
            + " }"
            for _ in range(3)
        ]
        kind = rng.choice(["all", "any"])
        when = f"{{ {kind} = [ {', '.join(parts)} ] }}"
        body += rule(f"R{n}", when if n % 5 else f"{{ not = {when} }}")
    compiled = rules(body)
    total = 0
    for case in range(30):
        doc = declaration(items=3)
        for i in range(3):
            doc["items"][i]["hs_code"] = rng.choice(["847130", "854442", "740311"])
            doc["items"][i]["origin"] = rng.choice(["CN", "AF", "PK"])
        doc["exporter"]["aeo"] = case % 2 == 0
        d = parsed(doc)
        shared = declaration_facts(d, Decimal(1))
        items = item_facts(d, shared, Decimal(1))
        fired = [f.rule for f in compiled.evaluate(shared, items)]
        assert fired == evaluate_naively(compiled.rule_set, shared, items)
        total += len(fired)
    assert 0 < total < 30 * 200  # the cases exercise both outcomes


@pytest.mark.parametrize(
    "when",
    [
        '{ field = "hs_code", op = "prefix", value = [""] }',
        '{ all = [ { field = "hs_code", op = "prefix", value = ["", "99"] },'
        ' { field = "origin", op = "eq", value = "CN" } ] }',
        '{ field = "trader", op = "prefix", value = [""] }',
    ],
)
def test_an_empty_prefix_matches_every_value_as_the_interpreter_says(when):
    compiled = rules(rule("ANY", when))
    d = parsed(declaration())
    shared = declaration_facts(d, Decimal(1))
    items = item_facts(d, shared, Decimal(1))
    assert evaluate_naively(compiled.rule_set, shared, items) == ["ANY"]
    assert [f.rule for f in compiled.evaluate(shared, items)] == ["ANY"]


def test_a_rule_found_through_its_guard_still_needs_the_rest_of_its_condition():
    guarded = (
        '{ all = [ { field = "origin", op = "eq", value = "CN" },'
        ' { field = "hs_code", op = "prefix", value = ["8471"] },'
        ' { field = "value_per_kg", op = "gt", value = {n} } ] }'
    )
    assert fired_ids(rules(rule("R", guarded.replace("{n}", "199"))), declaration()) == ["R"]
    assert fired_ids(rules(rule("R", guarded.replace("{n}", "200"))), declaration()) == []


def test_without_explanation_the_same_rules_fire_with_no_values():
    body = rule("CU", '{ field = "origin", op = "eq", value = "CN" }', 'channel = "red"') + rule(
        "PC", '{ field = "hs_code", op = "prefix", value = ["8471"] }', "score = 5"
    )
    compiled = rules(body)
    given = RiskInput("26CN0000000000000E0", parsed(declaration()), Decimal(1), Decimal(1), 0.5)
    full = assess_risk(given, compiled, 3, NoHistory())
    bare = assess_risk(given, compiled, 3, NoHistory(), explain=False)
    assert [(f.rule, f.item, f.channel, f.score) for f in bare.fired] == [
        (f.rule, f.item, f.channel, f.score) for f in full.fired
    ]
    assert [f.values for f in full.fired] == [{"origin": "CN"}, {"hs_code": "847130"}]
    assert all(f.values == {} for f in bare.fired)
    assert (bare.channel, bare.score, bare.random_rates) == (
        full.channel,
        full.score,
        full.random_rates,
    )


def decide(doc: dict, body: str = "", header: str = QUIET, draw: float = 0.99, history=None):
    compiled = rules(body, header)
    given = RiskInput("26CN0000000000000E0", parsed(doc), Decimal(1), Decimal(1), draw)
    return assess_risk(given, compiled, 3, history or NoHistory())


def test_channel_precedence_is_red_yellow_blue_green():
    assert strictest(Channel.GREEN, Channel.BLUE) is Channel.BLUE
    assert strictest(Channel.BLUE, Channel.YELLOW) is Channel.YELLOW
    assert strictest(Channel.YELLOW, Channel.RED, Channel.GREEN) is Channel.RED
    body = rule("Y", '{ field = "origin", op = "eq", value = "CN" }', 'channel = "yellow"') + rule(
        "B", '{ field = "origin", op = "eq", value = "CN" }', 'channel = "blue"'
    )
    decision = decide(declaration(), body)
    assert decision.channel is Channel.YELLOW
    assert [f.rule for f in decision.fired] == ["Y", "B"]
    assert decision.rule_set_version == 3


def test_scores_add_up_to_a_threshold_channel():
    always = '{ field = "origin", op = "eq", value = "CN" }'
    body = rule("A", always, "score = 25") + rule("B", always, "score = 20")
    decision = decide(declaration(), body)  # 45 >= yellow threshold 40
    assert decision.score == 45 and decision.channel is Channel.YELLOW
    assert decide(declaration(), rule("A", always, "score = 39")).channel is Channel.GREEN


def test_random_selection_rates_hold_statistically():
    header = (
        '[rule_set]\nname = "r"\n[selectivity]\nrandom_rates = { red = 0.02, yellow = 0.05,'
        " blue = 0.03 }\naeo_factor = 0.25\n[detectors]\nunit_value = false\n"
        "new_trader = false\n"
    )
    compiled = rules("", header)
    d = parsed(bend(declaration(), "/exporter/aeo", False))
    counts = dict.fromkeys(Channel, 0)
    n = 20_000
    for k in range(n):
        draw = selection_draw(b"test-seed", f"26CN{k:013d}E")
        counts[
            assess_risk(
                RiskInput("m", d, Decimal(1), Decimal(1), draw), compiled, 1, NoHistory()
            ).channel
        ] += 1
    # binomial standard errors at n=20,000: red 0.10%, yellow 0.15%, blue 0.12%
    assert abs(counts[Channel.RED] / n - 0.02) < 0.004
    assert abs(counts[Channel.YELLOW] / n - 0.05) < 0.006
    assert abs(counts[Channel.BLUE] / n - 0.03) < 0.005


def test_the_draw_is_reproducible_and_depends_on_key_and_mrn():
    assert selection_draw(b"k", "A") == selection_draw(b"k", "A")
    assert selection_draw(b"k", "A") != selection_draw(b"k", "B")
    assert selection_draw(b"k", "A") != selection_draw(b"j", "A")


def test_aeo_traders_get_lower_random_rates_including_recognised_partner_aeos():
    selectivity = parse_rule_set(EXAMPLE.read_text()).selectivity
    plain = effective_rates(selectivity, parsed(bend(declaration(), "/exporter/aeo", False)))
    own = effective_rates(selectivity, parsed(declaration()))  # exporter is AEO
    assert plain[Channel.RED] == 0.02 and own[Channel.RED] == pytest.approx(0.005)
    partner_aeo = bend(import_declaration(), "/exporter/aeo", True)  # PK exporter, recognised
    assert effective_rates(selectivity, parsed(partner_aeo))[Channel.YELLOW] == pytest.approx(
        0.0125
    )


def test_random_channel_bands():
    rates = {Channel.RED: 0.1, Channel.YELLOW: 0.2, Channel.BLUE: 0.1}
    assert random_channel(rates, 0.05) is Channel.RED
    assert random_channel(rates, 0.15) is Channel.YELLOW
    assert random_channel(rates, 0.35) is Channel.BLUE
    assert random_channel(rates, 0.45) is None


class History:
    def __init__(self, stats=None, traders=()):
        self.stats = stats or {}
        self.traders = set(traders)

    def unit_value_stats(self, hs6):
        return self.stats.get(hs6)

    def known_trader(self, identifier):
        return identifier in self.traders


DETECT = """
[rule_set]
name = "d"
[selectivity]
random_rates = { red = 0.0, yellow = 0.0, blue = 0.0 }
[detectors]
unit_value_min_samples = 10
unit_value_threshold = 3.5
unit_value_score = 40
new_trader_score = 20
"""


def test_unit_value_outlier_detector_uses_median_and_mad():
    # history of HS 847130: values per kg 190..210 -> median 200, MAD 5
    stats = UnitValueStats.of("847130", [190 + v for v in range(21)])
    assert (stats.median, stats.mad, stats.samples) == (200, 5, 21)
    history = History({"847130": stats}, traders=["91650100MA77XY1234"])
    normal = decide(declaration(), header=DETECT, history=history)
    assert normal.signals == () and normal.channel is Channel.GREEN
    cheap = bend(bend(declaration(), "/items/1/value", "500"), "/invoice/amount", "5500")
    # 20 per kg: z = 0.6745 * (20 - 200) / 5 = -24.3
    flagged = decide(cheap, header=DETECT, history=history)
    assert [(s.source, s.item) for s in flagged.signals] == [("unit_value_outlier", 1)]
    assert flagged.score == 40 and flagged.channel is Channel.YELLOW


def test_outlier_detector_waits_for_enough_samples():
    history = History(
        {"847130": UnitValueStats.of("847130", [200.0, 210.0, 190.0])},
        traders=["91650100MA77XY1234"],
    )
    cheap = bend(bend(declaration(), "/items/1/value", "500"), "/invoice/amount", "5500")
    assert decide(cheap, header=DETECT, history=history).signals == ()


def test_new_trader_detector():
    decision = decide(declaration(), header=DETECT, history=History())
    assert [s.source for s in decision.signals] == ["new_trader"]
    assert decision.score == 20


def test_partner_signals_feed_the_score_through_the_hook():
    from karakoram.domain.risk.detectors import RiskSignal

    signal = RiskSignal("partner_control", "partner seized goods of this trader", 0, Channel.RED)
    given = RiskInput("m", parsed(declaration()), Decimal(1), Decimal(1), 0.99, [signal])
    decision = assess_risk(given, rules(""), 1, NoHistory())
    assert decision.channel is Channel.RED
    assert "partner_control: partner seized goods" in decision.reasons()[0]


def test_the_decision_explains_itself():
    body = rule("CU", '{ field = "origin", op = "eq", value = "CN" }', 'channel = "red"')
    explained = decide(declaration(), body).as_dict()
    assert explained["channel"] == "red"
    assert explained["fired"][0]["values"] == {"origin": "CN"}
    assert explained["reasons"][0].startswith("rule CU")
    assert explained["draw"] == 0.99


def test_the_example_rule_file_is_valid():
    rule_set = parse_rule_set(EXAMPLE.read_text())
    rules = rule_set.rules
    assert len(rules) == 13  # DIFFERS-FROM-CONTRACT (issue 19) the newest
    # issue 13: the example rule set uses the re-lodgement fact
    assert rules[8].id == "RELODGED-AFTER-SELECTION"
    # issue 15: what the partner's controls of the same consignment found
    assert {"PARTNER-FOUND-SAME-UCR", "PARTNER-INSPECTED-CLEAN"} <= {r.id for r in rules}
    # issue 15: and the watch list of vehicles and people, through the truck's facts
    assert [r.id for r in rules[9:12]] == ["WATCHED-VEHICLE", "WATCHED-PERSON", "UNSEALED-IMPORT"]
    assert "GLT404" in rule_set.watch_list.vehicles
    # issue 19: a declaration that differs from the contract its UCR came from
    assert rules[12].id == "DIFFERS-FROM-CONTRACT"


def errors_of(text: str) -> set[tuple[str, str]]:
    with pytest.raises(ValidationFailed) as failed:
        parse_rule_set(text)
    return {(e.code, e.pointer) for e in failed.value.errors}


@pytest.mark.parametrize(
    ("body", "code", "pointer"),
    [
        (
            rule("R", '{ field = "colour", op = "eq", value = "red" }'),
            "unknown_field",
            "/rules/0/when/field",
        ),
        (
            rule("R", '{ field = "value_per_kg", op = "prefix", value = "1" }'),
            "invalid_operator",
            "/rules/0/when/op",
        ),
        (
            rule("R", '{ field = "value_per_kg", op = "lt", value = "cheap" }'),
            "invalid_value",
            "/rules/0/when/value",
        ),
        (
            rule("R", '{ field = "aeo", op = "is", value = "yes" }'),
            "invalid_value",
            "/rules/0/when/value",
        ),
        (
            rule("R", '{ field = "origin", op = "in", value = "CN" }'),
            "invalid_value",
            "/rules/0/when/value",
        ),
        (
            rule("R", '{ field = "gross_mass", op = "between", value = [10, 1] }'),
            "invalid_value",
            "/rules/0/when/value",
        ),
        (rule("R", "{ all = [] }"), "invalid_condition", "/rules/0/when/all"),
        (
            rule("R", '{ all = [ { field = "origin", op = "eq", value = "CN" } ], any = [] }'),
            "invalid_condition",
            "/rules/0/when",
        ),
        (
            rule("R", '{ field = "origin", op = "eq", value = "CN" }', 'channel = "purple"'),
            "invalid_channel",
            "/rules/0/channel",
        ),
        (rule("R", '{ field = "origin", op = "eq", value = "CN" }', ""), "no_effect", "/rules/0"),
        (
            rule("R", '{ field = "origin", op = "eq", value = "CN", colour = 1 }'),
            "unknown_key",
            "/rules/0/when/colour",
        ),
        (
            rule("R", '{ field = "origin", op = "eq", value = "CN" }')
            + rule("R", '{ field = "origin", op = "eq", value = "PK" }'),
            "duplicate_rule",
            "/rules/1/id",
        ),
    ],
)
def test_invalid_rules_are_refused_naming_rule_and_field(body, code, pointer):
    assert (code, pointer) in errors_of(QUIET + body)


def test_error_messages_name_the_rule():
    with pytest.raises(ValidationFailed) as failed:
        parse_rule_set(QUIET + rule("CU-1", '{ field = "colour", op = "eq", value = "x" }'))
    assert failed.value.errors[0].message.startswith("rule CU-1:")


def test_selectivity_and_file_errors():
    assert ("invalid_rate", "/selectivity/random_rates") in errors_of(
        '[rule_set]\nname = "x"\n[selectivity]\nrandom_rates = { red = 0.6, yellow = 0.6 }\n'
    )
    assert ("required", "/rule_set/name") in errors_of("[rule_set]\n")
    assert ("invalid_toml", "") in errors_of("[rule_set\n")
    assert ("unknown_key", "/selectivity/colour") in errors_of(
        '[rule_set]\nname = "x"\n[selectivity]\ncolour = 1\n'
    )
