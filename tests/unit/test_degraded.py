"""Degraded mode's domain: the partner's state from what the relay saw, and the check of an
import against pre-arrival data that came late (docs/gate.md, "When the partner is down")."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from karakoram.domain.declaration.model import declaration_to_dict
from karakoram.domain.declaration.validation import parse_declaration
from karakoram.domain.exchange.partner_state import (
    DOWN_AFTER,
    LATE_AFTER,
    LinkSeen,
    PartnerState,
    partner_state,
)
from karakoram.domain.gate.pre_arrival import CheckStatus, PreArrivalCheck, recheck, settle
from tests.builders import declaration, item
from tests.unit.fakes import fake_context

NOW = datetime(2026, 5, 4, 12, 0, tzinfo=UTC)
MINUTE = timedelta(minutes=1)


def seen(waited: timedelta | None = None, **kw: object) -> LinkSeen:
    oldest = None if waited is None else NOW - waited
    return LinkSeen(oldest_pending_at=oldest, **kw)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("link", "state"),
    [
        (LinkSeen(), PartnerState.UP),  # nothing waits
        (seen(MINUTE, last_answer_at=NOW - 2 * MINUTE), PartnerState.UP),  # a fresh message
        (seen(LATE_AFTER), PartnerState.LATE),  # waits, no try failed yet
        (seen(MINUTE, failing=1), PartnerState.LATE),  # one try failed
        (seen(DOWN_AFTER - MINUTE, failing=3), PartnerState.LATE),  # not long enough
        (seen(DOWN_AFTER, failing=3), PartnerState.DOWN),  # never answered
        (seen(DOWN_AFTER, failing=3, last_answer_at=NOW - 2 * DOWN_AFTER), PartnerState.DOWN),
        (seen(timedelta(days=1), failing=9, last_answer_at=NOW - MINUTE), PartnerState.LATE),
        (seen(DOWN_AFTER), PartnerState.LATE),  # slow relay, but no try failed
        (LinkSeen(given_up=True, last_answer_at=NOW - 2 * DOWN_AFTER), PartnerState.DOWN),
        (LinkSeen(given_up=True, last_answer_at=NOW - MINUTE), PartnerState.LATE),
        # a quiet node: nothing to deliver, its probes tell
        (LinkSeen(probe_failing_since=NOW - MINUTE), PartnerState.LATE),
        (LinkSeen(probe_failing_since=NOW - DOWN_AFTER), PartnerState.DOWN),
        (
            LinkSeen(probe_failing_since=NOW - DOWN_AFTER, last_answer_at=NOW - DOWN_AFTER * 2),
            PartnerState.DOWN,
        ),
    ],
)
def test_partner_state_from_the_link(link: LinkSeen, state: PartnerState) -> None:
    assert partner_state(link, NOW) is state


def test_a_partner_that_answers_again_is_up_once_its_backlog_drains() -> None:
    down = seen(timedelta(hours=5), failing=4, last_answer_at=NOW - timedelta(hours=6))
    assert partner_state(down, NOW) is PartnerState.DOWN
    drained = LinkSeen(last_answer_at=NOW)
    assert partner_state(drained, NOW) is PartnerState.UP


def parsed(**changes: object):  # type: ignore[no-untyped-def]
    doc = declaration("IM-7", items=1) | changes  # the figures compared: its type is no matter
    ctx = fake_context()
    return parse_declaration(doc, ctx.codes, ctx.rules)


def test_pre_arrival_data_that_agrees_verifies_the_import() -> None:
    ours = parsed()
    assert recheck(ours, declaration_to_dict(ours)) == ()
    check = PreArrivalCheck("26PKGB1", "UCR-IM-7", "CN", NOW, id=1)
    done = settle(check, (), NOW + DOWN_AFTER, "m-1")
    assert (done.status, done.checked_at, done.message_id) == (
        CheckStatus.VERIFIED,
        NOW + DOWN_AFTER,
        "m-1",
    )


def test_pre_arrival_data_that_disagrees_raises_a_post_clearance_review() -> None:
    ours = parsed()
    theirs = declaration_to_dict(parsed(items=[item(gross_mass="90", net_mass="80")]))
    theirs["invoice"] = {"amount": "9000", "currency": "USD"}
    findings = recheck(ours, theirs)
    assert len(findings) == 2 and any("mass" in f for f in findings)
    assert any("value" in f for f in findings)
    check = PreArrivalCheck("26PKGB1", "UCR-IM-7", "CN", NOW, id=1)
    assert settle(check, findings, NOW, "m-2").status is CheckStatus.REVIEW


def test_values_in_different_currencies_are_left_to_the_officer() -> None:
    ours = parsed()
    theirs = declaration_to_dict(ours)
    theirs["invoice"] = {"amount": "1", "currency": "CNY"}
    assert recheck(ours, theirs) == ()
    assert replace(PreArrivalCheck("m", "u", "CN", NOW)).status is CheckStatus.PENDING


# --- risk on vehicles and people ---------------------------------------------------------------


def test_the_watch_list_is_rule_data_checked_like_the_rest() -> None:
    from karakoram.domain.errors import ValidationFailed
    from karakoram.domain.risk.rule_file import parse_rule_set

    base = '[rule_set]\nname = "w"\n'
    ok = parse_rule_set(base + '[watch_list]\nvehicles = ["xj a-1"]\npassports = ["e 12"]\n')
    assert (ok.watch_list.vehicles, ok.watch_list.passports) == ({"XJA1"}, {"E12"})
    with pytest.raises(ValidationFailed) as failed:
        parse_rule_set(base + '[watch_list]\nvehicles = "XJ"\npassports = [""]\nplanes = []\n')
    assert {(e.code, e.pointer) for e in failed.value.errors} == {
        ("invalid_value", "/watch_list/vehicles"),
        ("invalid_value", "/watch_list/passports"),
        ("unknown_key", "/watch_list/planes"),
    }


def test_the_trucks_facts_from_its_cargo_report() -> None:
    from karakoram.domain.gate.cargo_report import parse_cargo_report
    from karakoram.domain.risk.facts import NO_TRUCK
    from karakoram.domain.risk.rules import WatchList
    from karakoram.domain.risk.truck import truck_facts
    from tests.unit.test_gate import CODES, CROSSINGS, report

    truck = parse_cargo_report(report(seals=[]), CODES, CROSSINGS)
    watch = WatchList.of(["新Q T0042"], ["e12345678"])
    facts = truck_facts(truck, watch)
    assert facts["vehicle_on_watch_list"] and facts["person_on_watch_list"]  # trailer, crew
    assert (facts["seals_present"], facts["crew_size"], facts["driver_nationality"]) == (
        False,
        2,
        "PK",
    )
    assert not truck_facts(truck, WatchList())["vehicle_on_watch_list"]
    assert truck_facts(None, watch) == NO_TRUCK and set(NO_TRUCK) <= set(facts)
