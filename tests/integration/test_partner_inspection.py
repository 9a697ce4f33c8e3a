"""One inspection for both (issue 15, item 4): an officer accepts the partner's clean inspection
of the same consignment instead of a second one; refusals change nothing; risk reads the
partner's controls of the same UCR; the TRS counts the inspections saved. SQLite and
PostgreSQL (the `node` fixture runs on both)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import text

from karakoram.domain.exchange.bodies import ControlResult
from karakoram.services.audit.verify import verify_audit
from karakoram.services.records import Partner, PartnerRecord
from karakoram.services.statistics import refresh as refreshing
from tests.builders import import_declaration, present_goods
from tests.integration.test_clearance import RULES, act, goods, load, lodge, policy, timeline
from tests.integration.test_exchange import pair

__all__ = ["pair", "policy"]  # the fixtures, used by name

LONG_AGO = datetime(2020, 1, 1, tzinfo=UTC)
FACT_RULES = """
[[rules]]
id = "PARTNER-CLEAN"
when = { field = "partner_inspected_clean", op = "is", value = true }
score = -30
[[rules]]
id = "PARTNER-FOUND"
when = { field = "partner_control_found", op = "is", value = true }
channel = "red"
[[rules]]
id = "CABLE-SCORE"
when = { field = "hs_code", op = "prefix", value = ["8544"] }
score = 45
"""


def partner_said(node, ucr, *controls):
    """The PK partner's control results on consignment `ucr`: (kind, result, hours ago)."""
    with node.ctx.uow() as uow:
        if not any(p.administration == "PK-GB" for p in uow.exchange.partners()):
            uow.exchange.add_partner(
                Partner("PK-GB", "PK-GB", "PK", "http://pk-gb", ("control_result",)), LONG_AGO
            )
        now = datetime.now(UTC)
        records = []
        for n, (kind, result, hours) in enumerate(controls):
            at = now - timedelta(hours=hours)
            body = ControlResult(kind, result, {"notes": "as declared"}, at.isoformat())
            records.append(
                PartnerRecord(
                    ucr, "PK-GB", body.type.value, f"pk-{ucr}-{n}", "PK-MRN-1", body.as_dict(), at
                )
            )
        uow.exchange.add_partner_records(records)
        uow.commit()


def red_import(client, keys, lrn):
    doc = goods(import_declaration(lrn), "740311")
    body = lodge(client, keys, doc, keys.importer)
    assert (body["status"], body["channel"]) == ("assessed", "red")
    return body


def clearance(client, keys, mrn):
    return client.get(f"/declarations/{mrn}/clearance", headers=keys.officer).json()


def test_the_partners_clean_inspection_stands_in_for_ours(client, keys, node, policy):
    body = red_import(client, keys, "IM-P1")
    mrn, ucr = body["mrn"], body["declaration"]["ucr"]
    partner_said(node, ucr, ("inspection", "compliant", 5))
    assert "physical inspection" in act(client, keys, mrn, "release", expect=409)["detail"]
    no_reason = act(client, keys, mrn, "accept-partner-inspection", expect=422)
    assert no_reason["errors"][0]["pointer"] == "/reason"
    done = act(client, keys, mrn, "accept-partner-inspection", reason="PK-GB found all in order")
    assert done["status"] == "inspected"
    [control] = clearance(client, keys, mrn)["controls"]
    assert control["kind"] == "partner_inspection" and control["result"] == "compliant"
    assert control["findings"]["partner"] == "PK-GB"
    assert control["findings"]["partner_message_id"] == f"pk-{ucr}-0"
    # accepting again creates nothing: it is inspected already
    again = act(client, keys, mrn, "accept-partner-inspection", expect=409, reason="again")
    assert again["code"] == "invalid_transition"
    assert len(clearance(client, keys, mrn)["controls"]) == 1
    # the red channel's requirement is met: once the goods are presented (docs/gate.md) and
    # the duties paid, nothing blocks the officer's release
    present_goods(client, node, keys.officer, ucr)
    pay = {"reference": "TRX-P1", "amount": body["amount_due"], "currency": "CNY"}
    client.post(f"/declarations/{mrn}/payments", json=pay, headers=keys.officer)
    present_goods(client, node, keys.officer, ucr)  # an import is released once presented
    assert act(client, keys, mrn, "release")["status"] == "released"
    steps = timeline(client, keys, mrn)
    assert ("accept_partner_control", "inspected") in steps
    event = client.get(f"/declarations/{mrn}", headers=keys.officer).json()["timeline"]
    reason = next(e["reason"] for e in event if e["action"] == "accept_partner_control")
    assert "PK-GB's inspection" in reason and "PK-GB found all in order" in reason
    # in the audit chain, which still verifies
    with node.engine.connect() as conn:
        kinds = {r[0] for r in conn.execute(text("SELECT kind FROM audit_log"))}
    assert any("control" in k for k in kinds), kinds
    assert verify_audit(node.ctx).ok


@pytest.mark.parametrize(
    ("said", "code"),
    [
        ((), "no_partner_inspection"),
        ((("documents", "compliant", 2),), "no_partner_inspection"),
        ((("inspection", "compliant", 80),), "partner_inspection_too_old"),
        (
            (("inspection", "compliant", 2), ("documents", "discrepancy", 1)),
            "partner_found_something",
        ),
        ((("inspection", "prohibited", 2),), "partner_found_something"),
    ],
)
def test_refusals_are_problems_and_change_nothing(client, keys, node, policy, said, code):
    body = red_import(client, keys, f"IM-R{len(code)}-{len(said)}")
    mrn, ucr = body["mrn"], body["declaration"]["ucr"]
    if said:
        partner_said(node, ucr, *said)
    before = client.get(f"/declarations/{mrn}", headers=keys.officer).json()
    refused = client.post(
        f"/declarations/{mrn}/actions/accept-partner-inspection",
        json={"reason": "trust them"},
        headers=keys.officer,
    )
    assert refused.status_code == 409
    assert refused.headers["content-type"].startswith("application/problem+json")
    assert refused.json()["code"] == code
    after = client.get(f"/declarations/{mrn}", headers=keys.officer).json()
    assert after == before
    assert clearance(client, keys, mrn)["controls"] == []


def test_an_export_cannot_accept_the_partners_inspection(client, keys, node, policy):
    from tests.builders import declaration

    body = lodge(client, keys, goods(declaration("EX-P1"), "740311"))
    partner_said(node, body["declaration"]["ucr"], ("inspection", "compliant", 1))
    refused = act(client, keys, body["mrn"], "accept-partner-inspection", 409, reason="x")
    assert refused["code"] == "invalid_transition"


def test_risk_reads_the_partners_controls_of_the_same_consignment(client, keys, node):
    load(client, keys, "rates", _rates(), "text/csv")
    from tests.integration.test_clearance import EXAMPLES

    load(client, keys, "tariff", (EXAMPLES / "tariff-cn-import.toml").read_text())
    load(client, keys, "rules", RULES + FACT_RULES)
    partner_said(node, "UCR-NONE")  # the partner known before the first import too
    plain = lodge(client, keys, goods(import_declaration("IM-F0"), "854442"), keys.importer)
    clean_doc = goods(import_declaration("IM-F1"), "854442")
    partner_said(node, clean_doc["ucr"], ("inspection", "compliant", 3))
    found_doc = goods(import_declaration("IM-F2"), "854442")
    partner_said(node, found_doc["ucr"], ("inspection", "discrepancy", 3))
    clean = lodge(client, keys, clean_doc, keys.importer)
    found = lodge(client, keys, found_doc, keys.importer)
    scores = {
        b["mrn"]: clearance(client, keys, b["mrn"])["assessments"][-1]["risk"]["score"]
        for b in (plain, clean, found)
    }
    assert scores[clean["mrn"]] == scores[plain["mrn"]] - 30
    fired = clearance(client, keys, found["mrn"])["assessments"][-1]["risk"]["fired"]
    assert "PARTNER-FOUND" in [f["rule"] for f in fired]
    assert found["channel"] == "red"


def test_the_trs_counts_the_inspections_saved(client, keys, node, policy):
    saved = red_import(client, keys, "IM-T1")
    partner_said(node, saved["declaration"]["ucr"], ("inspection", "compliant", 1))
    act(client, keys, saved["mrn"], "accept-partner-inspection", reason="PK-GB inspected it")
    inspected = red_import(client, keys, "IM-T2")
    act(client, keys, inspected["mrn"], "inspect", findings={"notes": "as declared"})
    refreshing.refresh(node.ctx)
    year = datetime.now(UTC).year
    report = client.get(f"/stats/trs?period={year}&by=channel", headers=keys.analyst)
    assert report.status_code == 200, report.json()
    body = report.json()
    assert body["overall"]["inspections_saved"] == 1
    assert [r["inspections_saved"] for r in body["rows"] if r["channel"] == "red"] == [1]


def _rates() -> str:
    from tests.integration.test_clearance import RATES

    return RATES


def test_the_officers_page_offers_the_button_only_when_there_is_one_to_accept(
    client, keys, node, policy
):
    from tests.integration.test_web import csrf_of, sign_in

    body = red_import(client, keys, "IM-W1")
    mrn = body["mrn"]
    token = csrf_of(sign_in(client, keys.officer))
    button = 'value="accept_partner_control"'
    assert button not in client.get(f"/ui/declarations/{mrn}").text
    partner_said(node, body["declaration"]["ucr"], ("inspection", "compliant", 1))
    page = client.get(f"/ui/declarations/{mrn}")
    assert button in page.text and "found nothing; say why" in page.text
    url = f"/ui/declarations/{mrn}/actions"
    no_reason = client.post(url, data={"csrf": token, "action": "accept_partner_control"})
    assert no_reason.status_code == 422
    done = client.post(
        url, data={"csrf": token, "action": "accept_partner_control", "reason": "seen at Sost"}
    )
    assert done.status_code == 200 and "seen at Sost" in done.text
    state = client.get(f"/declarations/{mrn}", headers=keys.officer).json()
    assert state["status"] == "inspected"


def test_two_nodes_the_exporting_sides_inspection_serves_the_importing_side(pair):
    """CN inspects an export and finds nothing; its signed control result reaches PK, whose
    officer accepts it for the import of the same UCR."""
    from karakoram.domain.access import Principal, Role
    from karakoram.domain.clearance import Action
    from karakoram.domain.errors import Conflict
    from karakoram.services import clearance as officer
    from karakoram.services import declarations as handlers
    from karakoram.services.policy import documents
    from karakoram.services.policy.documents import Kind
    from tests.builders import GREEN_RULES
    from tests.integration import test_exchange as two

    cn, pk, apps, _ = pair
    two.activate_pk_policy(pk)
    boss = Principal(0, "test", Role.SUPERVISOR)
    red = GREEN_RULES + '[[rules]]\nid = "R"\nwhen = { field = "type", op = "eq", value = "EX" }\n'
    red += 'channel = "red"\n'
    doc = documents.submit_document(Kind.RULES, red, boss, cn.ctx.policy, cn.ctx.uow, cn.ctx.clock)
    documents.activate_document(
        Kind.RULES, doc.version, boss, cn.ctx.policy, cn.ctx.uow, cn.ctx.clock
    )
    exported = handlers.lodge_declaration(two.export("J-1"), two.TRADER_CN, cn.ctx).record
    assert exported.channel == "red"
    imported = handlers.lodge_declaration(two.pk_import("J-1"), two.PK_TRADER, pk.ctx).record
    with pytest.raises(Conflict) as early:  # nothing from CN yet
        officer.act(imported.mrn, Action.ACCEPT_PARTNER_INSPECTION, two.OFFICER, pk.ctx, "CN")
    assert early.value.code == "no_partner_inspection"  # type: ignore[attr-defined]
    officer.act(exported.mrn, Action.INSPECT, two.OFFICER, cn.ctx, findings={"seals": "intact"})
    two.relay_until_done(cn, apps)
    done = officer.act(
        imported.mrn, Action.ACCEPT_PARTNER_INSPECTION, two.OFFICER, pk.ctx, "CN-URC inspected"
    )
    assert done.status == "inspected"
    with pk.ctx.uow() as uow:
        [control] = uow.clearance.controls(imported.mrn)
    assert control.kind == "partner_inspection" and control.findings["partner"] == "CN-URC"
