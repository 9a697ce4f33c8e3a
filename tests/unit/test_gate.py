"""The gate's domain: the truck's state machine, the cargo report's validation, the write-off's
discrepancies (docs/gate.md)."""

from __future__ import annotations

import copy
from dataclasses import replace
from decimal import Decimal
from typing import Any

import pytest

from karakoram.domain.clearance import NOT_PRESENTED, ReleaseState, release_blockers
from karakoram.domain.declaration.codes import CodeLists
from karakoram.domain.errors import InvalidTransition, ValidationFailed
from karakoram.domain.gate.cargo_report import (
    MAX_CONSIGNMENTS,
    Consignment,
    parse_cargo_report,
)
from karakoram.domain.gate.discrepancies import (
    Declared,
    DiscrepancyKind,
    MassTolerance,
    Resolution,
    find_discrepancies,
)
from karakoram.domain.gate.resolution import Settlement, amended_report, parse_settlement
from karakoram.domain.gate.truck import (
    TRANSITIONS,
    Direction,
    TruckAction,
    TruckStatus,
    clear_blockers,
    next_truck_status,
)
from karakoram.domain.risk.channels import Channel

CODES = CodeLists(countries=frozenset({"CN", "PK"}), currencies=frozenset({"CNY", "USD"}))
CROSSINGS = frozenset({"KHUNJERAB"})

IN, OUT = Direction.INBOUND, Direction.OUTBOUND
K = DiscrepancyKind
T, A = TruckStatus, TruckAction


def report(**overrides: Any) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "reference": "CR-2026-0001",
        "direction": "inbound",
        "crossing": "KHUNJERAB",
        "vehicle": {"registration": "新Q-A1234", "nationality": "CN"},
        "trailer": {"registration": "新Q-T0042", "nationality": "CN"},
        "driver": {"name": "Aziz Khan", "passport_number": "AB1234567", "nationality": "PK"},
        "crew": [{"name": "Li Wei", "passport_number": "E12345678", "nationality": "CN"}],
        "seals": ["S-0001", "S-0002"],
        "consignments": [
            {"ucr": "UCR-1", "packages": 10, "gross_mass": "1200"},
            {"ucr": "UCR-2", "packages": 4, "gross_mass": "300.5"},
        ],
    }
    doc.update(overrides)
    return doc


def problems(doc: Any) -> set[tuple[str, str]]:
    with pytest.raises(ValidationFailed) as failed:
        parse_cargo_report(doc, CODES, CROSSINGS)
    return {(e.code, e.pointer) for e in failed.value.errors}


# --- the truck's state machine ---------------------------------------------------------------


def test_an_inbound_truck_arrives_is_presented_and_clears():
    status = T.REPORTED
    for action, expected in [
        (A.ARRIVE, T.ARRIVED),
        (A.AMEND, T.ARRIVED),
        (A.PRESENT, T.PRESENTED),
        (A.CLEAR, T.CLEARED),
    ]:
        status = next_truck_status(IN, status, action)
        assert status is expected


def test_an_outbound_truck_is_presented_then_exits_and_never_arrives():
    status = next_truck_status(OUT, T.REPORTED, A.PRESENT)
    assert next_truck_status(OUT, status, A.EXIT) is T.EXITED
    with pytest.raises(InvalidTransition, match="Cannot arrive an outbound truck"):
        next_truck_status(OUT, T.REPORTED, A.ARRIVE)


@pytest.mark.parametrize("direction", list(Direction))
@pytest.mark.parametrize("status", list(TruckStatus))
@pytest.mark.parametrize("action", list(TruckAction))
def test_every_pair_not_in_the_table_is_refused(direction, status, action):
    rule = TRANSITIONS.get((direction, action))
    if rule is not None and status in rule[0]:
        assert next_truck_status(direction, status, action) in set(TruckStatus)
    else:
        with pytest.raises(InvalidTransition) as refused:
            next_truck_status(direction, status, action)
        assert status.value in str(refused.value)


def test_nothing_happens_to_a_truck_once_it_cleared_exited_or_was_cancelled():
    for direction in Direction:
        for done in (T.CLEARED, T.EXITED, T.CANCELLED):
            for action in TruckAction:
                with pytest.raises(InvalidTransition):
                    next_truck_status(direction, done, action)


def test_a_truck_clears_only_presented_released_and_without_open_discrepancies():
    assert clear_blockers(T.PRESENTED, [], 0) == []
    blocked = clear_blockers(T.ARRIVED, ["26PK1", "26PK0"], 2)
    assert blocked == [
        "the truck is arrived, not presented",
        "not yet released: 26PK0, 26PK1",
        "2 discrepancy(ies) to resolve",
    ]


# --- the cargo report ------------------------------------------------------------------------


def test_a_good_report_reads_with_the_driver_first():
    parsed = parse_cargo_report(report(), CODES, CROSSINGS)
    assert parsed.driver.passport_number == "AB1234567"
    assert [p.name for p in parsed.people()] == ["Aziz Khan", "Li Wei"]
    assert parsed.registrations() == ("新Q-A1234", "新Q-T0042")
    assert [(c.ucr, c.packages, c.gross_mass) for c in parsed.consignments] == [
        ("UCR-1", 10, Decimal(1200)),
        ("UCR-2", 4, Decimal("300.5")),
    ]
    assert parsed.direction is Direction.INBOUND and parsed.seals == ("S-0001", "S-0002")


def test_a_report_without_trailer_or_crew_is_fine():
    doc = report()
    del doc["trailer"], doc["crew"], doc["seals"]
    parsed = parse_cargo_report(doc, CODES, CROSSINGS)
    assert parsed.trailer is None and len(parsed.crew) == 1 and parsed.seals == ()


def test_every_problem_is_listed_at_once_with_its_pointer():
    doc = report(direction="sideways", crossing="NOWHERE", extra=1)
    doc["vehicle"] = {"registration": "", "nationality": "XX"}
    doc["crew"] = [copy.deepcopy(doc["driver"]), "nobody"]
    doc["seals"] = ["", 7]
    doc["consignments"] = [
        {"ucr": "UCR-1", "packages": 0, "gross_mass": "-1"},
        {"ucr": "UCR-1", "packages": True, "gross_mass": "12"},
        "junk",
    ]
    assert problems(doc) == {
        ("unknown_field", "/extra"),
        ("invalid_value", "/direction"),
        ("unknown_crossing", "/crossing"),
        ("required", "/vehicle/registration"),
        ("unknown_country", "/vehicle/nationality"),
        ("duplicate", "/crew"),
        ("invalid_type", "/crew/1"),
        ("invalid_format", "/seals/0"),
        ("invalid_format", "/seals/1"),
        ("out_of_range", "/consignments/0/packages"),
        ("not_positive", "/consignments/0/gross_mass"),
        ("duplicate", "/consignments/1/ucr"),
        ("invalid_type", "/consignments/1/packages"),
        ("invalid_type", "/consignments/2"),
    }


@pytest.mark.parametrize("hostile", [None, [], "report", 7, {"consignments": "x" * 10_000}])
def test_hostile_shapes_are_refused_not_crashed_on(hostile):
    assert problems(hostile)


def test_a_report_has_bounds():
    many = [{"ucr": f"U{i}", "packages": 1, "gross_mass": 1} for i in range(MAX_CONSIGNMENTS + 1)]
    assert ("too_many", "/consignments") in problems(report(consignments=many))
    assert ("required", "/consignments") in problems(report(consignments=[]))


# --- the write-off ---------------------------------------------------------------------------


def test_a_truck_that_matches_its_declarations_has_no_discrepancy():
    parsed = parse_cargo_report(report(), CODES, CROSSINGS)
    declared = [
        Declared("UCR-1", "26PK1", Decimal(1190), "新Q-A1234", packages=10),
        Declared("UCR-2", "26PK2", Decimal(300), "新QA1234"),
    ]
    assert find_discrepancies(parsed, declared) == []


def test_each_kind_of_discrepancy_is_found_and_named():
    parsed = parse_cargo_report(report(), CODES, CROSSINGS)
    declared = [
        Declared("UCR-1", "26PK1", Decimal(1000), "新Q-A1234", packages=9),
        Declared("UCR-3", "26PK3", Decimal(50), "新q a1234"),
        Declared("UCR-4", "26PK4", Decimal(50), "OTHER-TRUCK"),
    ]
    found = find_discrepancies(parsed, declared)
    assert [(d.kind, d.ucr, d.mrn) for d in found] == [
        (DiscrepancyKind.PACKAGES, "UCR-1", "26PK1"),
        (DiscrepancyKind.MASS, "UCR-1", "26PK1"),
        (DiscrepancyKind.UNDECLARED, "UCR-2", None),
        (DiscrepancyKind.NOT_ON_TRUCK, "UCR-3", "26PK3"),
    ]
    assert found[1].detail == "1200 kg on the truck, 1000 kg declared"


def test_the_mass_tolerance_is_the_larger_of_a_share_and_an_allowance():
    tolerance = MassTolerance(share=Decimal("0.05"), kilograms=Decimal(50))
    assert tolerance.allows(Decimal(100), Decimal(150))  # 50 kg allowance
    assert not tolerance.allows(Decimal(100), Decimal("150.1"))
    assert tolerance.allows(Decimal(10_000), Decimal(10_500))  # 5 %
    assert not tolerance.allows(Decimal(10_000), Decimal(10_501))


def test_a_settlement_is_read_with_every_problem_at_once():
    with pytest.raises(ValidationFailed) as failed:
        parse_settlement({"resolution": "amend", "packages": 0, "extra": 1}, K.NOT_ON_TRUCK)
    assert {(e.code, e.pointer) for e in failed.value.errors} == {
        ("unknown_field", "/extra"),
        ("required", "/reason"),
        ("invalid_value", "/packages"),
        ("required", "/gross_mass"),
    }
    with pytest.raises(ValidationFailed) as wrong:
        parse_settlement({"resolution": "add", "reason": "x"}, K.MASS)
    assert [(e.code, e.pointer) for e in wrong.value.errors] == [("not_allowed", "/resolution")]
    with pytest.raises(ValidationFailed) as unknown:
        parse_settlement({"resolution": "forget", "reason": "x"}, K.MASS)
    assert [e.code for e in unknown.value.errors] == ["invalid_value"]
    seize = parse_settlement({"resolution": "seize", "reason": " no papers "}, K.UNDECLARED)
    assert (seize.resolution, seize.reason, seize.gross_mass) == (
        Resolution.SEIZE,
        "no papers",
        None,
    )


def test_an_amendment_corrects_a_consignment_or_adds_the_missing_one():
    parsed = parse_cargo_report(report(), CODES, CROSSINGS)
    fixed = amended_report(
        parsed, "UCR-1", Settlement(Resolution.AMEND, "weighed", None, Decimal(61))
    )
    assert [(c.ucr, c.packages, c.gross_mass) for c in fixed.consignments] == [
        ("UCR-1", 10, Decimal(61)),
        ("UCR-2", 4, Decimal("300.5")),
    ]
    added = amended_report(parsed, "UCR-9", Settlement(Resolution.AMEND, "found", 3, Decimal(90)))
    assert added.consignments[-1] == Consignment("UCR-9", 3, Decimal(90))
    assert added.vehicle == parsed.vehicle and len(added.consignments) == 3


def test_an_import_not_presented_is_not_released_whatever_else_is_done():
    state = ReleaseState(Channel.GREEN, False, False, False, Decimal(0), Decimal(0), "CNY", False)
    assert release_blockers(state) == [NOT_PRESENTED]
    assert release_blockers(replace(state, presented=True)) == []
