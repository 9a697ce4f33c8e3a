"""The truck at the importing gate, as the simulator drives it over the node's API
(docs/gate.md): the carrier lodges the truck's cargo report before it leaves, the officer
records its arrival and the presentation of its goods (where a pre-lodged green import is
released), and settles the write-off's `undeclared` discrepancy once the importer lodges.

One truck carries one consignment in this model; its plate and driver are the declarations'."""

from __future__ import annotations

import time
from datetime import datetime
from statistics import median
from typing import Any

from karakoram.demo.client import Side
from karakoram.demo.model import Consignment

#: the demo's haulier at each node (nodes.py gives it a carrier's key)
CARRIER = "carrier"


def cargo_report(c: Consignment) -> dict[str, Any]:
    """What the carrier lodges: the truck, its driver and the consignment it carries, weighed
    as it is (the goods, whatever the importer later declares)."""
    return {
        "reference": f"CR-{c.ucr}",
        "direction": "inbound",
        "crossing": "KHUNJERAB",
        "vehicle": {"registration": f"{c.origin}-{c.seq:05d}", "nationality": c.origin},
        "driver": {
            "name": "Driver " + str(c.seq),
            "passport_number": f"P{c.seq:08d}",
            "nationality": c.origin,
        },
        "seals": [f"S-{c.seq:07d}"],
        "consignments": [
            {
                "ucr": c.ucr,
                "packages": len(c.items),
                "gross_mass": str(sum(i.gross_kg for i in c.items)),
            }
        ],
    }


def lodge_cargo_report(side: Side, c: Consignment) -> None:
    """The carrier lodges the truck's report at the importing node (the same again is
    answered with the stored one)."""
    answer = side.call(CARRIER, "POST", "/cargo-reports", cargo_report(c))
    assert answer.status_code in (200, 201), answer.text
    c.state["cargo_report"] = answer.json()["id"]


def arrive_and_present(side: Side, c: Consignment) -> dict[str, Any]:
    """The truck at the post: its arrival, then its goods presented and written off. Returns
    the presentation's answer (the report, in its new state, and the discrepancies)."""
    base = f"/cargo-reports/{c.state['cargo_report']}"
    arrived = side.call("officer", "POST", f"{base}/arrival", {})
    assert arrived.status_code == 200, arrived.text
    presented = side.call("officer", "POST", f"{base}/presentation")
    assert presented.status_code == 200, presented.text
    body: dict[str, Any] = presented.json()
    c.state["presented_at"] = body["report"]["updated_at"]
    return body


def pre_arrival_here(side: Side, c: Consignment) -> bool:
    """Whether the exporting side's pre-arrival data reached the importing node."""
    answer = side.call("officer", "GET", f"/consignments/{c.ucr}/partner")
    return any(r["type"] == "export_pre_arrival" for r in answer.json())


def accept_partner_inspection(side: Side, c: Consignment, link_up: bool) -> bool:
    """The importing officer accepts the exporting side's clean inspection of the consignment
    instead of a second one, once its result is here (waited for, bounded, while the link is
    up). False when the node refuses (409: none received, too old, something found): the
    refusal's code is kept in `c.state["partner_inspection"]`."""
    deadline = time.monotonic() + 5
    while link_up and time.monotonic() < deadline:
        seen = side.call("officer", "GET", f"/consignments/{c.ucr}/partner").json()
        if any(r["type"] == "control_result" for r in seen):
            break
        time.sleep(0.02)  # the partner's relay delivers on its own; poll with a bound
    reason = {"reason": f"the exporting side inspected {c.ucr} and found nothing"}
    path = f"/declarations/{c.state['import']}/actions/accept-partner-inspection"
    answer = side.call("officer", "POST", path, reason)
    if answer.status_code == 409:
        c.state["partner_inspection"] = str(answer.json().get("code", "refused"))
        return False
    assert answer.status_code == 200, answer.text
    c.state["partner_inspection"] = "accepted"
    return True


def settle_undeclared(side: Side, c: Consignment) -> None:
    """The importer lodged after the truck was presented: the officer settles the write-off's
    `undeclared` discrepancy with `add`, and the truck may clear."""
    base = f"/cargo-reports/{c.state['cargo_report']}/discrepancies"
    listed = side.call("officer", "GET", base)
    assert listed.status_code == 200, listed.text
    for d in listed.json():
        if d["kind"] == "undeclared" and d["ucr"] == c.ucr and d["resolution"] is None:
            decision = {"resolution": "add", "reason": f"import {c.state['import']} lodged"}
            done = side.call("officer", "POST", f"{base}/{d['seq']}/resolution", decision)
            assert done.status_code == 200, done.text


def clearance_from_presentation(
    sides: dict[str, Side], consignments: list[Consignment]
) -> dict[str, Any]:
    """The clearance time at the importing gate, from the nodes' own records: for each import
    whose goods were presented, presentation (the truck's report) to release (the
    declaration's timeline); the green ones apart; and how many trucks found the exporting
    side's pre-arrival data already there. Figures only: no target of its own."""
    green: list[float] = []
    every: list[float] = []
    for c in consignments:
        presented, mrn = c.state.get("presented_at"), c.state.get("import")
        if not presented or not mrn:
            continue
        body = sides[c.destination].call("officer", "GET", f"/declarations/{mrn}").json()
        releases = [ev["at"] for ev in body.get("timeline") or [] if ev["action"] == "release"]
        if not releases:
            continue
        start = datetime.fromisoformat(str(presented))
        seconds = max(0.0, (datetime.fromisoformat(releases[0]) - start).total_seconds())
        every.append(seconds)
        if c.state.get("import_channel") == "green":
            green.append(seconds)
    trucks = [c for c in consignments if "pre_arrival_before_truck" in c.state]
    return {
        "green": len(green),
        "green_median_s": median(green) if green else None,
        "imports": len(every),
        "import_median_s": median(every) if every else None,
        "released_at_presentation": sum(1 for s in every if s == 0),
        "trucks": len(trucks),
        "pre_arrival_before_truck": sum(1 for c in trucks if c.state["pre_arrival_before_truck"]),
    }
