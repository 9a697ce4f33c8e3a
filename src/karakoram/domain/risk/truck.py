"""Facts on the truck and the people on it, from the cargo report carrying the consignment,
and the watch list of vehicles and persons the rule set holds (docs/gate.md, "Risk on
vehicles and people").

A declaration no cargo report carries yet has `on_cargo_report` false and the other facts
empty: rules that test them do not fire on it."""

from __future__ import annotations

from decimal import Decimal

from karakoram.domain.declaration.model import plate_key
from karakoram.domain.gate.cargo_report import CargoReport
from karakoram.domain.risk.facts import NO_TRUCK, Facts
from karakoram.domain.risk.rules import WatchList, passport_key


def truck_facts(report: CargoReport | None, watch: WatchList) -> Facts:
    """The facts of the truck carrying the consignment (`NO_TRUCK` without one)."""
    if report is None:
        return dict(NO_TRUCK)
    plates = {plate_key(r) for r in report.registrations()}
    passports = {passport_key(p.passport_number) for p in report.people()}
    return {
        "on_cargo_report": True,
        "vehicle_on_watch_list": bool(plates & watch.vehicles),
        "person_on_watch_list": bool(passports & watch.passports),
        "seals_present": bool(report.seals),
        "vehicle_nationality": report.vehicle.nationality,
        "driver_nationality": report.driver.nationality,
        "crew_size": Decimal(len(report.crew)),
    }
