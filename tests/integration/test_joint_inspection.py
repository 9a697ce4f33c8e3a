"""Joint inspections with two nodes (issue 15, item 4): either side proposes a time, the other
accepts, the result is ONE control record that both nodes sign; each keeps both signatures.
SQLite and PostgreSQL (the `pair` fixture runs on both)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from karakoram.services.users import add_user
from tests.integration import test_exchange as two
from tests.integration.test_exchange import pair

__all__ = ["pair"]  # the fixture, used by name


def officer(node):
    key = add_user(f"officer-{node.ctx.administration}", "officer", None, node.ctx, node.hasher)
    return {"Authorization": f"Bearer {key.api_key}"}


def joint_of(app, headers, ucr):
    answer = app.get("/joint-inspections", params={"ucr": ucr}, headers=headers)
    assert answer.status_code == 200, answer.json()
    return answer.json()


def test_a_joint_inspection_is_one_record_signed_by_both_nodes(pair):
    cn, pk, apps, _ = pair
    two.activate_pk_policy(pk)
    cn_app, pk_app = apps.apps["cn-urc"], apps.apps["pk-gb"]
    cn_officer, pk_officer = officer(cn), officer(pk)
    from karakoram.services import declarations as handlers

    imported = handlers.lodge_declaration(two.pk_import("JI-1"), two.PK_TRADER, pk.ctx).record
    ucr = imported.declaration.ucr
    when = (datetime.now(UTC) + timedelta(hours=3)).replace(microsecond=0).isoformat()
    # PK proposes; the same proposal again is the first one
    url = f"/declarations/{imported.mrn}/joint-inspections"
    proposed = pk_app.post(url, json={"at": when, "note": "bay 2"}, headers=pk_officer)
    assert proposed.status_code == 201, proposed.json()
    again = pk_app.post(url, json={"at": when, "note": "bay 2"}, headers=pk_officer)
    assert again.status_code == 200 and again.json() == proposed.json()
    proposal = proposed.json()["proposal_id"]
    bad_time = pk_app.post(url, json={"at": "tomorrow"}, headers=pk_officer)
    assert bad_time.status_code == 422 and bad_time.json()["errors"][0]["pointer"] == "/at"
    # PK may not accept its own proposal, nor record before CN accepted
    own = pk_app.post(f"/joint-inspections/{proposal}/acceptance", headers=pk_officer)
    assert own.status_code == 409
    early = pk_app.post(
        f"/joint-inspections/{proposal}/result", json={"findings": {}}, headers=pk_officer
    )
    assert early.status_code == 409
    two.relay_until_done(pk, apps)
    [seen] = joint_of(cn_app, cn_officer, ucr)
    assert (seen["proposal_id"], seen["proposed_by"], seen["status"]) == (
        proposal,
        "PK-GB",
        "proposed",
    )
    assert seen["at"].startswith(when[:19])
    accepted = cn_app.post(f"/joint-inspections/{proposal}/acceptance", headers=cn_officer)
    assert accepted.status_code == 200 and accepted.json()["status"] == "accepted"
    with cn.ctx.uow() as uow:
        queued = uow.exchange.outbox_counts().get("pending", 0)
    twice = cn_app.post(f"/joint-inspections/{proposal}/acceptance", headers=cn_officer)
    assert twice.status_code == 200 and twice.json() == accepted.json()
    with cn.ctx.uow() as uow:  # accepting again sends nothing more
        assert uow.exchange.outbox_counts().get("pending", 0) == queued
    two.relay_until_done(cn, apps)
    assert joint_of(pk_app, pk_officer, ucr)[0]["status"] == "accepted"
    # after the inspection, PK records the result: signed by PK, countersigned by CN
    findings = {"quantity_matches": True, "seals": "intact", "notes": "as declared"}
    recorded = pk_app.post(
        f"/joint-inspections/{proposal}/result", json={"findings": findings}, headers=pk_officer
    )
    assert recorded.status_code == 200, recorded.json()
    assert recorded.json()["status"] == "signed"
    assert list(recorded.json()["signatures"]) == ["PK-GB"]
    again = pk_app.post(
        f"/joint-inspections/{proposal}/result", json={"findings": findings}, headers=pk_officer
    )
    assert again.status_code == 409  # one record per joint inspection
    two.relay_until_done(pk, apps)  # the record to CN, which countersigns
    two.relay_until_done(cn, apps)  # CN's signature back to PK
    [at_cn] = joint_of(cn_app, cn_officer, ucr)
    [at_pk] = joint_of(pk_app, pk_officer, ucr)
    for side in (at_cn, at_pk):
        assert side["status"] == "recorded"
        assert sorted(side["signatures"]) == ["CN-URC", "PK-GB"]
    assert at_cn["record"] == at_pk["record"]
    assert at_cn["signatures"] == at_pk["signatures"]
    record = at_pk["record"]
    assert record["result"] == "compliant" and record["administrations"] == ["CN-URC", "PK-GB"]
    # each signature is its node's, over the same canonical record, checked with the key the
    # other node holds for it
    for name, holder in (("CN-URC", pk), ("PK-GB", cn)):
        crypto = holder.ctx.exchange.crypto
        decoded = crypto.decode(at_pk["signatures"][name])
        assert decoded.payload == record
        with holder.ctx.uow() as uow:
            crypto.verify(decoded, uow.exchange.keys(name), name, datetime.now(UTC))
    # the one record is the importing side's inspection of its declaration
    with pk.ctx.uow() as uow:
        [control] = uow.clearance.controls(imported.mrn)
    assert control.kind == "inspection" and control.findings["joint_inspection"] == proposal


def test_a_forged_record_is_not_countersigned(pair):
    """A record that is not the one agreed (another UCR) is neither kept nor countersigned."""
    from karakoram.domain.exchange.bodies import JointInspectionSigned
    from karakoram.domain.joint_inspection import JointInspection, JointStatus
    from karakoram.services.joint_inspections import received

    cn, _, _, _ = pair
    at = datetime.now(UTC).replace(microsecond=0)
    agreed = JointInspection("p-1", "UCR-J", "CN-URC", "PK-GB", at, JointStatus.ACCEPTED)
    forged = {"kind": "joint_inspection", "proposal_id": "p-1", "ucr": "UCR-OTHER"}
    config = cn.ctx.exchange
    with cn.ctx.uow() as uow:
        uow.joint.add(agreed, at)
        body = JointInspectionSigned("p-1", forged, config.crypto.sign(forged), at.isoformat())
        from karakoram.domain.exchange.envelope import Envelope

        envelope = Envelope("m-1", body.type, "PK-GB", "CN-URC", at, {"ucr": "UCR-J"}, body)
        received(uow, config, envelope, at)
        uow.commit()
    with cn.ctx.uow() as uow:
        kept = uow.joint.get("p-1")
        outbox = uow.exchange.outbox_counts()
    assert kept is not None and kept.status is JointStatus.ACCEPTED and kept.signatures == {}
    assert not outbox.get("pending")
