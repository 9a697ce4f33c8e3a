"""The HS 2022 nomenclature the package ships, loaded into a node on each database: exactly the
5,612 subheadings, no trade-statistics aggregate, and refusals that name the edition."""

from __future__ import annotations

import pytest

from karakoram.bootstrap import load_nomenclature
from karakoram.node_directory import load_hs2022
from tests.builders import bend, declaration

pytestmark = pytest.mark.hs2022


def test_the_shipped_nomenclature_is_exactly_the_5612_subheadings_of_hs_2022(node):
    assert load_hs2022(node) == {"chapters": 96, "headings": 1228, "subheadings": 5612}
    stored = load_nomenclature(node.ctx.uow)  # as a restarted node reads it back
    assert stored is not None and stored.edition == "HS 2022"
    assert len(stored.subheadings) == 5612
    assert "999999" not in stored.subheadings  # the aggregate "not specified according to kind"
    assert {"010121", "847130", "852581", "970690"} <= stored.subheadings


def test_an_aggregate_or_an_hs_2017_code_is_refused_as_not_an_hs_2022_subheading(
    node, client, keys
):
    load_hs2022(node)
    # 852580 (cameras) is an HS 2017 subheading that HS 2022 split into 852581-852589
    doc = bend(bend(declaration(), "/items/0/hs_code", "999999"), "/items/1/hs_code", "852580")
    refused = client.post("/declarations", json=doc, headers=keys.trader)
    assert refused.status_code == 422
    messages = {e["pointer"]: (e["code"], e["message"]) for e in refused.json()["errors"]}
    assert messages == {
        "/items/0/hs_code": ("unknown_hs_code", "999999 is not an HS 2022 subheading."),
        "/items/1/hs_code": ("unknown_hs_code", "852580 is not an HS 2022 subheading."),
    }
    accepted = bend(declaration(), "/items/1/hs_code", "852581")  # new in HS 2022
    assert client.post("/declarations", json=accepted, headers=keys.trader).status_code == 201
