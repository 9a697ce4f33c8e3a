"""Declarations through every channel to release, hold and seizure, over the HTTP API."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from karakoram.data import example
from tests.builders import bend, declaration, import_declaration, present_goods

EXAMPLES = example("")
YESTERDAY = (datetime.now(UTC) - timedelta(days=1)).date().isoformat()
RATES = f"date,currency,rate\n{YESTERDAY},USD,7.2\n{YESTERDAY},PKR,0.0256\n"
# Routing by HS heading, no random selection and no detectors: every outcome is deliberate.
RULES = """
[rule_set]
name = "test routing"
currency = "USD"
[selectivity]
random_rates = { red = 0.0, yellow = 0.0, blue = 0.0 }
[detectors]
unit_value = false
new_trader = false
[[rules]]
id = "RED-COPPER"
description = "Copper cathodes"
when = { field = "hs_code", op = "prefix", value = ["7403"] }
channel = "red"
[[rules]]
id = "YELLOW-CABLE"
description = "Insulated cable"
when = { field = "hs_code", op = "prefix", value = ["8544"] }
channel = "yellow"
[[rules]]
id = "BLUE-FRIDGE"
description = "Refrigerators"
when = { field = "hs_code", op = "prefix", value = ["8418"] }
channel = "blue"
"""


def load(client, keys, kind, text, content_type="application/toml"):
    stored = client.post(
        f"/policy/{kind}",
        content=text.encode(),
        headers=keys.supervisor | {"Content-Type": content_type},
    )
    assert stored.status_code == 201, stored.json()
    version = stored.json()["version"]
    activated = client.post(
        f"/policy/{kind}/{version}/activate", json={"reason": "test"}, headers=keys.supervisor
    )
    assert activated.status_code == 200, activated.json()
    return version


@pytest.fixture
def policy(client, keys):
    load(client, keys, "rates", RATES, "text/csv")
    load(client, keys, "tariff", (EXAMPLES / "tariff-cn-import.toml").read_text())
    return load(client, keys, "rules", RULES)


def goods(doc, hs):
    for item in doc["items"]:
        item["hs_code"] = hs
    return doc


def lodge(client, keys, doc, who=None):
    response = client.post("/declarations", json=doc, headers=who or keys.trader)
    assert response.status_code == 201, response.json()
    return response.json()


def act(client, keys, mrn, action, expect=200, **body):
    response = client.post(f"/declarations/{mrn}/actions/{action}", json=body, headers=keys.officer)
    assert response.status_code == expect, response.json()
    return response.json()


def timeline(client, keys, mrn):
    body = client.get(f"/declarations/{mrn}", headers=keys.officer).json()
    return [(e["action"], e["to_state"]) for e in body["timeline"]]


def test_without_a_policy_declarations_wait_and_say_why(client, keys):
    mrn = lodge(client, keys, declaration())["mrn"]
    view = client.get(f"/declarations/{mrn}/clearance", headers=keys.officer).json()
    assert view["status"] == "accepted"
    assert "no active rule set" in view["pending"]


def test_green_export_with_nothing_owed_is_released_at_once(client, keys, policy):
    body = lodge(client, keys, declaration())
    assert (body["status"], body["channel"], body["amount_due"]) == ("released", "green", "0")
    assert timeline(client, keys, body["mrn"]) == [
        ("lodge", "lodged"),
        ("accept", "accepted"),
        ("assess", "assessed"),
        ("release", "released"),
    ]


def test_green_import_is_released_when_paid_and_its_goods_are_presented(client, keys, node, policy):
    doc = import_declaration()
    body = lodge(client, keys, doc, keys.importer)
    mrn = body["mrn"]
    # 2 items x 5000 USD x 7.2 = 36000 CNY each; 8471: DUTY 0%, VAT 13% -> 4680 each
    assert (body["status"], body["channel"]) == ("assessed", "green")
    assert body["amount_due"] == "9360"
    view = client.get(f"/declarations/{mrn}/clearance", headers=keys.officer).json()
    duties = view["assessments"][0]["duties"]
    assert Decimal(body["amount_due"]) == sum(Decimal(x["amount"]) for x in duties["lines"])
    assert view["blockers"] == [
        "goods not yet presented",
        f"{body['amount_due']} CNY of {body['amount_due']} owed is neither paid nor guaranteed",
    ]
    pay = {"reference": "TRX-1", "amount": body["amount_due"], "currency": "CNY"}
    paid = client.post(f"/declarations/{mrn}/payments", json=pay, headers=keys.officer)
    assert paid.status_code == 201 and paid.json()["status"] == "assessed"
    refused = act(client, keys, mrn, "release", expect=409)
    assert "goods not yet presented" in refused["detail"]
    again = client.post(f"/declarations/{mrn}/payments", json=pay, headers=keys.officer)
    assert again.status_code == 200
    payments = client.get(f"/declarations/{mrn}/clearance", headers=keys.officer).json()
    assert len(payments["payments"]) == 1
    presented = present_goods(client, node, keys.officer, doc["ucr"])
    assert (presented["report"]["status"], presented["discrepancies"]) == ("cleared", [])
    after = client.get(f"/declarations/{mrn}/clearance", headers=keys.officer).json()
    assert (after["status"], after["blockers"]) == ("cleared", [])
    assert [a for a, _ in timeline(client, keys, mrn)][-3:] == ["pay", "release", "clear"]


def test_yellow_needs_a_document_check_before_release(client, keys, policy):
    mrn = lodge(client, keys, goods(declaration(), "854442"))["mrn"]
    refused = act(client, keys, mrn, "release", expect=409)
    assert "documents must be checked" in refused["detail"]
    missing_reason = act(client, keys, mrn, "request-documents", expect=422)
    assert missing_reason["errors"][0]["pointer"] == "/reason"
    act(client, keys, mrn, "request-documents", reason="packing list and invoice")
    act(client, keys, mrn, "check-documents", findings={"documents_complete": True})
    released = act(client, keys, mrn, "release")
    assert released["status"] == "released"
    view = client.get(f"/declarations/{mrn}/clearance", headers=keys.officer).json()
    assert view["controls"][0]["result"] == "compliant"
    assert view["assessments"][0]["risk"]["fired"][0]["rule"] == "YELLOW-CABLE"


def test_red_is_inspected_then_released(client, keys, policy):
    mrn = lodge(client, keys, goods(declaration(), "740311"))["mrn"]
    refused = act(client, keys, mrn, "release", expect=409)
    assert "physical inspection" in refused["detail"]
    act(client, keys, mrn, "inspect", findings={"seals": "intact", "notes": "all as declared"})
    assert act(client, keys, mrn, "release")["status"] == "released"


def test_red_with_prohibited_goods_is_seized_never_released(client, keys, policy):
    mrn = lodge(client, keys, goods(declaration(), "740311"))["mrn"]
    act(client, keys, mrn, "inspect", findings={"prohibited_goods": True, "notes": "ivory"})
    assert "prohibited" in act(client, keys, mrn, "release", expect=409)["detail"]
    seized = act(client, keys, mrn, "seize", reason="prohibited goods found")
    assert seized["status"] == "seized"
    after = act(client, keys, mrn, "release", expect=409)
    assert after["current"] == "seized"


def test_held_goods_can_be_released_after_a_discrepancy_is_settled(client, keys, policy):
    mrn = lodge(client, keys, goods(declaration(), "740311"))["mrn"]
    act(client, keys, mrn, "inspect", findings={"quantity_matches": False})
    assert act(client, keys, mrn, "hold", reason="two pallets short")["status"] == "held"
    cancel = client.post(f"/declarations/{mrn}/cancel", json={"reason": "x"}, headers=keys.trader)
    assert cancel.status_code == 409  # held goods are under customs control
    assert act(client, keys, mrn, "release")["status"] == "released"
    view = client.get(f"/declarations/{mrn}/clearance", headers=keys.officer).json()
    assert view["controls"][0]["result"] == "discrepancy"


def test_blue_is_released_with_an_audit_note(client, keys, policy):
    body = lodge(client, keys, goods(declaration(), "841810"))
    assert (body["status"], body["channel"]) == ("released", "blue")
    assert (
        "post-clearance audit"
        in client.get(f"/declarations/{body['mrn']}", headers=keys.officer).json()["timeline"][-1][
            "reason"
        ]
    )


def test_a_supervisor_overrides_a_channel_with_a_reason(client, keys, policy):
    mrn = lodge(client, keys, goods(declaration(), "854442"))["mrn"]
    denied = client.post(
        f"/declarations/{mrn}/channel",
        json={"channel": "green", "reason": "x"},
        headers=keys.officer,
    )
    assert denied.status_code == 403
    done = client.post(
        f"/declarations/{mrn}/channel",
        json={"channel": "green", "reason": "AEO with clean history"},
        headers=keys.supervisor,
    )
    assert done.json()["status"] == "released" and done.json()["channel"] == "green"
    kinds = [
        a["kind"]
        for a in client.get(f"/declarations/{mrn}/clearance", headers=keys.officer).json()[
            "assessments"
        ]
    ]
    assert kinds == ["automatic", "override"]


def test_the_queue_lists_what_awaits_officers_by_channel(client, keys, policy):
    red = lodge(client, keys, goods(declaration("Q1"), "740311"))["mrn"]
    yellow = lodge(client, keys, goods(declaration("Q2"), "854442"))["mrn"]
    lodge(client, keys, declaration("Q3"))  # green: released, not queued
    queue = client.get("/queue", headers=keys.officer).json()
    assert [e["mrn"] for e in queue] == [red, yellow]
    assert [e["mrn"] for e in client.get("/queue?channel=red", headers=keys.officer).json()] == [
        red
    ]
    assert client.get("/queue", headers=keys.trader).status_code == 403


def test_amending_re_assesses(client, keys, policy):
    mrn = lodge(client, keys, goods(declaration(), "854442"))["mrn"]
    amended = client.put(f"/declarations/{mrn}", json=declaration(), headers=keys.trader)
    assert (amended.json()["status"], amended.json()["channel"]) == ("released", "green")
    actions = [a for a, _ in timeline(client, keys, mrn)]
    assert actions == ["lodge", "accept", "assess", "amend", "assess", "release"]


def test_a_missing_exchange_rate_refuses_the_lodgement(client, keys, policy):
    doc = bend(declaration(), "/invoice/currency", "EUR")
    response = client.post("/declarations", json=doc, headers=keys.trader)
    assert response.status_code == 422
    assert response.json()["errors"][0]["code"] == "missing_exchange_rate"
    assert client.get("/declarations", headers=keys.officer).json()["items"] == []


def test_an_invalid_rule_set_is_refused_and_the_active_one_stays(client, keys, policy):
    bad = RULES.replace('op = "prefix", value = ["7403"]', 'op = "lt", value = "cheap"')
    response = client.post(
        "/policy/rules",
        content=bad.encode(),
        headers=keys.supervisor | {"Content-Type": "application/toml"},
    )
    assert response.status_code == 422
    error = response.json()["errors"][0]
    assert (error["code"], error["pointer"]) == ("invalid_operator", "/rules/0/when/op")
    assert "RED-COPPER" in error["message"]
    listed = client.get("/policy/rules", headers=keys.supervisor).json()
    assert [(d["version"], d["status"]) for d in listed] == [(policy, "active")]


def test_an_overlapping_tariff_is_refused(client, keys, policy):
    text = (EXAMPLES / "tariff-cn-import.toml").read_text()
    text += '\n[[lines]]\nhs_prefix = "8471"\nrates = { DUTY = "1%", VAT = "13%" }\n'
    response = client.post(
        "/policy/tariff",
        content=text.encode(),
        headers=keys.supervisor | {"Content-Type": "application/toml"},
    )
    assert response.status_code == 422
    assert "duplicate_line" in {e["code"] for e in response.json()["errors"]}


def test_rules_are_activated_rolled_back_and_need_a_supervisor(client, keys, policy):
    stricter = RULES.replace('channel = "blue"', 'channel = "red"')
    headers = keys.supervisor | {"Content-Type": "application/toml"}
    v2 = client.post("/policy/rules", content=stricter.encode(), headers=headers).json()
    assert v2["status"] == "draft"
    assert (
        client.post(
            f"/policy/rules/{v2['version']}/activate", json={}, headers=keys.officer
        ).status_code
        == 403
    )
    client.post(f"/policy/rules/{v2['version']}/activate", json={}, headers=keys.supervisor)
    assert lodge(client, keys, goods(declaration("R1"), "841810"))["channel"] == "red"
    back = client.post(
        "/policy/rules/rollback", json={"reason": "too strict"}, headers=keys.supervisor
    ).json()
    assert back["version"] == policy
    assert lodge(client, keys, goods(declaration("R2"), "841810"))["channel"] == "blue"


def test_a_backtest_reports_shares_and_changes_nothing(client, keys, policy):
    for n, hs in enumerate(["740311", "854442", "847130", "847130"]):
        lodge(client, keys, goods(declaration(f"B{n}"), hs))
    before = client.get("/declarations", headers=keys.officer).json()["items"]
    stricter = RULES.replace('prefix", value = ["8544"]', 'prefix", value = ["8544", "8471"]')
    headers = keys.supervisor | {"Content-Type": "application/toml"}
    draft = client.post("/policy/rules", content=stricter.encode(), headers=headers).json()
    report = client.post(
        f"/policy/rules/{draft['version']}/backtest", headers=keys.supervisor
    ).json()
    assert report["total"] == 4 and report["changed"] == 2
    assert report["channels"]["yellow"]["count"] == 3
    assert report["channels"]["yellow"]["actual"] == 1
    assert report["channels"]["red"]["share"] == 0.25
    cable = next(r for r in report["rules"] if r["rule"] == "YELLOW-CABLE")
    assert (cable["fired"], cable["decisive"]) == (3, 3)
    after = client.get("/declarations", headers=keys.officer).json()["items"]
    assert after == before
