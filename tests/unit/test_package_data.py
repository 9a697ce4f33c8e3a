"""The files the package ships: the HS 2022 nomenclature with its source and licence beside it,
read without the data package's aggregates, and the example policy found as package data."""

from __future__ import annotations

from karakoram.data import example, hs2022
from karakoram.domain.declaration.nomenclature_file import read_nomenclature

# the published file's last rows: aggregates of the trade statistics, not HS codes
AGGREGATES = """section,hscode,description,parent,level
I,01,Animals; live,TOTAL,2
I,0101,"Horses, asses, mules and hinnies; live",01,4
I,010121,"Horses; live, pure-bred breeding animals",0101,6
TOTAL,99,Commodities not specified according to kind,TOTAL,2
TOTAL,9999,Commodities not specified according to kind,99,4
TOTAL,999999,Commodities not specified according to kind,9999,6
TOTAL,TOTAL,Total of all HS2022 commodities,TOTAL,5
"""


def test_the_shipped_hs_2022_file_has_its_5612_subheadings_and_no_aggregate():
    rows = read_nomenclature(hs2022())
    subheadings = {r.code for r in rows if r.level == 6}
    assert len(subheadings) == 5612 and "999999" not in subheadings
    assert {r.level for r in rows} == {2, 4, 6}
    assert not any(r.section == "TOTAL" for r in rows)


def test_the_shipped_nomenclature_names_its_source_and_licence():
    notice = (hs2022().parent / "README.md").read_text()
    assert "UN Comtrade" in notice and "PDDL" in notice and "999999" in notice


def test_reading_the_published_file_leaves_out_the_aggregates(tmp_path):
    published = tmp_path / "harmonized-system.csv"
    published.write_text(AGGREGATES)
    codes = [r.code for r in read_nomenclature(published)]
    assert codes == ["01", "0101", "010121"]


def test_example_policy_is_package_data():
    assert "[rule_set]" in example("rules-khunjerab.toml").read_text()
