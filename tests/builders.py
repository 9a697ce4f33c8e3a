"""Test data (a valid export declaration, helpers to bend it, an all-green rule set), a truck
presenting goods at the post (what an import's release waits for) and a free loopback port
for tests that start servers."""

from __future__ import annotations

import copy
import itertools
import socket
from typing import Any

from karakoram.services.users import add_user

TRADER = "91650100MA77XY1234"
OTHER_TRADER = "91650100MA88ZZ5678"
IMPORTER = "PK-NTN-4412345"


def item(**overrides: Any) -> dict[str, Any]:
    base = {
        "hs_code": "847130",
        "description": "Portable computers",
        "origin": "CN",
        "quantity": "10",
        "unit": "NAR",
        "gross_mass": "30",
        "net_mass": "25",
        "value": "5000",
    }
    base.update(overrides)
    return base


def declaration(
    lrn: str = "LRN-1", declarant: str = TRADER, items: int = 2, **overrides: Any
) -> dict[str, Any]:
    """A valid export from the China-side node's default configuration."""
    goods = [item() for _ in range(items)]
    doc: dict[str, Any] = {
        "type": "EX",
        "lrn": lrn,
        "ucr": f"UCR-{lrn}",
        "declarant": {
            "name": "Kashgar Silk Road Trading",
            "identifier": declarant,
            "country": "CN",
            "aeo": True,
        },
        "exporter": {
            "name": "Kashgar Silk Road Trading",
            "identifier": declarant,
            "country": "CN",
            "aeo": True,
        },
        "importer": {"name": "Hunza Valley Traders", "identifier": IMPORTER, "country": "PK"},
        "office_of_lodgement": "CNKSG",
        "office_of_exit_entry": "CNKJB",
        "crossing": "KHUNJERAB",
        "transport": {"registration": "XJ-A1234", "nationality": "CN"},
        "driver": {"name": "Aili Maimaiti", "passport_number": "E1234567", "nationality": "CN"},
        "invoice": {"amount": str(5000 * items), "currency": "USD"},
        "incoterm": "DAP",
        "items": goods,
    }
    doc.update(overrides)
    return doc


def import_declaration(lrn: str = "IM-1", declarant: str = IMPORTER) -> dict[str, Any]:
    """A valid import into the China-side node (exporter in PK, importer in CN)."""
    doc = declaration(lrn, declarant=declarant)
    doc["type"] = "IM"
    doc["exporter"] = {"name": "Sost Exports", "identifier": "PK-NTN-99", "country": "PK"}
    doc["importer"] = {"name": "Urumqi Importers", "identifier": declarant, "country": "CN"}
    return doc


def bend(doc: dict[str, Any], pointer: str, value: Any) -> dict[str, Any]:
    """A copy of `doc` with the field at JSON `pointer` set to `value` (or removed if ...)."""
    out = copy.deepcopy(doc)
    *path, last = pointer.strip("/").split("/")
    target: Any = out
    for part in path:
        target = target[int(part)] if isinstance(target, list) else target[part]
    if value is ...:
        del target[int(last) if isinstance(target, list) else last]
    elif isinstance(target, list):
        target[int(last)] = value
    else:
        target[last] = value
    return out


#: a rule set that sends everything to the green channel (no random selection, no detectors)
GREEN_RULES = """
[rule_set]
name = "all green"
[selectivity]
random_rates = { red = 0.0, yellow = 0.0, blue = 0.0 }
[detectors]
new_trader = false
unit_value = false
[[rules]]
id = "NOTHING"
when = { field = "origin", op = "eq", value = "XX" }
score = 1
"""


CARRIER = "CN-HAUL-0001"
_trucks = itertools.count(1)


def present_goods(
    client: Any,
    node: Any,
    officer: dict[str, str],
    *ucrs: str,
    gross_mass: str = "60",
    registration: str = "新Q-B9001",
) -> dict[str, Any]:
    """Bring the goods of `ucrs` to the post as the gate does (docs/gate.md): a carrier lodges
    a cargo report listing them (each of `gross_mass` kg, what `declaration()` declares), the
    officer records the truck's arrival and its presentation. Returns the presentation's
    answer (the report and its discrepancies)."""
    n = next(_trucks)
    carrier = add_user(f"carrier-{n}", "carrier", CARRIER, node.ctx, node.hasher).api_key
    report = {
        "reference": f"CR-TEST-{n}",
        "direction": "inbound",
        "crossing": "KHUNJERAB",
        "vehicle": {"registration": registration, "nationality": "CN"},
        "driver": {"name": "Aziz Khan", "passport_number": f"AB{n:07d}", "nationality": "PK"},
        "consignments": [{"ucr": u, "packages": 2, "gross_mass": gross_mass} for u in ucrs],
    }
    lodged = client.post(
        "/cargo-reports", json=report, headers={"Authorization": f"Bearer {carrier}"}
    )
    assert lodged.status_code == 201, lodged.text
    path = f"/cargo-reports/{lodged.json()['id']}"
    arrived = client.post(f"{path}/arrival", json={}, headers=officer)
    assert arrived.status_code == 200, arrived.text
    presented = client.post(f"{path}/presentation", headers=officer)
    assert presented.status_code == 200, presented.text
    return dict(presented.json())


def present_at_gate(node: Any, *records: Any, undeclared: tuple[str, ...] = ()) -> Any:
    """`present_goods` through the services, for tests without an HTTP client: a carrier's
    report of the consignments of `records` (lodged declarations, each weighed as declared)
    and of the `undeclared` UCRs (which keep the truck from clearing), the truck's arrival at
    the node's border office and its presentation. Returns the presented (or cleared) report."""
    from karakoram.domain.access import Principal, Role
    from karakoram.services.gate.cargo_reports import lodge_cargo_report
    from karakoram.services.gate.presentation import arrive_truck, present_truck

    n = next(_trucks)
    carrier = Principal(0, f"carrier-{n}", Role.CARRIER, CARRIER)
    officer = Principal(0, "gate officer", Role.OFFICER)
    consignments = [
        {
            "ucr": r.declaration.ucr,
            "packages": 2,
            "gross_mass": str(sum(i.gross_mass for i in r.declaration.items)),
        }
        for r in records
    ] + [{"ucr": ucr, "packages": 1, "gross_mass": "10"} for ucr in undeclared]
    report = {
        "reference": f"CR-GATE-{n}",
        "direction": "inbound",
        "crossing": "KHUNJERAB",
        "vehicle": {"registration": f"GATE-{n}", "nationality": "CN"},
        "driver": {"name": "Aziz Khan", "passport_number": f"G{n:07d}", "nationality": "PK"},
        "consignments": consignments,
    }
    lodged, _ = lodge_cargo_report(report, carrier, node.ctx)
    arrive_truck(lodged.id, node.settings.border_office, officer, node.ctx)
    presented, found = present_truck(lodged.id, officer, node.ctx)
    assert [(d.kind.value, d.ucr) for d in found] == [("undeclared", u) for u in undeclared]
    return presented


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def tampered(token: str) -> str:
    """A compact JWS with one character of its signature changed (never only its padding bits:
    a character in the middle of the signature, where all six bits count)."""
    head, payload, signature = token.split(".")
    i = len(signature) // 2
    swapped = "B" if signature[i] != "B" else "C"
    return ".".join((head, payload, signature[:i] + swapped + signature[i + 1 :]))
