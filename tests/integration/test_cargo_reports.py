"""Carriers lodge cargo reports (docs/gate.md), on SQLite and PostgreSQL."""

from __future__ import annotations

import copy
from concurrent.futures import ThreadPoolExecutor

from sqlalchemy import func, select

from karakoram.adapters.db.tables import arrivals, audit_log, cargo_consignments, cargo_reports
from karakoram.services.audit.verify import verify_audit
from karakoram.services.users import add_user
from tests.builders import declaration, import_declaration
from tests.unit.test_gate import report

CARRIER = "CN-HAUL-0001"


def carrier_key(node, name: str = "haulier", party: str = CARRIER) -> dict[str, str]:
    api_key = add_user(name, "carrier", party, node.ctx, node.hasher).api_key
    return {"Authorization": f"Bearer {api_key}"}


def counts(node) -> tuple[int, int]:
    with node.engine.connect() as conn:
        reports = conn.scalar(select(func.count()).select_from(cargo_reports))
        lines = conn.scalar(select(func.count()).select_from(cargo_consignments))
    return reports, lines


def test_a_carrier_lodges_a_report_once_and_an_officer_reads_it(client, keys, node):
    carrier = carrier_key(node)
    first = client.post("/cargo-reports", json=report(), headers=carrier)
    assert first.status_code == 201, first.text
    body = first.json()
    assert (body["carrier"], body["status"], body["version"]) == (CARRIER, "reported", 1)
    assert [c["ucr"] for c in body["report"]["consignments"]] == ["UCR-1", "UCR-2"]
    assert body["report"]["driver"]["passport_number"] == "AB1234567"
    again = client.post("/cargo-reports", json=report(), headers=carrier)
    assert again.status_code == 200 and again.json() == body
    assert counts(node) == (1, 2)
    read = client.get(f"/cargo-reports/{body['id']}", headers=keys.officer)
    assert read.status_code == 200 and read.json() == body
    with node.ctx.uow() as uow:
        assert [r.id for r in uow.cargo.carrying("UCR-2")] == [body["id"]]
        assert uow.cargo.carrying("UCR-9") == []


def test_the_same_reference_with_other_content_is_a_conflict_and_changes_nothing(client, node):
    carrier = carrier_key(node)
    assert client.post("/cargo-reports", json=report(), headers=carrier).status_code == 201
    changed = report()
    changed["consignments"][0]["gross_mass"] = "9999"
    refused = client.post("/cargo-reports", json=changed, headers=carrier)
    assert refused.status_code == 409
    assert refused.json()["code"] == "reference_conflict"
    assert "CR-2026-0001" in refused.json()["detail"]
    assert counts(node) == (1, 2)


def test_a_bad_report_lists_every_problem_and_stores_nothing(client, node):
    bad = report(crossing="NOWHERE")
    bad["consignments"] = [{"ucr": "U-1", "packages": -2, "gross_mass": "x"}]
    del bad["vehicle"]
    refused = client.post("/cargo-reports", json=bad, headers=carrier_key(node))
    assert refused.status_code == 422
    assert {(e["code"], e["pointer"]) for e in refused.json()["errors"]} == {
        ("unknown_crossing", "/crossing"),
        ("required", "/vehicle"),
        ("out_of_range", "/consignments/0/packages"),
        ("invalid_format", "/consignments/0/gross_mass"),
    }
    broken = client.post(
        "/cargo-reports",
        content=b"{not json",
        headers=carrier_key(node, "other", "CN-HAUL-0002") | {"Content-Type": "application/json"},
    )
    assert broken.status_code == 422 and broken.json()["errors"][0]["code"] == "invalid_json"
    assert counts(node) == (0, 0)


def test_only_carriers_lodge_and_a_carrier_sees_only_its_own(client, keys, node):
    assert client.post("/cargo-reports", json=report(), headers=keys.trader).status_code == 403
    assert client.post("/cargo-reports", json=report(), headers=keys.officer).status_code == 403
    mine = client.post("/cargo-reports", json=report(), headers=carrier_key(node)).json()
    rival = carrier_key(node, "rival", "CN-HAUL-0009")
    assert client.get(f"/cargo-reports/{mine['id']}", headers=rival).status_code == 404
    assert client.get("/cargo-reports/999999", headers=keys.officer).status_code == 404
    for role in (keys.trader, keys.analyst, keys.partner):
        assert client.get(f"/cargo-reports/{mine['id']}", headers=role).status_code == 403
    # a carrier reads no declaration
    assert client.get("/declarations", headers=rival).status_code == 403


def test_concurrent_lodgements_of_one_report_store_one(client, node):
    carrier = carrier_key(node)

    def post(_: int) -> int:
        return client.post(
            "/cargo-reports", json=copy.deepcopy(report()), headers=carrier
        ).status_code

    with ThreadPoolExecutor(4) as pool:
        statuses = sorted(pool.map(post, range(8)))
    assert statuses == [200] * 7 + [201]
    assert counts(node) == (1, 2)


def test_a_lodged_report_is_in_the_audit_chain(client, node):
    made = client.post("/cargo-reports", json=report(), headers=carrier_key(node)).json()
    with node.engine.connect() as conn:
        kinds = conn.execute(
            select(audit_log.c.kind, audit_log.c.subject, audit_log.c.actor).where(
                audit_log.c.kind == "cargo.lodged"
            )
        ).all()
    assert [tuple(k) for k in kinds] == [
        ("cargo.lodged", f"cargo/{CARRIER}/CR-2026-0001", "haulier")
    ]
    assert made["id"] is not None
    assert verify_audit(node.ctx).ok


def inbound_report(**overrides):
    return report(
        vehicle={"registration": "XJ-A1234", "nationality": "CN"},
        consignments=[
            {"ucr": "UCR-IM-1", "packages": 2, "gross_mass": "500"},
            {"ucr": "UCR-LOOSE", "packages": 1, "gross_mass": "20"},
        ],
        **overrides,
    )


def test_a_truck_arrives_then_its_goods_are_presented_and_written_off(client, keys, node):
    lodged = client.post("/declarations", json=import_declaration("IM-1"), headers=keys.importer)
    assert lodged.status_code == 201, lodged.text
    mrn = lodged.json()["mrn"]
    # another import names the same truck (its plate typed otherwise) but is not on it
    missing = import_declaration("IM-2")
    missing["transport"] = {"registration": "xj a1234", "nationality": "CN"}
    elsewhere = client.post("/declarations", json=missing, headers=keys.importer).json()["mrn"]
    made = client.post("/cargo-reports", json=inbound_report(), headers=carrier_key(node)).json()
    base = f"/cargo-reports/{made['id']}"
    early = client.post(f"{base}/presentation", headers=keys.officer)
    assert early.status_code == 409 and "reported" in early.json()["detail"]
    arrived = client.post(f"{base}/arrival", json={}, headers=keys.officer)
    assert arrived.status_code == 200, arrived.text
    assert (arrived.json()["status"], arrived.json()["version"]) == ("arrived", 2)
    with node.engine.connect() as conn:
        stamped = conn.execute(select(arrivals.c.ucr, arrivals.c.office)).all()
    assert sorted(tuple(r) for r in stamped) == [("UCR-IM-1", "CNKJB"), ("UCR-LOOSE", "CNKJB")]
    assert client.post(f"{base}/arrival", json={}, headers=keys.officer).status_code == 409
    presented = client.post(f"{base}/presentation", headers=keys.officer)
    assert presented.status_code == 200, presented.text
    assert presented.json()["report"]["status"] == "presented"
    found = [(d["kind"], d["ucr"], d["mrn"]) for d in presented.json()["discrepancies"]]
    assert found == [
        ("mass", "UCR-IM-1", mrn),
        ("undeclared", "UCR-LOOSE", None),
        ("not_on_truck", "UCR-IM-2", elsewhere),
    ]
    listed = client.get(f"{base}/discrepancies", headers=keys.officer)
    assert listed.json() == presented.json()["discrepancies"]
    assert listed.json()[0]["detail"] == "500 kg on the truck, 60 kg declared"
    assert client.get(f"{base}/discrepancies", headers=carrier_key(node, "c2")).status_code == 403
    with node.engine.connect() as conn:
        changes = conn.execute(
            select(audit_log.c.kind, audit_log.c.actor).where(audit_log.c.kind.like("cargo.%"))
        ).all()
    assert [tuple(c) for c in changes] == [
        ("cargo.lodged", "haulier"),
        ("cargo.status", "officer"),
        ("cargo.status", "officer"),
    ]
    assert verify_audit(node.ctx).ok


def test_an_outbound_truck_never_arrives_and_a_matching_one_has_no_discrepancy(client, keys, node):
    lodged = client.post("/declarations", json=declaration("EX-9"), headers=keys.trader)
    assert lodged.status_code == 201, lodged.text
    outbound = report(
        direction="outbound",
        vehicle={"registration": "XJ-A1234", "nationality": "CN"},
        consignments=[{"ucr": "UCR-EX-9", "packages": 3, "gross_mass": "61"}],
    )
    made = client.post("/cargo-reports", json=outbound, headers=carrier_key(node)).json()
    base = f"/cargo-reports/{made['id']}"
    refused = client.post(f"{base}/arrival", json={}, headers=keys.officer)
    assert refused.status_code == 409
    assert refused.json()["detail"] == "Cannot arrive an outbound truck that is reported."
    presented = client.post(f"{base}/presentation", headers=keys.officer)
    assert presented.status_code == 200
    assert presented.json()["discrepancies"] == []
    assert client.post(f"{base}/presentation", headers=keys.officer).status_code == 409


def test_arrival_at_an_unknown_office_or_of_a_missing_report_changes_nothing(client, keys, node):
    made = client.post("/cargo-reports", json=inbound_report(), headers=carrier_key(node)).json()
    wrong = client.post(
        f"/cargo-reports/{made['id']}/arrival", json={"office": "XXX"}, headers=keys.officer
    )
    assert wrong.status_code == 422 and wrong.json()["errors"][0]["code"] == "unknown_office"
    missing = client.post("/cargo-reports/424242/arrival", json={}, headers=keys.officer)
    assert missing.status_code == 404
    read = client.get(f"/cargo-reports/{made['id']}", headers=keys.officer).json()
    assert (read["status"], read["version"]) == ("reported", 1)
