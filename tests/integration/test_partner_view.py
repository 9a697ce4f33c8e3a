"""What an officer reads beside a declaration: the partner's declaration figure by figure, its
control results, and both administrations' timelines as one, on the service and on the page."""

from __future__ import annotations

from decimal import Decimal

from fastapi.testclient import TestClient

from karakoram.domain.clearance import Action
from karakoram.entrypoints.http.app import create_app
from karakoram.services import clearance as officer
from karakoram.services import declarations as handlers
from karakoram.services import queries, users
from karakoram.services.clearance import PaymentIn
from tests.builders import present_at_gate
from tests.conftest import fast_hasher
from tests.integration import test_exchange
from tests.integration.test_exchange import (
    OFFICER,
    PK_TRADER,
    TRADER_CN,
    activate_pk_policy,
    export,
    pk_import,
    relay_until_done,
)
from tests.integration.test_web import csrf_of

pair = test_exchange.pair  # two nodes exchanging messages in process


def test_the_import_is_shown_beside_the_partners_export_with_the_gaps_flagged(pair):
    cn, pk, apps, _ = pair
    activate_pk_policy(pk)
    sent = handlers.lodge_declaration(export("V-1"), TRADER_CN, cn.ctx).record
    relay_until_done(cn, apps)
    cheap = handlers.lodge_declaration(pk_import("V-1", value="2500"), PK_TRADER, pk.ctx).record

    side = queries.partner_view(
        *queries.get_declaration(cheap.mrn, OFFICER, pk.ctx), OFFICER, pk.ctx
    )
    assert side.partner_mrn == sent.mrn
    assert side.declaration["invoice"]["currency"] == sent.declaration.invoice.currency
    rows = {(r.field, r.hs6): r for r in side.rows}
    value = rows[("value", None)]
    assert value.flagged and value.share == Decimal("-0.5") and side.currency == "PKR"
    assert not rows[("hs6", None)].flagged  # same subheadings on both sides
    assert not any(r.flagged for r in side.rows if r.field in ("gross_mass", "quantity"))
    # both timelines in order: CN released the export before PK lodged the import
    sides = [(e.side, e.message.type if e.message else e.event.action) for e in side.timeline]
    assert sides.index(("CN-URC", "export_pre_arrival")) < sides.index(("PK-GB", "lodge"))
    assert [e.at for e in side.timeline] == sorted(e.at for e in side.timeline)


def test_the_exporting_side_sees_the_partners_control_and_clearance(pair):
    cn, pk, apps, _ = pair
    activate_pk_policy(pk)
    sent = handlers.lodge_declaration(export("V-2"), TRADER_CN, cn.ctx).record
    relay_until_done(cn, apps)
    imported = handlers.lodge_declaration(pk_import("V-2"), PK_TRADER, pk.ctx).record
    present_at_gate(pk, imported)  # the truck at Sost: its goods presented, then inspected
    officer.act(imported.mrn, Action.INSPECT, OFFICER, pk.ctx, findings={"notes": "all there"})
    paid, _ = officer.record_payment(
        imported.mrn, PaymentIn("BANK-V2", str(imported.amount_due), "PKR"), OFFICER, pk.ctx
    )
    if paid.status != "released":
        officer.act(imported.mrn, Action.RELEASE, OFFICER, pk.ctx)
    relay_until_done(pk, apps)

    side = queries.partner_view(
        *queries.get_declaration(sent.mrn, OFFICER, cn.ctx), OFFICER, cn.ctx
    )
    assert side.partner_mrn == imported.mrn  # the cleared import, for the exporting side
    kinds = [(r.type, r.body.get("result") or r.body.get("outcome")) for r in side.results]
    assert kinds == [("control_result", "compliant"), ("import_clearance_result", "accepted")]
    assert not any(r.flagged for r in side.rows)


def test_the_officers_page_shows_the_partners_data_and_both_timelines(pair):
    cn, pk, apps, _ = pair
    activate_pk_policy(pk)
    handlers.lodge_declaration(export("V-3"), TRADER_CN, cn.ctx)
    relay_until_done(cn, apps)
    cheap = handlers.lodge_declaration(pk_import("V-3", value="2500"), PK_TRADER, pk.ctx).record
    key = users.add_user("sost-officer", "officer", None, pk.ctx, fast_hasher()).api_key
    with TestClient(create_app(pk)) as client:
        token = csrf_of(client.get("/ui/sign-in"))
        client.post("/ui/sign-in", data={"csrf": token, "api_key": key})
        page = client.get(f"/ui/declarations/{cheap.mrn}")
    assert page.status_code == 200
    text = page.text
    assert "What the partner administration said" in text
    assert 'class="flagged"' in text and "-50.0%" in text and "beyond tolerance" in text
    assert "CN-URC" in text and "export released: pre-arrival data sent" in text


def test_a_declaration_the_partner_never_mentioned_shows_only_this_sides_timeline(pair):
    _, pk, _, _ = pair
    activate_pk_policy(pk)
    alone = handlers.lodge_declaration(pk_import("NEVER-SENT"), PK_TRADER, pk.ctx).record
    side = queries.partner_view(
        *queries.get_declaration(alone.mrn, OFFICER, pk.ctx), OFFICER, pk.ctx
    )
    assert not side.heard and side.declaration is None and side.rows == []
    assert {e.side for e in side.timeline} == {"PK-GB"}
