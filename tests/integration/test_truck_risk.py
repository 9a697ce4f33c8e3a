"""Risk on vehicles and people: the cargo report carrying an import gives its facts, and the
rule set's watch list is rule data (docs/gate.md), on SQLite and PostgreSQL."""

from __future__ import annotations

from karakoram.domain.exchange.partner_state import PartnerState
from tests.builders import import_declaration
from tests.integration.test_cargo_reports import carrier_key
from tests.integration.test_clearance import EXAMPLES, RATES, load
from tests.unit.test_gate import report

RULES = """
[rule_set]
name = "trucks"
currency = "USD"
[selectivity]
random_rates = { red = 0.0, yellow = 0.0, blue = 0.0 }
[detectors]
new_trader = false
unit_value = false
[watch_list]
vehicles = ["新Q-T 0042"]
passports = ["ZZ 999"]
[[rules]]
id = "WATCHED-VEHICLE"
description = "a watched vehicle or trailer"
when = { field = "vehicle_on_watch_list", op = "is", value = true }
channel = "red"
[[rules]]
id = "WATCHED-PERSON"
description = "a watched person on the truck"
when = { field = "person_on_watch_list", op = "is", value = true }
channel = "yellow"
[[rules]]
id = "UNSEALED"
description = "no seals"
when = { all = [ { field = "on_cargo_report", op = "is", value = true },
                 { field = "seals_present", op = "is", value = false } ] }
score = 5
"""


def policy(client, keys, rules=RULES):
    load(client, keys, "rates", RATES, "text/csv")
    load(client, keys, "tariff", (EXAMPLES / "tariff-cn-import.toml").read_text())
    load(client, keys, "rules", rules)


def truck(client, node, reference, ucr, **changes):
    doc = report(reference=reference, **changes)
    doc["consignments"] = [{"ucr": ucr, "packages": 10, "gross_mass": "60"}]
    lodged = client.post("/cargo-reports", json=doc, headers=carrier_key(node, reference))
    assert lodged.status_code == 201, lodged.text


def assessed(client, keys, lrn):
    lodged = client.post("/declarations", json=import_declaration(lrn), headers=keys.importer)
    assert lodged.status_code == 201, lodged.text
    body = lodged.json()
    view = client.get(f"/declarations/{body['mrn']}/clearance", headers=keys.officer).json()
    risk = view["assessments"][-1]["risk"]
    return body["channel"], {f["rule"]: f["values"] for f in risk["fired"]}


def test_a_watched_trailer_sends_its_consignment_to_red(client, keys, node):
    policy(client, keys)
    truck(client, node, "CR-1", "UCR-W-1")  # its trailer is 新Q-T0042: watched
    channel, fired = assessed(client, keys, "W-1")
    assert channel == "red" and fired["WATCHED-VEHICLE"] == {"vehicle_on_watch_list": "True"}
    assert "WATCHED-PERSON" not in fired and "UNSEALED" not in fired


def test_a_watched_crew_member_and_no_seals(client, keys, node):
    policy(client, keys)
    crew = [{"name": "X", "passport_number": "ZZ999", "nationality": "PK"}]
    trailer = {"registration": "GB-1", "nationality": "PK"}
    truck(client, node, "CR-2", "UCR-W-2", crew=crew, seals=[], trailer=trailer)
    channel, fired = assessed(client, keys, "W-2")
    assert channel == "yellow" and set(fired) == {"WATCHED-PERSON", "UNSEALED"}


def test_without_a_cargo_report_no_truck_rule_fires(client, keys, node):
    policy(client, keys)
    channel, fired = assessed(client, keys, "W-3")
    assert channel == "green" and fired == {}


def test_a_node_without_partners_sees_no_partner_state(client, keys, node):
    seen = client.get("/exchange/partners/state", headers=keys.supervisor)
    assert seen.status_code == 200 and seen.json() == []
    assert client.get("/exchange/partners/state", headers=keys.officer).status_code == 403
    checks = client.get("/pre-arrival-checks?status=review", headers=keys.officer)
    assert checks.status_code == 200 and checks.json() == []
    assert client.get("/pre-arrival-checks?status=nope", headers=keys.officer).status_code == 422
    assert PartnerState("down") is PartnerState.DOWN
