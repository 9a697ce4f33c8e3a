from __future__ import annotations

from datetime import UTC, datetime

import pytest

from karakoram.domain.clearance import OPEN_STATES, Action, Status, next_status
from karakoram.domain.errors import InvalidTransition
from karakoram.domain.mrn import check_character, is_valid_mrn, new_mrn


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


def test_accept_only_from_lodged():
    assert next_status(Status.LODGED, Action.ACCEPT) is Status.ACCEPTED
    with pytest.raises(InvalidTransition) as refused:
        next_status(Status.ACCEPTED, Action.ACCEPT)
    assert refused.value.current == "accepted"


@pytest.mark.parametrize("state", sorted(OPEN_STATES))
def test_open_declarations_may_be_amended_and_cancelled(state):
    assert next_status(state, Action.AMEND) is state
    assert next_status(state, Action.CANCEL) is Status.CANCELLED


@pytest.mark.parametrize(
    "state",
    [
        Status.RELEASED,
        Status.CANCELLED,
        Status.SEIZED,
        Status.EXITED,
        Status.CLEARED,
        Status.REJECTED,
    ],
)
@pytest.mark.parametrize("action", [Action.AMEND, Action.CANCEL])
def test_closed_declarations_refuse_amend_and_cancel(state, action):
    with pytest.raises(InvalidTransition) as refused:
        next_status(state, action)
    assert state.value in refused.value.detail
