"""Mandates and the AEO register in the audit log, on each database: every change (added,
ended, a partner's list replacing its entries) is an audit entry, and a row altered, added or
removed with database rights makes `audit verify` fail, naming the entry that recorded it."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import text
from typer.testing import CliRunner

from karakoram.domain.representation import AeoEntry
from karakoram.entrypoints.cli.main import app
from karakoram.services.audit.register import verify_with_records
from tests.integration.test_register import BROKER, TRADER
from tests.integration.test_web import sign_in

NOW = datetime.now(UTC)


def _entries(node, prefix: str) -> list[tuple[int, str, str, dict]]:
    query = text("SELECT seq, kind, subject, canonical FROM audit_log ORDER BY seq")
    with node.ctx.uow.engine.connect() as conn:
        rows = conn.execute(query).all()
    return [
        (r.seq, r.kind, r.subject, json.loads(bytes(r.canonical))["what"])
        for r in rows
        if r.subject.startswith(prefix)
    ]


def _mandate(client, keys) -> dict:
    body = {"principal": TRADER, "representative": BROKER}
    given = client.post("/mandates", json=body, headers=keys.supervisor)
    assert given.status_code == 201, given.json()
    return dict(given.json())


def _verify(client, keys) -> dict:
    response = client.get("/audit/verify", headers=keys.supervisor)
    assert response.status_code == 200
    return dict(response.json())


def _sql(node, statement: str, **params) -> None:
    with node.ctx.uow.engine.begin() as conn:
        assert conn.execute(text(statement), params).rowcount == 1


def test_each_mandate_change_is_an_audit_entry_and_verify_passes(client, keys):
    given = _mandate(client, keys)
    ended = client.post(f"/mandates/{given['id']}/end", headers=keys.supervisor)
    assert ended.status_code == 200, ended.json()
    entries = _entries(client.app.state.node, "mandate/")
    assert [(kind, subject) for _, kind, subject, _ in entries] == [
        ("mandate.added", f"mandate/{given['id']}"),
        ("mandate.ended", f"mandate/{given['id']}"),
    ]
    [added] = entries[0][3]["changes"]
    assert (added["by"], added["principal"], added["representative"]) == (
        "supervisor",
        TRADER,
        BROKER,
    )
    assert entries[1][3]["changes"][0]["to"] is not None
    assert _verify(client, keys)["ok"] is True


def test_each_aeo_change_is_an_audit_entry_and_verify_passes(client, keys, node):
    entry = {"identifier": TRADER, "level": "AEOF"}
    added = client.post("/aeo-register", json=entry, headers=keys.supervisor)
    assert added.status_code == 201, added.json()
    entry_id = added.json()["id"]
    assert client.post(f"/aeo-register/{entry_id}/end", headers=keys.supervisor).status_code == 200
    # a partner's list replaces its entries: each ended certification is an entry of its own
    with node.ctx.uow() as uow:
        for ident in ("PK-1", "PK-2"):
            uow.register.add_aeo(AeoEntry(ident, "AEOS", NOW, None, "PK-GB", "PK-GB", NOW))
        uow.commit()
    with node.ctx.uow() as uow:
        assert uow.register.end_aeo_source("PK-GB", NOW + timedelta(seconds=1)) == 2
        uow.commit()
    kinds = [(kind, subject) for _, kind, subject, _ in _entries(node, "aeo/")]
    assert kinds.count(("aeo.added", f"aeo/{entry_id}")) == 1
    assert kinds.count(("aeo.ended", f"aeo/{entry_id}")) == 1
    assert sorted(k for k, _ in kinds) == ["aeo.added"] * 3 + ["aeo.ended"] * 3
    assert _verify(client, keys)["ok"] is True


def test_a_mandate_altered_in_sql_fails_verify_naming_its_entry(client, keys, node):
    given = _mandate(client, keys)
    [(seq, *_)] = _entries(node, "mandate/")
    assert _verify(client, keys)["ok"] is True
    _sql(node, "UPDATE mandates SET representative = 'CN-USCC-OTHER' WHERE id = :i", i=given["id"])
    report = _verify(client, keys)
    assert report["ok"] is False and report["broken"]["seq"] == seq
    problem = report["broken"]["problem"]
    assert f"mandate/{given['id']}" in problem and "representative is 'CN-USCC-OTHER'" in problem
    assert verify_with_records(node.ctx).broken.seq == seq  # what the CLI and web UI run
    sign_in(client, keys.admin)
    page = client.get("/ui/admin/audit")
    assert f'data-audit="broken" data-seq="{seq}"' in page.text


def test_an_ended_mandate_reopened_in_sql_names_the_entry_that_ended_it(client, keys, node):
    given = _mandate(client, keys)
    assert client.post(f"/mandates/{given['id']}/end", headers=keys.supervisor).status_code == 200
    ended_at = _entries(node, "mandate/")[-1][0]
    _sql(node, "UPDATE mandates SET valid_to = NULL WHERE id = :i", i=given["id"])
    broken = _verify(client, keys)["broken"]
    assert broken["seq"] == ended_at and "to is None" in broken["problem"]


def test_a_mandate_inserted_or_an_aeo_entry_deleted_in_sql_fails_verify(client, keys, node):
    given = _mandate(client, keys)
    _sql(
        node,
        "INSERT INTO mandates (principal, representative, valid_from, recorded_by, recorded_at)"
        " VALUES (:p, :r, :t, 'nobody', :t)",
        p=TRADER,
        r="CN-USCC-OTHER",
        t=NOW.replace(tzinfo=None),
    )
    broken = _verify(client, keys)["broken"]
    assert "no audit entry recorded it" in broken["problem"]
    assert f"mandate/{given['id'] + 1}" in broken["problem"]
    _sql(node, "DELETE FROM mandates WHERE id = :i", i=given["id"] + 1)
    assert _verify(client, keys)["ok"] is True
    aeo = {"identifier": TRADER, "level": "AEOF"}
    added = client.post("/aeo-register", json=aeo, headers=keys.supervisor)
    _sql(node, "DELETE FROM aeo_register WHERE id = :i", i=added.json()["id"])
    broken = _verify(client, keys)["broken"]
    assert "missing from the register" in broken["problem"]


def test_the_cli_verify_names_the_altered_mandate(client, keys, node, tmp_path):
    engine = node.ctx.uow.engine
    if engine.dialect.name != "sqlite":
        pytest.skip("the command runs against the SQLite file here")
    given = _mandate(client, keys)
    [(seq, *_)] = _entries(node, "mandate/")
    config = tmp_path / "karakoram.toml"
    config.write_text(f'database_url = "{engine.url}"\n')
    runner = CliRunner()
    assert runner.invoke(app, ["--config", str(config), "audit", "verify"]).exit_code == 0
    _sql(node, "UPDATE mandates SET principal = 'CN-USCC-X' WHERE id = :i", i=given["id"])
    result = runner.invoke(app, ["--config", str(config), "audit", "verify"])
    assert result.exit_code == 1, result.output
    assert f"broken at entry {seq}: mandate/{given['id']} differs" in result.output
    assert "'CN-USCC-X'" in result.output
