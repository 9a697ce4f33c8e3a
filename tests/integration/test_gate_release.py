"""Release at the gate (issue 15 part 2, docs/gate.md): imports wait for their goods to be
presented, pre-lodged green imports are released at presentation, a truck clears when
nothing holds it, officers settle discrepancies, an outbound truck exits. SQLite and
PostgreSQL."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from karakoram.adapters.db.tables import audit_log
from karakoram.services.audit.verify import verify_audit
from tests.builders import declaration, import_declaration, present_goods
from tests.integration.test_cargo_reports import carrier_key
from tests.integration.test_clearance import EXAMPLES, RATES, RULES, act, load, lodge, timeline
from tests.integration.test_web import csrf_of, sign_in
from tests.unit.test_gate import report


@pytest.fixture(autouse=True)
def policy(client, keys) -> None:
    """Rates, the import tariff and rules routing by HS heading (8471 green, 7403 red)."""
    load(client, keys, "rates", RATES, "text/csv")
    load(client, keys, "tariff", (EXAMPLES / "tariff-cn-import.toml").read_text())
    load(client, keys, "rules", RULES)


def paid_import(client, keys, lrn: str, then: str = "assessed") -> dict:
    """A green import, its duties paid: lodged before its truck it waits only for the goods
    (`assessed`); after, it is `released` at payment."""
    doc = import_declaration(lrn)
    body = lodge(client, keys, doc, keys.importer)
    pay = {"reference": f"TRX-{lrn}", "amount": body["amount_due"], "currency": "CNY"}
    paid = client.post(f"/declarations/{body['mrn']}/payments", json=pay, headers=keys.officer)
    assert paid.status_code == 201 and paid.json()["status"] == then, paid.text
    return body | {"ucr": doc["ucr"]}


def status(client, keys, mrn: str) -> str:
    return str(client.get(f"/declarations/{mrn}", headers=keys.officer).json()["status"])


def cargo_changes(node) -> list[str]:
    """The kinds of every change to a truck in the audit chain, in order (one entry holds
    the changes one unit of work made to one report)."""
    with node.engine.connect() as conn:
        query = select(audit_log.c.canonical).where(audit_log.c.kind.like("cargo.%"))
        rows = conn.execute(query.order_by(audit_log.c.seq)).all()
    found = []
    for row in rows:
        found += [c["kind"] for c in json.loads(row.canonical)["what"]["changes"]]
    return found


def test_a_pre_lodged_green_import_is_released_at_presentation_and_the_truck_clears(
    client, keys, node
):
    first, second = paid_import(client, keys, "IM-A"), paid_import(client, keys, "IM-B")
    presented = present_goods(client, node, keys.officer, first["ucr"], second["ucr"])
    assert (presented["report"]["status"], presented["discrepancies"]) == ("cleared", [])
    for body in (first, second):
        assert status(client, keys, body["mrn"]) == "cleared"
        assert timeline(client, keys, body["mrn"])[-3:] == [
            ("pay", "assessed"),
            ("release", "released"),
            ("clear", "cleared"),
        ]
    # presentation, write-off and clearance: one unit of work, one stretch of the chain
    assert cargo_changes(node)[-3:] == ["cargo.status", "cargo.write_off", "cargo.status"]
    assert verify_audit(node.ctx).ok


def test_presentation_first_then_payment_releases_and_clears_the_truck(client, keys, node):
    doc = import_declaration("IM-LATE")
    body = lodge(client, keys, doc, keys.importer)
    presented = present_goods(client, node, keys.officer, doc["ucr"])
    assert presented["report"]["status"] == "presented"
    view = client.get(f"/declarations/{body['mrn']}/clearance", headers=keys.officer).json()
    assert view["status"] == "assessed" and "goods not yet presented" not in view["blockers"]
    pay = {"reference": "TRX-LATE", "amount": body["amount_due"], "currency": "CNY"}
    paid = client.post(f"/declarations/{body['mrn']}/payments", json=pay, headers=keys.officer)
    assert paid.status_code == 201 and paid.json()["status"] == "released"
    truck = client.get(f"/cargo-reports/{presented['report']['id']}", headers=keys.officer)
    assert truck.json()["status"] == "cleared"
    assert status(client, keys, body["mrn"]) == "cleared"


def test_a_red_import_waits_for_its_truck_even_once_inspected(client, keys, node):
    doc = import_declaration("IM-RED")
    for item in doc["items"]:
        item["hs_code"] = "740311"
    mrn = lodge(client, keys, doc, keys.importer)["mrn"]
    act(client, keys, mrn, "inspect", findings={"notes": "as declared"})
    refused = act(client, keys, mrn, "release", expect=409)
    assert "goods not yet presented" in refused["detail"]
    present_goods(client, node, keys.officer, doc["ucr"])
    still = act(client, keys, mrn, "release", expect=409)
    assert "goods not yet presented" not in still["detail"]  # the duties are still owed


def test_a_mass_discrepancy_holds_the_release_until_the_report_is_amended(client, keys, node):
    body = paid_import(client, keys, "IM-HEAVY")
    presented = present_goods(client, node, keys.officer, body["ucr"], gross_mass="900")
    assert [d["kind"] for d in presented["discrepancies"]] == ["mass"]
    assert presented["report"]["status"] == "presented"
    assert status(client, keys, body["mrn"]) == "assessed"
    base = f"/cargo-reports/{presented['report']['id']}/discrepancies"
    bad = client.post(f"{base}/1/resolution", json={"resolution": "amend"}, headers=keys.officer)
    assert bad.status_code == 422
    assert {(e["code"], e["pointer"]) for e in bad.json()["errors"]} == {
        ("required", "/reason"),
        ("required", "/gross_mass"),
    }
    wrong = client.post(
        f"{base}/1/resolution", json={"resolution": "add", "reason": "x"}, headers=keys.officer
    )
    assert wrong.status_code == 422 and wrong.json()["errors"][0]["code"] == "not_allowed"
    decision = {"resolution": "amend", "reason": "weighed again: 61 kg", "gross_mass": "61"}
    done = client.post(f"{base}/1/resolution", json=decision, headers=keys.officer)
    assert done.status_code == 200, done.text
    assert done.json()["report"]["status"] == "cleared"
    assert done.json()["report"]["report"]["consignments"][0]["gross_mass"] == "61"
    assert done.json()["discrepancy"]["resolution"] == "amend"
    assert status(client, keys, body["mrn"]) == "cleared"
    again = client.post(f"{base}/1/resolution", json=decision, headers=keys.officer)
    assert again.status_code == 200 and again.json()["discrepancy"] == done.json()["discrepancy"]
    other = {"resolution": "seize", "reason": "changed my mind"}
    assert client.post(f"{base}/1/resolution", json=other, headers=keys.officer).status_code == 409
    assert client.post(f"{base}/9/resolution", json=other, headers=keys.officer).status_code == 404
    assert cargo_changes(node)[-3:] == ["cargo.amended", "cargo.resolved", "cargo.status"]
    assert verify_audit(node.ctx).ok


def test_an_undeclared_consignment_is_added_once_declared_or_seized(client, keys, node):
    known = paid_import(client, keys, "IM-KNOWN")
    presented = present_goods(client, node, keys.officer, known["ucr"], "UCR-IM-LOOSE", "UCR-X")
    kinds = [(d["seq"], d["kind"], d["ucr"]) for d in presented["discrepancies"]]
    assert kinds == [(1, "undeclared", "UCR-IM-LOOSE"), (2, "undeclared", "UCR-X")]
    assert status(client, keys, known["mrn"]) == "released"  # its own consignment matched
    base = f"/cargo-reports/{presented['report']['id']}"
    add = {"resolution": "add", "reason": "the importer lodged it at the post"}
    early = client.post(f"{base}/discrepancies/1/resolution", json=add, headers=keys.officer)
    assert early.status_code == 409 and early.json()["code"] == "not_declared"
    late = paid_import(client, keys, "IM-LOOSE", then="released")  # its goods are here
    added = client.post(f"{base}/discrepancies/1/resolution", json=add, headers=keys.officer)
    assert added.status_code == 200 and added.json()["report"]["status"] == "presented"
    seize = {"resolution": "seize", "reason": "no papers, no owner"}
    seized = client.post(f"{base}/discrepancies/2/resolution", json=seize, headers=keys.officer)
    assert seized.status_code == 200 and seized.json()["report"]["status"] == "cleared"
    assert {status(client, keys, b["mrn"]) for b in (known, late)} == {"cleared"}
    listed = client.get(f"{base}/discrepancies", headers=keys.officer).json()
    assert [(d["resolution"], d["resolved_by"]) for d in listed] == [
        ("add", "officer"),
        ("seize", "officer"),
    ]


def test_seizing_a_declared_consignment_holds_its_declaration(client, keys, node):
    body = paid_import(client, keys, "IM-SHORT")
    presented = present_goods(client, node, keys.officer, body["ucr"], gross_mass="5")
    base = f"/cargo-reports/{presented['report']['id']}/discrepancies/1/resolution"
    seize = {"resolution": "seize", "reason": "a tenth of the declared mass"}
    assert client.post(base, json=seize, headers=keys.officer).status_code == 200
    assert status(client, keys, body["mrn"]) == "held"
    assert timeline(client, keys, body["mrn"])[-1] == ("hold", "held")


def test_an_outbound_truck_exits_with_its_exports(client, keys, node):
    mrn = lodge(client, keys, declaration("EX-OUT"))["mrn"]
    assert status(client, keys, mrn) == "released"
    outbound = report(
        reference="CR-OUT-1",
        direction="outbound",
        consignments=[{"ucr": "UCR-EX-OUT", "packages": 3, "gross_mass": "60"}],
    )
    made = client.post("/cargo-reports", json=outbound, headers=carrier_key(node)).json()
    base = f"/cargo-reports/{made['id']}"
    early = client.post(f"{base}/exit", headers=keys.officer)
    assert early.status_code == 409 and early.json()["code"] == "invalid_transition"
    assert client.post(f"{base}/presentation", headers=keys.officer).status_code == 200
    gone = client.post(f"{base}/exit", headers=keys.officer)
    assert gone.status_code == 200 and gone.json()["status"] == "exited"
    assert status(client, keys, mrn) == "exited"
    assert client.post(f"{base}/exit", headers=keys.officer).status_code == 409
    inbound = present_goods(client, node, keys.officer, "UCR-NOBODY")
    refused = client.post(f"/cargo-reports/{inbound['report']['id']}/exit", headers=keys.officer)
    assert refused.status_code == 409


def test_an_outbound_truck_with_an_unreleased_export_is_held(client, keys, node):
    doc = declaration("EX-RED")
    for item in doc["items"]:
        item["hs_code"] = "740311"
    mrn = lodge(client, keys, doc)["mrn"]
    outbound = report(
        reference="CR-OUT-2",
        direction="outbound",
        consignments=[{"ucr": "UCR-EX-RED", "packages": 3, "gross_mass": "60"}],
    )
    made = client.post("/cargo-reports", json=outbound, headers=carrier_key(node)).json()
    base = f"/cargo-reports/{made['id']}"
    assert client.post(f"{base}/presentation", headers=keys.officer).status_code == 200
    held = client.post(f"{base}/exit", headers=keys.officer)
    assert held.status_code == 409 and held.json()["code"] == "truck_held"
    assert "UCR-EX-RED" in held.json()["detail"]
    assert status(client, keys, mrn) == "assessed"


def test_an_officer_settles_a_discrepancy_on_the_trucks_page(client, keys, node):
    body = paid_import(client, keys, "IM-WEB")
    presented = present_goods(client, node, keys.officer, body["ucr"], gross_mass="700")
    page_path = f"/ui/cargo-reports/{presented['report']['id']}"
    sign_in(client, keys.officer)
    page = client.get(page_path)
    assert page.status_code == 200
    assert "700 kg on the truck, 60 kg declared" in page.text
    assert 'name="resolution"' in page.text and "新Q-B9001" in page.text
    form = f"{page_path}/discrepancies/1"
    refused = client.post(form, data={"csrf": csrf_of(page), "resolution": "amend", "reason": ""})
    assert refused.status_code == 422 and "reason is required" in refused.text
    done = client.post(
        form,
        data={
            "csrf": csrf_of(page),
            "resolution": "amend",
            "reason": "weighed again",
            "gross_mass": "60",
        },
    )
    assert done.status_code == 200  # followed the redirect back to the page
    assert "weighed again (officer)" in done.text and 'name="resolution"' not in done.text
    assert status(client, keys, body["mrn"]) == "cleared"
