from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from karakoram.domain.clearance import (
    OPEN_STATES,
    Action,
    ReleaseState,
    Status,
    next_status,
    release_blockers,
)
from karakoram.domain.declaration.mrn import check_character, is_valid_mrn, new_mrn
from karakoram.domain.errors import InvalidTransition
from karakoram.domain.risk.channels import Channel


def test_mrn_has_year_country_type_and_a_valid_check_character():
    mrn = new_mrn(datetime(2026, 3, 1, tzinfo=UTC), "CN", "EX")
    assert len(mrn) == 18
    assert mrn.startswith("26CN")
    assert mrn[16] == "E"
    assert is_valid_mrn(mrn)


def test_a_mistyped_mrn_fails_the_check():
    mrn = new_mrn(datetime(2026, 3, 1, tzinfo=UTC), "PK", "IM")
    wrong = str((int(mrn[17]) + 1) % 10)
    assert not is_valid_mrn(mrn[:17] + wrong)


def test_check_character_follows_iso_6346():
    # the standard's worked example: container CSQU 305438, check digit 3
    assert check_character("CSQU305438") == "3"


S = Status
A = Action
# Every allowed transition, written out independently of the implementation's table.
ALLOWED = {
    (S.LODGED, A.ACCEPT): S.ACCEPTED,
    (S.LODGED, A.AMEND): S.LODGED,
    (S.LODGED, A.CANCEL): S.CANCELLED,
    (S.LODGED, A.PAY): S.LODGED,
    (S.ACCEPTED, A.AMEND): S.ACCEPTED,
    (S.ACCEPTED, A.CANCEL): S.CANCELLED,
    (S.ACCEPTED, A.ASSESS): S.ASSESSED,
    (S.ACCEPTED, A.PAY): S.ACCEPTED,
    (S.ASSESSED, A.AMEND): S.ACCEPTED,
    (S.ASSESSED, A.CANCEL): S.CANCELLED,
    (S.ASSESSED, A.OVERRIDE_CHANNEL): S.ASSESSED,
    (S.ASSESSED, A.REQUEST_DOCUMENTS): S.DOCUMENTS_REQUESTED,
    (S.ASSESSED, A.CHECK_DOCUMENTS): S.DOCUMENTS_CHECKED,
    (S.ASSESSED, A.INSPECT): S.INSPECTED,
    (S.ASSESSED, A.ACCEPT_PARTNER_INSPECTION): S.INSPECTED,
    (S.ASSESSED, A.RELEASE): S.RELEASED,
    (S.ASSESSED, A.HOLD): S.HELD,
    (S.ASSESSED, A.PAY): S.ASSESSED,
    (S.DOCUMENTS_REQUESTED, A.AMEND): S.ACCEPTED,
    (S.DOCUMENTS_REQUESTED, A.CANCEL): S.CANCELLED,
    (S.DOCUMENTS_REQUESTED, A.OVERRIDE_CHANNEL): S.ASSESSED,
    (S.DOCUMENTS_REQUESTED, A.CHECK_DOCUMENTS): S.DOCUMENTS_CHECKED,
    (S.DOCUMENTS_REQUESTED, A.INSPECT): S.INSPECTED,
    (S.DOCUMENTS_REQUESTED, A.ACCEPT_PARTNER_INSPECTION): S.INSPECTED,
    (S.DOCUMENTS_REQUESTED, A.HOLD): S.HELD,
    (S.DOCUMENTS_REQUESTED, A.PAY): S.DOCUMENTS_REQUESTED,
    (S.DOCUMENTS_CHECKED, A.AMEND): S.ACCEPTED,
    (S.DOCUMENTS_CHECKED, A.CANCEL): S.CANCELLED,
    (S.DOCUMENTS_CHECKED, A.INSPECT): S.INSPECTED,
    (S.DOCUMENTS_CHECKED, A.ACCEPT_PARTNER_INSPECTION): S.INSPECTED,
    (S.DOCUMENTS_CHECKED, A.RELEASE): S.RELEASED,
    (S.DOCUMENTS_CHECKED, A.HOLD): S.HELD,
    (S.DOCUMENTS_CHECKED, A.PAY): S.DOCUMENTS_CHECKED,
    (S.INSPECTED, A.AMEND): S.ACCEPTED,
    (S.INSPECTED, A.CANCEL): S.CANCELLED,
    (S.INSPECTED, A.RELEASE): S.RELEASED,
    (S.INSPECTED, A.HOLD): S.HELD,
    (S.INSPECTED, A.SEIZE): S.SEIZED,
    (S.INSPECTED, A.PAY): S.INSPECTED,
    (S.HELD, A.INSPECT): S.INSPECTED,
    (S.HELD, A.RELEASE): S.RELEASED,
    (S.HELD, A.SEIZE): S.SEIZED,
    (S.HELD, A.PAY): S.HELD,
    (S.RELEASED, A.EXIT): S.EXITED,
    (S.RELEASED, A.CLEAR): S.CLEARED,
    **{
        (state, A.CERTIFY_ORIGIN): state
        for state in (
            S.LODGED,
            S.ACCEPTED,
            S.ASSESSED,
            S.DOCUMENTS_REQUESTED,
            S.DOCUMENTS_CHECKED,
            S.INSPECTED,
            S.RELEASED,
            S.EXITED,
        )
    },
}
PAIRS = [(s, a) for s in Status for a in Action if a is not Action.LODGE]


@pytest.mark.parametrize(("state", "action"), PAIRS)
def test_every_transition_is_allowed_or_refused_as_designed(state, action):
    expected = ALLOWED.get((state, action))
    if expected is None:
        with pytest.raises(InvalidTransition) as refused:
            next_status(state, action)
        assert refused.value.current == state.value
        assert state.value in refused.value.detail
    else:
        assert next_status(state, action) is expected


def test_open_states_are_those_a_trader_may_change():
    assert {s for s in Status if (s, Action.CANCEL) in ALLOWED} == OPEN_STATES


def blockers(**overrides):
    base = {
        "channel": Channel.GREEN,
        "documents_checked": False,
        "inspected": False,
        "prohibited_found": False,
        "owed": Decimal(0),
        "covered": Decimal(0),
        "currency": "PKR",
    }
    return release_blockers(ReleaseState(**(base | overrides)))


def test_green_with_nothing_owed_may_be_released():
    assert blockers() == []


def test_red_needs_an_inspection_and_yellow_a_document_check():
    assert "inspection" in blockers(channel=Channel.RED)[0]
    assert blockers(channel=Channel.RED, inspected=True) == []
    assert "documents" in blockers(channel=Channel.YELLOW)[0]
    assert blockers(channel=Channel.YELLOW, documents_checked=True) == []
    assert blockers(channel=Channel.YELLOW, inspected=True) == []


def test_duties_must_be_paid_or_guaranteed():
    assert blockers(owed=Decimal("100"), covered=Decimal("60")) == [
        "40 PKR of 100 owed is neither paid nor guaranteed"
    ]
    assert blockers(owed=Decimal("100"), covered=Decimal("100")) == []


def test_prohibited_goods_are_never_released():
    assert blockers(channel=Channel.RED, inspected=True, prohibited_found=True) != []
