"""Joint inspections' rules: who accepts, when a result is recorded, which record is signed."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

import pytest

from karakoram.domain.errors import InvalidTransition
from karakoram.domain.joint_inspection import (
    JointInspection,
    JointStatus,
    check_accept,
    check_record,
    joint_record,
    matches,
)

AT = datetime(2026, 12, 1, 9, 30, tzinfo=UTC)
PROPOSED = JointInspection("p-1", "UCR-1", "PK-GB", "PK-GB", AT, JointStatus.PROPOSED)


def test_only_the_other_side_accepts_a_proposal():
    check_accept(PROPOSED, "CN-URC")
    with pytest.raises(InvalidTransition):
        check_accept(PROPOSED, "PK-GB")
    with pytest.raises(InvalidTransition):
        check_accept(replace(PROPOSED, status=JointStatus.ACCEPTED), "CN-URC")


@pytest.mark.parametrize("status", [JointStatus.PROPOSED, JointStatus.SIGNED, JointStatus.RECORDED])
def test_a_result_is_recorded_once_and_only_after_acceptance(status):
    check_record(replace(PROPOSED, status=JointStatus.ACCEPTED))
    with pytest.raises(InvalidTransition):
        check_record(replace(PROPOSED, status=status))


def test_the_record_names_both_sides_in_one_order_and_only_it_matches():
    accepted = replace(PROPOSED, status=JointStatus.ACCEPTED)
    record = joint_record(accepted, "compliant", {"notes": "ok"}, ("PK-GB", "CN-URC"))
    assert record["administrations"] == ["CN-URC", "PK-GB"]
    assert record["at"] == AT.isoformat()
    assert matches(accepted, record, "CN-URC")
    assert not matches(accepted, {**record, "ucr": "UCR-2"}, "CN-URC")
    assert not matches(accepted, {**record, "at": "2026-12-02T09:30:00+00:00"}, "CN-URC")
    assert not matches(PROPOSED, record, "CN-URC")  # not agreed yet
    signed = replace(accepted, status=JointStatus.SIGNED, record=record)
    assert matches(signed, record, "CN-URC")
    assert not matches(signed, {**record, "result": "discrepancy"}, "CN-URC")
