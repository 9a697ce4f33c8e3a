"""A truck leaving one side is announced to the other with its cargo report: the receiving
officers see it coming (read-only), and its vehicle and people count in the import's risk
(docs/gate.md), between two nodes in one process, on SQLite and PostgreSQL."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import select

from karakoram.adapters.db.tables import audit_log, partner_cargo_reports
from karakoram.domain.access import Principal, Role
from karakoram.entrypoints.http.app import create_app
from karakoram.services import declarations as handlers
from karakoram.services.gate.cargo_reports import lodge_cargo_report
from karakoram.services.policy import documents as policy
from karakoram.services.policy.documents import Kind
from karakoram.services.users import add_user
from tests.conftest import fast_hasher
from tests.integration import test_exchange
from tests.integration.test_exchange import (
    PK_RULES,
    PK_TRADER,
    activate_pk_policy,
    count,
    pk_import,
    relay_until_done,
    signals_of,
)
from tests.unit.test_gate import report

pair = test_exchange.pair
HAULIER = Principal(21, "kashgar-haulage", Role.CARRIER, "CN-HAUL-0001")
WATCHING = (
    PK_RULES.replace("[[rules]]", '[watch_list]\nvehicles = ["新Q-A1234"]\n\n[[rules]]', 1)
    + """
[[rules]]
id = "WATCHED-VEHICLE"
description = "a watched vehicle"
when = { field = "vehicle_on_watch_list", op = "is", value = true }
channel = "red"
"""
)


def truck(reference, direction, ucr):
    doc = report(reference=reference, direction=direction)
    doc["consignments"] = [{"ucr": ucr, "packages": 10, "gross_mass": "60"}]
    return doc


def test_a_truck_leaving_is_seen_coming_on_the_other_side(pair):
    cn, pk, apps, _ = pair
    lodge_cargo_report(truck("CR-OUT-1", "outbound", "UCR-T-1"), HAULIER, cn.ctx)
    lodge_cargo_report(truck("CR-IN-1", "inbound", "UCR-T-2"), HAULIER, cn.ctx)  # stays here
    _, new = lodge_cargo_report(truck("CR-OUT-1", "outbound", "UCR-T-1"), HAULIER, cn.ctx)
    assert not new  # the same report twice is sent once
    relay_until_done(cn, apps)
    with cn.ctx.uow() as uow:
        assert uow.exchange.outbox_counts() == {"delivered": 1}
    assert count(pk, partner_cargo_reports) == 1
    key = add_user("sost-officer", "officer", None, pk.ctx, fast_hasher()).api_key
    trader = add_user("hunza", "trader", "PK-NTN-1", pk.ctx, fast_hasher()).api_key
    with TestClient(create_app(pk)) as client:
        seen = client.get(
            "/partner-cargo-reports",
            params={"ucr": "UCR-T-1"},
            headers={"Authorization": f"Bearer {key}"},
        )
        refused = client.get(
            "/partner-cargo-reports", headers={"Authorization": f"Bearer {trader}"}
        )
    assert seen.status_code == 200, seen.text
    (coming,) = seen.json()
    assert (coming["sender"], coming["carrier"]) == ("CN-URC", "CN-HAUL-0001")
    assert coming["report"]["vehicle"]["registration"] == "新Q-A1234"
    assert coming["report"]["driver"]["passport_number"] == "AB1234567"
    assert refused.status_code == 403
    with pk.engine.connect() as conn:
        kinds = conn.execute(select(audit_log.c.kind).where(audit_log.c.kind.like("partner_c%")))
        assert list(kinds.scalars()) == ["partner_cargo.received"]


def test_the_partners_truck_counts_in_the_import_risk(pair):
    cn, pk, apps, _ = pair
    activate_pk_policy(pk)
    boss = Principal(0, "test", Role.SUPERVISOR)
    doc = policy.submit_document(
        Kind.RULES, WATCHING, boss, pk.ctx.policy, pk.ctx.uow, pk.ctx.clock
    )
    policy.activate_document(Kind.RULES, doc.version, boss, pk.ctx.policy, pk.ctx.uow, pk.ctx.clock)
    lodge_cargo_report(truck("CR-OUT-2", "outbound", "UCR-T-3"), HAULIER, cn.ctx)
    relay_until_done(cn, apps)
    watched = handlers.lodge_declaration(pk_import("T-3"), PK_TRADER, pk.ctx).record
    other = handlers.lodge_declaration(pk_import("T-4"), PK_TRADER, pk.ctx).record
    view, _ = signals_of(pk, watched.mrn)
    fired = {f["rule"] for f in view.assessments[-1].risk["fired"]}
    assert watched.channel == "red" and "WATCHED-VEHICLE" in fired
    view, _ = signals_of(pk, other.mrn)
    assert "WATCHED-VEHICLE" not in {f["rule"] for f in view.assessments[-1].risk["fired"]}
