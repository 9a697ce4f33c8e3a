"""Representation by mandate, AEO status from the register, and no re-roll of the random draw
(issue 13), over the HTTP API on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from karakoram.services.users import add_user
from tests.builders import TRADER, bend, declaration, import_declaration
from tests.integration.test_clearance import EXAMPLES, RATES, load

BROKER = "91650100MA55BR0001"
NOW = datetime.now(UTC)
QUIET = """
[rule_set]
name = "{name}"
currency = "USD"
[selectivity]
thresholds = {{ yellow = 40, red = 70 }}
random_rates = {{ red = 0.0, yellow = {yellow}, blue = 0.0 }}
aeo_factor = 0.25
[detectors]
unit_value = false
new_trader = false
partner_signals = false
[[rules]]
id = "HEAVY"
description = "Heavy consignment"
when = {{ field = "gross_mass", op = "gt", value = 25000 }}
score = 45
[[rules]]
id = "HEAVY-NON-AEO"
description = "Heavy consignment of a trader without AEO status"
when = {{ all = [ {{ field = "gross_mass", op = "gt", value = 25000 }},
                 {{ not = {{ field = "aeo", op = "is", value = true }} }} ] }}
score = 15
[[rules]]
id = "RELODGED"
description = "Re-lodged after a non-green selection"
when = {{ field = "cancelled_after_selection", op = "is", value = true }}
score = 5
"""


def rules(yellow: float, name: str = "test") -> str:
    return QUIET.format(yellow=yellow, name=name)


@pytest.fixture
def policy(client, keys):
    load(client, keys, "rates", RATES, "text/csv")
    load(client, keys, "tariff", (EXAMPLES / "tariff-cn-import.toml").read_text())
    return load(client, keys, "rules", rules(0.4))


@pytest.fixture
def broker(node):
    key = add_user("broker", "trader", BROKER, node.ctx, node.hasher).api_key
    return {"Authorization": f"Bearer {key}"}


def brokered(lrn: str = "BR-1") -> dict:
    """An export by TRADER that the broker declares."""
    doc = declaration(lrn, declarant=BROKER)
    return bend(doc, "/exporter/identifier", TRADER)


def mandate(client, keys, valid_from=None, valid_to=None, who=None):
    body = {"principal": TRADER, "representative": BROKER}
    if valid_from:
        body["valid_from"] = valid_from.isoformat()
    if valid_to:
        body["valid_to"] = valid_to.isoformat()
    return client.post("/mandates", json=body, headers=who or keys.supervisor)


def test_broker_without_a_mandate_for_the_exporter_is_refused(client, keys, broker):
    refused = client.post("/declarations", json=brokered(), headers=broker)
    assert refused.status_code == 403
    assert refused.headers["content-type"] == "application/problem+json"
    assert refused.json()["code"] == "not_represented"
    assert refused.json()["party"] == TRADER
    assert client.get("/declarations", headers=broker).json()["items"] == []


def test_broker_with_a_mandate_is_accepted(client, keys, broker):
    assert mandate(client, keys).status_code == 201
    lodged = client.post("/declarations", json=brokered(), headers=broker)
    assert lodged.status_code == 201, lodged.json()


def test_an_expired_mandate_is_refused(client, keys, broker):
    ended = mandate(client, keys, NOW - timedelta(days=30), NOW - timedelta(days=1))
    assert ended.status_code == 201
    refused = client.post("/declarations", json=brokered(), headers=broker)
    assert refused.status_code == 403
    assert refused.json()["party"] == TRADER


def test_cancelling_after_the_mandate_ended_is_refused(client, keys, broker):
    given = mandate(client, keys).json()
    mrn = client.post("/declarations", json=brokered(), headers=broker).json()["mrn"]
    assert client.post(f"/mandates/{given['id']}/end", headers=keys.admin).status_code == 200
    refused = client.post(
        f"/declarations/{mrn}/cancel", json={"reason": "wrong truck"}, headers=broker
    )
    assert refused.status_code == 403, refused.json()
    assert refused.json()["code"] == "not_represented"
    assert client.get(f"/declarations/{mrn}", headers=keys.officer).json()["status"] == "accepted"


def test_the_same_mandate_twice_is_one_mandate(client, keys):
    start = NOW - timedelta(days=1)
    first = mandate(client, keys, start)
    again = mandate(client, keys, start)
    assert (first.status_code, again.status_code) == (201, 200)
    assert first.json()["id"] == again.json()["id"]
    assert len(client.get("/mandates", headers=keys.supervisor).json()) == 1


def test_a_trader_cannot_record_a_mandate(client, keys):
    refused = mandate(client, keys, who=keys.other)
    assert refused.status_code == 403
    assert client.get("/mandates", headers=keys.supervisor).json() == []


def test_an_import_must_be_declared_by_the_importer(client, keys):
    doc = bend(import_declaration("IM-X", declarant=TRADER), "/importer/identifier", "CN-OTHER")
    refused = client.post("/declarations", json=doc, headers=keys.trader)
    assert refused.status_code == 403
    assert refused.json()["party"] == "CN-OTHER"


def heavy(lrn: str, aeo: bool) -> dict:
    doc = declaration(lrn)
    for item in doc["items"]:
        item["gross_mass"] = "15000"
        item["net_mass"] = "14000"
    for party in ("declarant", "exporter"):
        doc[party]["aeo"] = aeo
    return doc


def risk_of(client, keys, mrn):
    view = client.get(f"/declarations/{mrn}/clearance", headers=keys.supervisor).json()
    return view["assessments"][-1]["risk"]


def test_a_self_claimed_aeo_changes_neither_score_nor_rates(client, keys, policy):
    plain = client.post("/declarations", json=heavy("H-1", False), headers=keys.trader).json()
    claimed = client.post("/declarations", json=heavy("H-2", True), headers=keys.trader).json()
    one, two = risk_of(client, keys, plain["mrn"]), risk_of(client, keys, claimed["mrn"])
    assert one["score"] == two["score"] == 60
    assert one["random_rates"] == two["random_rates"]
    assert two["random_rates"]["yellow"] == pytest.approx(0.4)


def test_a_registered_aeo_lowers_score_and_rates(client, keys, policy):
    entry = {
        "identifier": TRADER,
        "level": "AEOF",
        "valid_from": (NOW - timedelta(days=1)).isoformat(),
    }
    assert client.post("/aeo-register", json=entry, headers=keys.supervisor).status_code == 201
    lodged = client.post("/declarations", json=heavy("H-3", False), headers=keys.trader).json()
    risk = risk_of(client, keys, lodged["mrn"])
    assert risk["score"] == 45
    assert risk["random_rates"]["yellow"] == pytest.approx(0.1)


def test_only_a_supervisor_keeps_the_register(client, keys):
    entry = {"identifier": TRADER, "level": "AEOF"}
    assert client.post("/aeo-register", json=entry, headers=keys.trader).status_code == 403
    assert client.post("/aeo-register", json=entry, headers=keys.officer).status_code == 403
    bad = client.post("/aeo-register", json={**entry, "level": "GOLD"}, headers=keys.supervisor)
    assert bad.status_code == 422
    assert bad.json()["errors"][0]["pointer"] == "/level"
    assert client.get("/aeo-register", headers=keys.supervisor).json() == []


def one_percent_more(doc: dict, lrn: str) -> dict:
    out = bend(doc, "/lrn", lrn)
    out["ucr"] = f"UCR-NEW-{lrn}"
    for item in out["items"]:
        for field in ("quantity", "gross_mass", "net_mass", "value"):
            item[field] = str(Decimal(item[field]) * Decimal("1.01"))
    out["invoice"]["amount"] = str(Decimal(out["invoice"]["amount"]) * Decimal("1.01"))
    return out


def test_relodging_after_a_cancel_keeps_the_draw_and_the_channel(client, keys, policy):
    load(client, keys, "rules", rules(1.0, "everything yellow"))
    first = client.post("/declarations", json=declaration("RR-1"), headers=keys.trader).json()
    assert first["channel"] == "yellow"
    cancelled = client.post(
        f"/declarations/{first['mrn']}/cancel", json={"reason": "later"}, headers=keys.trader
    )
    assert cancelled.status_code == 200, cancelled.json()
    load(client, keys, "rules", rules(0.0, "nothing random"))
    again = client.post(
        "/declarations", json=one_percent_more(declaration("RR-1"), "RR-2"), headers=keys.trader
    )
    assert again.status_code == 201, again.json()
    assert again.json()["channel"] == "yellow"
    before, after = risk_of(client, keys, first["mrn"]), risk_of(client, keys, again.json()["mrn"])
    assert after["draw"] == before["draw"]
    assert "RELODGED" in [f["rule"] for f in after["fired"]]
    assert any(first["mrn"] in s["reason"] for s in after["signals"])


def test_other_goods_draw_afresh(client, keys, policy):
    one = client.post("/declarations", json=declaration("D-1"), headers=keys.trader).json()
    other = bend(declaration("D-2"), "/transport/registration", "XJ-B9999")
    two = client.post("/declarations", json=other, headers=keys.trader).json()
    assert risk_of(client, keys, one["mrn"])["draw"] != risk_of(client, keys, two["mrn"])["draw"]
    relodged = client.post(
        "/declarations", json=one_percent_more(declaration("D-1"), "D-3"), headers=keys.trader
    ).json()
    assert (
        risk_of(client, keys, relodged["mrn"])["draw"] == risk_of(client, keys, one["mrn"])["draw"]
    )
    assert "RELODGED" not in [f["rule"] for f in risk_of(client, keys, relodged["mrn"])["fired"]]
