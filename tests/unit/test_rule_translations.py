"""What an officer reads in the risk table, in 中文 and اردو: every rule of the example rule
files carries its explanation in both languages, and the signals the detectors and the
partner checks write (a mirror gap, a new trader) and the gate's release blocker are read
back from the catalogue."""

from __future__ import annotations

from importlib.resources import files

import pytest

from karakoram.domain.clearance import NOT_PRESENTED
from karakoram.domain.exchange.mirror import Gap
from karakoram.domain.risk.rule_file import parse_rule_set
from karakoram.entrypoints.web.i18n import translations
from karakoram.entrypoints.web.render import explained
from karakoram.entrypoints.web.sentences import FSI, PDI, translate_sentence

ZH = translations("zh_Hans").gettext
UR = translations("ur").gettext
EXAMPLES = files("karakoram.data") / "examples"
RULE_FILES = sorted(p.name for p in EXAMPLES.iterdir() if p.name.startswith("rules"))


def test_there_is_an_example_rule_file_to_check():
    assert "rules-khunjerab.toml" in RULE_FILES


@pytest.mark.parametrize("name", RULE_FILES)
def test_every_example_rule_is_explained_in_chinese_and_urdu(name):
    rules = parse_rule_set((EXAMPLES / name).read_text()).rules
    lacking = [r.id for r in rules if not {"zh_Hans", "ur"} <= dict(r.explanations).keys()]
    assert not lacking, f"{name}: rules without explanation.zh_Hans and explanation.ur: {lacking}"
    for rule in rules:
        texts = dict(rule.explanations)
        assert texts["zh_Hans"] != rule.description and texts["ur"] != rule.description


def test_the_gate_s_blocker_is_translated():
    assert translate_sentence(NOT_PRESENTED, ZH) == "货物尚未运抵向海关交验"
    assert translate_sentence(NOT_PRESENTED, UR) == "مال ابھی کسٹمز کے سامنے پیش نہیں کیا گیا"


@pytest.mark.parametrize(
    ("gap", "zh", "ur"),
    [
        (
            Gap("value", "36000.00", "30000.00", None),
            f"{FSI}发票价值{PDI}：本方申报 {FSI}36000.00{PDI}，对方申报 {FSI}30000.00{PDI}",
            f"{FSI}انوائس کی قیمت{PDI}: ظاہر کردہ {FSI}36000.00{PDI}، شراکت دار کا ظاہر کردہ "
            f"{FSI}30000.00{PDI}",
        ),
        (
            Gap("gross_mass", "1200", "1000", None, "740311"),
            f"HS {FSI}740311{PDI} 的{FSI}毛重（千克）{PDI}：本方申报 {FSI}1200{PDI}，"
            f"对方申报 {FSI}1000{PDI}",
            f"HS {FSI}740311{PDI} کے لیے {FSI}مجموعی وزن (کلو){PDI}: ظاہر کردہ {FSI}1200{PDI}، "
            f"شراکت دار کا ظاہر کردہ {FSI}1000{PDI}",
        ),
    ],
)
def test_a_mirror_gap_is_explained_in_the_officer_s_language(gap, zh, ur):
    assert translate_sentence(gap.describe(), ZH) == zh
    assert translate_sentence(gap.describe(), UR) == ur


def test_a_mirror_gap_with_a_share_keeps_the_share():
    from decimal import Decimal

    text = Gap("value", "36000", "30000", Decimal("0.2")).describe()
    assert translate_sentence(text, ZH).endswith(f"（{FSI}+20.0%{PDI}）")
    signal = {"source": "mirror", "reason": text}
    assert explained(signal, "ur", UR).startswith(f"{FSI}انوائس کی قیمت{PDI}")
    assert explained(signal, "en") == text


def test_a_new_trader_signal_is_translated():
    text = "trader CN-1 has no declarations at this node"
    assert translate_sentence(text, ZH) == f"贸易商 {FSI}CN-1{PDI} 在本节点没有任何申报记录"
