"""The timeline the API and the web UI serve is checked against the audit chain, on each
database: a row altered or deleted with database rights is flagged, and the chain's version
is served beside it, never the forged history silently. (The event and declaration tables
accept UPDATE; only the audit tables refuse it by trigger.)"""

from __future__ import annotations

import pytest
from sqlalchemy import text

from tests.builders import declaration
from tests.integration.test_audit import history  # noqa: F401 (fixture)
from tests.integration.test_clearance import act, goods, lodge
from tests.integration.test_web import policy, sign_in  # noqa: F401 (fixture)

FORGE_ACTOR = text(
    "UPDATE declaration_events SET actor = 'nobody', reason = 'forged'"
    " WHERE action = :action AND declaration_id = (SELECT id FROM declarations WHERE mrn = :mrn)"
)
DELETE_EVENT = text(
    "DELETE FROM declaration_events"
    " WHERE action = :action AND declaration_id = (SELECT id FROM declarations WHERE mrn = :mrn)"
)


@pytest.fixture
def released(client, keys, policy) -> str:  # noqa: F811
    """A red declaration inspected and released: lodge, assess, inspect, release."""
    mrn = lodge(client, keys, goods(declaration(lrn="RED"), "740311"))["mrn"]
    act(client, keys, mrn, "inspect", findings={"seals": "intact"})
    act(client, keys, mrn, "release")
    return str(mrn)


def _run(node, statement, **params) -> int:
    with node.ctx.uow.engine.begin() as conn:
        return int(conn.execute(statement, params).rowcount)


def _read(client, keys, mrn, who=None) -> dict:
    response = client.get(f"/declarations/{mrn}", headers=who or keys.officer)
    assert response.status_code == 200, response.json()
    return response.json()


def test_an_untouched_timeline_is_verified_event_by_event(client, keys, released):
    body = _read(client, keys, released)
    assert [e["action"] for e in body["timeline"]][-2:] == ["inspect", "release"]
    assert all(e["verified"] is True for e in body["timeline"])
    assert body["timeline_verified"] is True
    assert (body["audit_recorded"], body["audit_problems"]) == ([], [])
    trader = _read(client, keys, released, keys.trader)
    assert trader["timeline_verified"] is True
    assert all(e["verified"] for e in trader["timeline"])


def test_an_event_whose_actor_was_changed_in_sql_is_flagged_with_the_chains_version(
    client, keys, node, released
):
    assert _run(node, FORGE_ACTOR, action="release", mrn=released) == 1
    body = _read(client, keys, released)
    flagged = {e["action"]: e["verified"] for e in body["timeline"]}
    assert flagged["release"] is False and flagged["inspect"] is True
    assert body["timeline_verified"] is False
    [original] = body["audit_recorded"]
    assert (original["action"], original["actor"]) == ("release", "officer")
    assert original["reason"] != "forged"
    assert any("release event" in p and "does not match" in p for p in body["audit_problems"])


def test_the_officers_page_warns_of_an_event_that_does_not_match_the_audit_record(
    client, keys, node, released
):
    sign_in(client, keys.officer)
    page = client.get(f"/ui/declarations/{released}")
    assert page.status_code == 200 and 'data-timeline-verified="true"' in page.text
    assert "does not match the audit record" not in page.text
    _run(node, FORGE_ACTOR, action="release", mrn=released)
    page = client.get(f"/ui/declarations/{released}")
    assert 'data-timeline-verified="false"' in page.text
    assert 'data-event-verified="false"' in page.text
    assert "does not match the audit record" in page.text
    # the chain's version beside the forged row: the officer who really released
    assert 'data-recorded-actor="officer"' in page.text


def test_a_deleted_event_is_noticed_and_served_from_the_audit_record(client, keys, node, released):
    assert _run(node, DELETE_EVENT, action="inspect", mrn=released) == 1
    body = _read(client, keys, released)
    assert "inspect" not in [e["action"] for e in body["timeline"]]
    assert all(e["verified"] for e in body["timeline"])
    assert body["timeline_verified"] is False
    assert [e["action"] for e in body["audit_recorded"]] == ["inspect"]
    assert any("lacks" in p for p in body["audit_problems"])


def test_a_channel_changed_in_sql_is_flagged(client, keys, node, released):
    changed = text("UPDATE declarations SET channel = 'green' WHERE mrn = :mrn")
    assert _run(node, changed, mrn=released) == 1
    body = _read(client, keys, released)
    assert body["channel"] == "green" and body["timeline_verified"] is False
    assert "the channel is green; the audit record says red" in body["audit_problems"]
    trader = _read(client, keys, released, keys.trader)
    assert trader["timeline_verified"] is False


def test_a_trader_sees_the_flag_but_not_the_chains_risk_reasons(client, keys, node, released):
    _run(node, DELETE_EVENT, action="assess", mrn=released)
    officer = _read(client, keys, released)
    [assessed] = officer["audit_recorded"]
    assert assessed["action"] == "assess" and assessed["reason"]
    trader = _read(client, keys, released, keys.trader)
    [seen] = trader["audit_recorded"]
    assert (seen["action"], seen["reason"]) == ("assess", None)
    assert trader["timeline_verified"] is False


def test_every_kind_of_history_verifies_untouched(client, keys, node, history):  # noqa: F811
    """Lodged, assessed, inspected, released, paid, overridden, amended, cancelled: the
    timelines the node wrote itself all match the audit record (no false alarm)."""
    doc = goods(declaration(lrn="AMEND"), "854442")  # yellow: amendable until released
    amended = lodge(client, keys, doc)["mrn"]
    doc["incoterm"] = "FCA"
    if_match = keys.trader | {"If-Match": '"1"'}
    put = client.put(f"/declarations/{amended}", json=doc, headers=if_match)
    assert put.status_code == 200, put.json()
    cancel = {"reason": "duplicate"}
    cancelled = client.post(f"/declarations/{amended}/cancel", json=cancel, headers=keys.trader)
    assert cancelled.status_code == 200, cancelled.json()
    mrns = {r["subject"] for r in history if r["kind"].startswith("declaration.")} | {amended}
    assert len(mrns) == 4
    for mrn in sorted(mrns):
        body = _read(client, keys, mrn)
        assert body["timeline_verified"] is True, (mrn, body["audit_problems"])
        assert all(e["verified"] for e in body["timeline"])


def test_the_traders_page_marks_a_forged_event_without_risk_reasons(client, keys, node, released):
    sign_in(client, keys.trader)
    page = client.get(f"/ui/my-declarations/{released}")
    assert page.status_code == 200 and 'data-timeline-verified="true"' in page.text
    _run(node, DELETE_EVENT, action="assess", mrn=released)
    _run(node, FORGE_ACTOR, action="release", mrn=released)
    page = client.get(f"/ui/my-declarations/{released}")
    assert 'data-timeline-verified="false"' in page.text
    assert 'data-event-verified="false"' in page.text
    assert 'data-recorded-actor="officer"' in page.text
    officer = _read(client, keys, released)
    [assessed] = [e for e in officer["audit_recorded"] if e["action"] == "assess"]
    assert assessed["reason"] and assessed["reason"] not in page.text
