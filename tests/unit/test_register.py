"""Fingerprints, mandates and the AEO register through fakes (issue 13)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from karakoram.domain.access import Principal, Role
from karakoram.domain.declaration.documents import SourceDocument
from karakoram.domain.declaration.fingerprint import bucket, fingerprint
from karakoram.domain.declaration.validation import parse_declaration
from karakoram.domain.errors import PermissionDenied
from karakoram.domain.representation import NotRepresented
from karakoram.services import aeo, mandates
from karakoram.services import declarations as handlers
from karakoram.services.aeo import with_register_aeo
from karakoram.services.bulk import Outcome, import_declarations
from tests.builders import TRADER, bend, declaration
from tests.unit.fakes import Clock, FakeStore, fake_context

BROKER = "91650100MA55BR0001"
BROKER_USER = Principal(7, "broker", Role.TRADER, BROKER)
SUPERVISOR = Principal(8, "supervisor", Role.SUPERVISOR)


@pytest.fixture
def clock():
    return Clock(datetime(2026, 5, 4, 8, 0, tzinfo=UTC))


@pytest.fixture
def ctx(clock):
    return fake_context(FakeStore(), clock)


def parsed(doc, ctx):
    return parse_declaration(doc, ctx.codes, ctx.rules)


def brokered(lrn="B-1"):
    return bend(declaration(lrn, declarant=BROKER), "/exporter/identifier", TRADER)


def test_amounts_one_percent_apart_share_a_bucket_and_a_quarter_apart_do_not():
    assert bucket(Decimal("5000")) == bucket(Decimal("5050"))
    assert bucket(Decimal("5000")) != bucket(Decimal("6500"))
    assert bucket(Decimal(0)) == -1


def test_the_fingerprint_ignores_lrn_and_ucr_but_not_goods_or_vehicle(ctx):
    base = fingerprint(parsed(declaration("A-1"), ctx))
    renamed = bend(bend(declaration("A-2"), "/ucr", "OTHER-UCR"), "/items/0/hs_code", "847130")
    assert fingerprint(parsed(renamed, ctx)) == base
    other_goods = bend(declaration("A-3"), "/items/0/hs_code", "854442")
    other_truck = bend(declaration("A-4"), "/transport/registration", "XJ-Z0001")
    assert fingerprint(parsed(other_goods, ctx)) != base
    assert fingerprint(parsed(other_truck, ctx)) != base


def test_a_broker_without_mandate_is_refused_and_nothing_is_stored(ctx):
    with pytest.raises(NotRepresented) as refused:
        handlers.lodge_declaration(brokered(), BROKER_USER, ctx)
    assert refused.value.party == TRADER
    assert refused.value.code == "not_represented"
    assert ctx.uow().store.declarations == {}


def test_a_mandate_lets_the_broker_lodge_until_it_ends(ctx, clock):
    mandates.record_mandate(TRADER, BROKER, None, clock() + timedelta(days=1), SUPERVISOR, ctx)
    assert handlers.lodge_declaration(brokered("B-1"), BROKER_USER, ctx).created
    clock.advance(days=2)
    with pytest.raises(NotRepresented):
        handlers.lodge_declaration(brokered("B-2"), BROKER_USER, ctx)


def test_bulk_rows_for_an_unrepresented_party_are_rejected_one_by_one(ctx):
    docs = [SourceDocument(f"row {n}", doc) for n, doc in enumerate([brokered("B-1")])]
    own = declaration("OWN-1", declarant=BROKER)
    docs.append(SourceDocument("row 9", own))
    results = list(import_declarations(docs, BROKER_USER, ctx))
    outcomes = {r.location: r.outcome for r in results}
    assert outcomes == {"row 0": Outcome.REJECTED, "row 9": Outcome.CREATED}
    rejected = next(r for r in results if r.outcome == Outcome.REJECTED)
    assert rejected.errors[0].code == "not_represented"


def test_only_administrators_and_supervisors_record_mandates(ctx):
    with pytest.raises(PermissionDenied):
        mandates.record_mandate(TRADER, BROKER, None, None, BROKER_USER, ctx)


def test_the_register_decides_aeo_status_as_of_the_given_time(ctx, clock):
    claimed = parsed(declaration("C-1"), ctx)  # the builder claims AEO for the exporter
    assert claimed.exporter.aeo
    with ctx.uow() as uow:
        assert not with_register_aeo(uow, claimed, clock()).exporter.aeo
    start = clock() + timedelta(days=1)
    aeo.register_aeo(TRADER, "AEOF", start, None, SUPERVISOR, ctx)
    with ctx.uow() as uow:
        assert not with_register_aeo(uow, claimed, clock()).exporter.aeo
        assert with_register_aeo(uow, claimed, start).exporter.aeo


PK_OPERATOR = "PK-NTN-4412345"


def partner_list(**operators):
    from karakoram.domain.exchange.bodies import AeoList, MessageType, parse_body

    body = AeoList(operators, "2026-05-01T00:00:00+00:00")
    assert parse_body(MessageType.AEO_LIST, body.as_dict()) == body  # travels as JSON
    return body


def certification(country="PK", level="AEOS"):
    return {"level": level, "country": country, "valid_from": "2026-01-01T00:00:00+00:00"}


def test_a_partner_list_applies_only_within_the_agreement(ctx, clock):
    body = partner_list(
        **{
            PK_OPERATOR: certification(),
            "PK-NTN-C": certification(level="AEOC"),  # customs simplifications: not covered
            "AF-1": certification(country="AF"),  # not established in the partner's country
        }
    )
    with ctx.uow() as uow:
        assert aeo.apply_partner_list(uow, "PK-GB", "PK", body, frozenset({"CN"}), clock()) == 0
        assert uow.register.aeo_entries() == []
        applied = aeo.apply_partner_list(uow, "PK-GB", "PK", body, frozenset({"PK"}), clock())
        assert applied == 1
        assert [e.identifier for e in uow.register.aeo_entries()] == [PK_OPERATOR]
        export = parsed(declaration("M-1"), ctx)  # PK_OPERATOR is the importer on the other side
        marked = with_register_aeo(uow, export, clock())
        assert marked.importer.aeo and not marked.exporter.aeo


def test_a_new_partner_list_replaces_the_last(ctx, clock):
    with ctx.uow() as uow:
        first = partner_list(**{PK_OPERATOR: certification()})
        aeo.apply_partner_list(uow, "PK-GB", "PK", first, frozenset({"PK"}), clock())
        clock.advance(days=1)
        aeo.apply_partner_list(uow, "PK-GB", "PK", partner_list(), frozenset({"PK"}), clock())
        export = parsed(declaration("M-2"), ctx)
        assert not with_register_aeo(uow, export, clock()).importer.aeo


def test_the_list_sent_names_our_operators_in_force_or_to_come_once_each(clock):
    from karakoram.domain.representation import LOCAL, AeoEntry

    now = clock()
    day = timedelta(days=1)
    entries = [
        AeoEntry("ENDED", "AEOF", now - 9 * day, now - day, LOCAL, "s", now),
        AeoEntry("NOW", "AEOS", now - 9 * day, None, LOCAL, "s", now),
        AeoEntry("NOW", "AEOF", now + 9 * day, None, LOCAL, "s", now),  # the next one
        AeoEntry("LATER", "AEOC", now + day, now + 9 * day, LOCAL, "s", now),
        AeoEntry("THEIRS", "AEOF", now - day, None, "partner PK-GB", "s", now),
    ]
    body = aeo.own_list(entries, "CN", now)
    assert sorted(body.operators) == ["LATER", "NOW"]
    assert body.operators["NOW"] == {
        "level": "AEOS",
        "country": "CN",
        "valid_from": (now - 9 * day).isoformat(),
        "valid_to": None,
    }
    assert body.operators["LATER"]["valid_to"] == (now + 9 * day).isoformat()


def test_a_partner_list_is_recorded_as_the_partners(ctx, clock):
    body = partner_list(**{PK_OPERATOR: certification()})
    with ctx.uow() as uow:
        aeo.apply_partner_list(uow, "PK-GB", "PK", body, frozenset({"PK"}), clock())
        (entry,) = uow.register.aeo_entries()
    assert entry.source == "partner PK-GB"
