"""A held import's page in 中文 and اردو, with the example rule set active: the fired rules,
the signals and the release blockers in the reader's language, no English left."""

from __future__ import annotations

import re

import pytest

from karakoram.data import example
from karakoram.domain.clearance import NOT_PRESENTED
from karakoram.domain.risk.rule_file import parse_rule_set
from tests.builders import import_declaration
from tests.integration.test_clearance import RATES, act, goods, load, lodge
from tests.integration.test_web import sign_in

LANGUAGES = {"zh_Hans": "zh-CN,zh;q=0.9", "ur": "ur-PK"}
EXAMPLE_RULES = example("rules-khunjerab.toml").read_text()


def _copper_import(client, keys):
    load(client, keys, "rates", RATES, "text/csv")
    load(client, keys, "tariff", example("tariff-cn-import.toml").read_text())
    load(client, keys, "rules", EXAMPLE_RULES)
    doc = goods(import_declaration(), "740311")
    for item in doc["items"]:
        item["net_mass"], item["gross_mass"] = "1000", "1100"  # 5 USD/kg: CU-UNDERVALUE
    mrn = lodge(client, keys, doc, keys.importer)["mrn"]
    return mrn


@pytest.mark.parametrize("code", sorted(LANGUAGES))
def test_a_held_import_speaks_the_reader_s_language(client, keys, code):
    mrn = _copper_import(client, keys)
    act(client, keys, mrn, "hold", reason="Undervalued copper")
    sign_in(client, keys.officer)
    page = client.get(f"/ui/declarations/{mrn}", headers={"Accept-Language": LANGUAGES[code]})
    assert page.status_code == 200
    rules = {r.id: r for r in parse_rule_set(EXAMPLE_RULES).rules}
    assert "CU-UNDERVALUE" in page.text  # the rule fired and is listed by its id
    assert dict(rules["CU-UNDERVALUE"].explanations)[code] in page.text
    english = [r.description for r in rules.values()] + [NOT_PRESENTED]
    assert [e for e in english if e in page.text] == []
    risk = [t for t in page.text.split("<table") if "CU-UNDERVALUE" in t.split("</table>")[0]]
    assert len(risk) == 1
    # no English sentence left in the risk table's explanations (ids and codes are not words)
    cells = re.findall(r"<td>([^<]*)</td>", risk[0].split("</table>")[0])
    assert len(cells) >= 5
    assert [c for c in cells if re.search(r"[a-z]{3,} [a-z]{3,}", c)] == []


def test_the_blocker_of_an_unpresented_import_is_translated(client, keys):
    mrn = _copper_import(client, keys)
    sign_in(client, keys.officer)
    for code, header in LANGUAGES.items():
        page = client.get(f"/ui/declarations/{mrn}", headers={"Accept-Language": header})
        assert NOT_PRESENTED not in page.text, code
    english = client.get(f"/ui/declarations/{mrn}", headers={"Accept-Language": "en"}).text
    assert NOT_PRESENTED in english
