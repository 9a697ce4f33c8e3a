"""The cargo report (manifest) of one truck, lodged by the carrier before it arrives.

It names the vehicle and trailer, the driver and crew, the seals, and the consignments the
truck carries (UCR, packages, gross mass). Read like a declaration: every problem at once,
each with a code and a JSON pointer (`FieldReader`)."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from karakoram.domain.declaration.codes import CodeLists
from karakoram.domain.declaration.field_reader import FieldReader
from karakoram.domain.declaration.model import plain_decimal
from karakoram.domain.errors import ValidationFailed
from karakoram.domain.gate.truck import Direction

#: a truck is not a train: beyond these a report is a mistake or an attack
MAX_CREW = 8
MAX_SEALS = 50
MAX_CONSIGNMENTS = 200

_FIELDS = frozenset(
    {"reference", "direction", "crossing", "vehicle", "trailer", "driver", "crew", "seals"}
    | {"consignments"}
)
_VEHICLE = frozenset({"registration", "nationality"})
_PERSON = frozenset({"name", "passport_number", "nationality"})
_CONSIGNMENT = frozenset({"ucr", "packages", "gross_mass"})


@dataclass(frozen=True, slots=True)
class Vehicle:
    registration: str
    nationality: str


@dataclass(frozen=True, slots=True)
class Person:
    name: str
    passport_number: str
    nationality: str


@dataclass(frozen=True, slots=True)
class Consignment:
    ucr: str
    packages: int
    gross_mass: Decimal


@dataclass(frozen=True, slots=True)
class CargoReport:
    """A validated cargo report: `reference` is the carrier's own (idempotency key, like an
    LRN); the driver is `crew[0]`."""

    reference: str
    direction: Direction
    crossing: str
    vehicle: Vehicle
    trailer: Vehicle | None
    crew: tuple[Person, ...]
    seals: tuple[str, ...]
    consignments: tuple[Consignment, ...]

    @property
    def driver(self) -> Person:
        return self.crew[0]

    def people(self) -> tuple[Person, ...]:
        return self.crew

    def registrations(self) -> tuple[str, ...]:
        """The vehicle's and the trailer's registrations, as a watch list matches them."""
        found = [self.vehicle.registration]
        if self.trailer is not None:
            found.append(self.trailer.registration)
        return tuple(found)


def parse_cargo_report(data: Any, codes: CodeLists, crossings: frozenset[str]) -> CargoReport:
    """A `CargoReport` from submitted JSON, or `ValidationFailed` listing every problem."""
    r = FieldReader()
    if not isinstance(data, Mapping):
        r.fail("invalid_type", "", "A cargo report must be a JSON object.")
        raise ValidationFailed(r.errors)
    r.unknown_fields(data, _FIELDS, "")
    reference = r.reference(data, "reference", "")
    direction = _direction(r, data)
    crossing = r.code(data, "crossing", "", crossings, "unknown_crossing", "a crossing here")
    vehicle = _vehicle(r, r.mapping(data, "vehicle", ""), "/vehicle", codes)
    trailer_raw = data.get("trailer")
    trailer = None
    if trailer_raw is not None:
        trailer = _vehicle(r, r.mapping(data, "trailer", ""), "/trailer", codes)
    crew = _crew(r, data, codes)
    seals = _seals(r, data)
    consignments = _consignments(r, data)
    if r.errors:
        raise ValidationFailed(r.errors)
    return CargoReport(reference, direction, crossing, vehicle, trailer, crew, seals, consignments)


def _direction(r: FieldReader, data: Mapping[str, Any]) -> Direction:
    allowed = frozenset(d.value.upper() for d in Direction)
    value = r.code(data, "direction", "", allowed, "invalid_value", "inbound or outbound")
    return Direction(value.lower()) if value in allowed else Direction.INBOUND


def _vehicle(r: FieldReader, raw: Mapping[str, Any], ptr: str, codes: CodeLists) -> Vehicle:
    if not raw:
        return Vehicle("", "")
    r.unknown_fields(raw, _VEHICLE, ptr)
    return Vehicle(
        registration=r.text(raw, "registration", ptr, max_len=35),
        nationality=r.country(raw, "nationality", ptr, codes.countries),
    )


def _person(r: FieldReader, raw: Any, ptr: str, codes: CodeLists) -> Person:
    if not isinstance(raw, Mapping):
        r.fail("invalid_type", ptr, "A crew member must be an object.")
        return Person("", "", "")
    r.unknown_fields(raw, _PERSON, ptr)
    return Person(
        name=r.text(raw, "name", ptr, max_len=200),
        passport_number=r.text(raw, "passport_number", ptr, max_len=35),
        nationality=r.country(raw, "nationality", ptr, codes.countries),
    )


def _crew(r: FieldReader, data: Mapping[str, Any], codes: CodeLists) -> tuple[Person, ...]:
    """The driver first, then the rest of the crew (at most `MAX_CREW` people)."""
    driver = _person(r, r.mapping(data, "driver", "") or {}, "/driver", codes)
    others = _list(r, data, "crew", MAX_CREW - 1, required=False)
    crew = [driver, *(_person(r, p, f"/crew/{i}", codes) for i, p in enumerate(others))]
    passports = [p.passport_number for p in crew if p.passport_number]
    if len(set(passports)) < len(passports):
        r.fail("duplicate", "/crew", "The same passport is listed twice on the truck.")
    return tuple(crew)


def _seals(r: FieldReader, data: Mapping[str, Any]) -> tuple[str, ...]:
    seals = _list(r, data, "seals", MAX_SEALS, required=False)
    found = []
    for i, seal in enumerate(seals):
        if not isinstance(seal, str) or not seal.strip() or len(seal) > 35:
            r.fail("invalid_format", f"/seals/{i}", "A seal number is 1-35 characters.")
            continue
        found.append(seal.strip())
    return tuple(found)


def _consignments(r: FieldReader, data: Mapping[str, Any]) -> tuple[Consignment, ...]:
    raw = _list(r, data, "consignments", MAX_CONSIGNMENTS, required=True)
    if "consignments" in data and isinstance(data["consignments"], list) and not raw:
        r.fail("required", "/consignments", "A cargo report lists at least one consignment.")
    found: list[Consignment] = []
    seen: set[str] = set()
    for i, item in enumerate(raw):
        ptr = f"/consignments/{i}"
        if not isinstance(item, Mapping):
            r.fail("invalid_type", ptr, "A consignment must be an object.")
            continue
        r.unknown_fields(item, _CONSIGNMENT, ptr)
        ucr = r.reference(item, "ucr", ptr)
        if ucr and ucr in seen:
            r.fail("duplicate", f"{ptr}/ucr", f"{ucr} is listed twice on the truck.")
        seen.add(ucr)
        packages = _packages(r, item, ptr)
        found.append(Consignment(ucr, packages, r.positive(item, "gross_mass", ptr)))
    return tuple(found)


def _packages(r: FieldReader, item: Mapping[str, Any], ptr: str) -> int:
    value = item.get("packages")
    if isinstance(value, bool) or not isinstance(value, int):
        r.fail("invalid_type", f"{ptr}/packages", "packages must be a whole number.")
        return 0
    if not 0 < value < 1_000_000:
        r.fail("out_of_range", f"{ptr}/packages", "packages must be between 1 and 999,999.")
        return 0
    return value


def _list(
    r: FieldReader, data: Mapping[str, Any], key: str, limit: int, *, required: bool
) -> list[Any]:
    value = data.get(key)
    if value is None:
        if required:
            r.fail("required", f"/{key}", f"{key} is required.")
        return []
    if not isinstance(value, list):
        r.fail("invalid_type", f"/{key}", f"{key} must be a list.")
        return []
    if len(value) > limit:
        r.fail("too_many", f"/{key}", f"{key} lists at most {limit} entries.")
        return value[:limit]
    return value


def report_to_dict(report: CargoReport) -> dict[str, Any]:
    """The canonical form of a report (stored, hashed, sent to the partner)."""

    def person(p: Person) -> dict[str, str]:
        return {"name": p.name, "passport_number": p.passport_number, "nationality": p.nationality}

    def vehicle(v: Vehicle) -> dict[str, str]:
        return {"registration": v.registration, "nationality": v.nationality}

    return {
        "reference": report.reference,
        "direction": report.direction.value,
        "crossing": report.crossing,
        "vehicle": vehicle(report.vehicle),
        "trailer": None if report.trailer is None else vehicle(report.trailer),
        "driver": person(report.driver),
        "crew": [person(p) for p in report.crew[1:]],
        "seals": list(report.seals),
        "consignments": [
            {"ucr": c.ucr, "packages": c.packages, "gross_mass": plain_decimal(c.gross_mass)}
            for c in report.consignments
        ],
    }


def report_from_dict(data: Mapping[str, Any]) -> CargoReport:
    """A stored report back (its form was validated when it was lodged)."""

    def person(p: Mapping[str, str]) -> Person:
        return Person(p["name"], p["passport_number"], p["nationality"])

    def vehicle(v: Mapping[str, str]) -> Vehicle:
        return Vehicle(v["registration"], v["nationality"])

    return CargoReport(
        data["reference"],
        Direction(data["direction"]),
        data["crossing"],
        vehicle(data["vehicle"]),
        None if data["trailer"] is None else vehicle(data["trailer"]),
        (person(data["driver"]), *(person(p) for p in data["crew"])),
        tuple(data["seals"]),
        tuple(
            Consignment(c["ucr"], int(c["packages"]), Decimal(c["gross_mass"]))
            for c in data["consignments"]
        ),
    )


def report_digest(report: CargoReport) -> str:
    """SHA-256 of the canonical form: resubmitting the same report is recognised as such."""
    text = json.dumps(report_to_dict(report), sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()
