"""Which officer actions a page offers: the role and the state decide, never the template."""

from __future__ import annotations

from dataclasses import replace

import pytest

from karakoram.domain.access import Principal, Role
from karakoram.domain.clearance import Action
from karakoram.services import declarations as handlers
from karakoram.services.clearance import available_actions
from tests.builders import TRADER, declaration
from tests.unit.fakes import FakeStore, fake_context

TRADER_ME = Principal(1, "kashgar", Role.TRADER, TRADER)
OFFICER = Principal(3, "officer", Role.OFFICER)
SUPERVISOR = Principal(4, "chief", Role.SUPERVISOR)


@pytest.fixture
def record():
    return handlers.lodge_declaration(declaration(), TRADER_ME, fake_context(FakeStore())).record


def at(record, status):
    return replace(record, status=status)


def test_an_assessed_declaration_offers_every_first_step(record):
    assert available_actions(OFFICER, at(record, "assessed")) == [
        Action.REQUEST_DOCUMENTS,
        Action.CHECK_DOCUMENTS,
        Action.INSPECT,
        Action.RELEASE,
        Action.HOLD,
    ]


def test_seizure_is_offered_only_after_an_inspection_or_a_hold(record):
    assert Action.SEIZE in available_actions(SUPERVISOR, at(record, "inspected"))
    assert Action.SEIZE in available_actions(OFFICER, at(record, "held"))
    assert Action.SEIZE not in available_actions(OFFICER, at(record, "documents_checked"))


def test_a_released_export_offers_only_its_exit(record):
    assert available_actions(OFFICER, at(record, "released")) == [Action.EXIT]


@pytest.mark.parametrize("role", [Role.TRADER, Role.ANALYST, Role.ADMINISTRATOR, Role.PARTNER])
def test_other_roles_are_offered_nothing(record, role):
    assert available_actions(Principal(9, "x", role, TRADER), at(record, "assessed")) == []


def test_only_an_import_may_accept_the_partners_inspection(record):
    from karakoram.domain.declaration.model import DeclarationType

    imported = replace(record, declaration=replace(record.declaration, type=DeclarationType.IMPORT))
    assert Action.ACCEPT_PARTNER_INSPECTION in available_actions(OFFICER, at(imported, "assessed"))
    assert Action.ACCEPT_PARTNER_INSPECTION not in available_actions(
        OFFICER, at(record, "assessed")
    )
    assert available_actions(OFFICER, at(imported, "released")) == []
