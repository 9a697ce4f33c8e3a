"""The audit trail of an object or a user (GET /audit/trail, the Audit trail page), on SQLite
and PostgreSQL."""

from __future__ import annotations

from sqlalchemy import text

from tests.builders import TRADER, declaration
from tests.integration.test_audit import _as_insider
from tests.integration.test_web import sign_in


def test_a_supervisor_reads_the_trail_of_a_declaration_and_of_a_user(client, keys):
    made = client.post("/declarations", json=declaration("T-1"), headers=keys.trader).json()
    mrn = made["mrn"]
    cancelled = client.post(
        f"/declarations/{mrn}/cancel", json={"reason": "wrong truck"}, headers=keys.trader
    )
    assert cancelled.status_code == 200, cancelled.text
    trail = client.get("/audit/trail", params={"subject": mrn}, headers=keys.supervisor).json()
    kinds = [e["kind"] for e in trail["entries"]]
    assert kinds == ["declaration.cancel", "declaration.lodged"]  # newest first
    assert all(e["intact"] and e["subject"] == mrn for e in trail["entries"])
    assert trail["entries"][0]["changes"][0]["reason"] == "wrong truck"
    assert trail["next_before"] is None
    mine = client.get("/audit/trail", params={"actor": "kashgar"}, headers=keys.supervisor)
    assert [e["kind"] for e in mine.json()["entries"]] == ["declaration.cancel"]


def test_the_trail_pages_and_marks_an_entry_whose_bytes_were_changed(client, keys, node):
    for n in range(3):
        assert (
            client.post(
                "/declarations", json=declaration(f"T-P{n}"), headers=keys.trader
            ).status_code
            == 201
        )
    # a lodgement is recorded as the declarant party's (the owner), its later steps as the user's
    first = client.get(
        "/audit/trail", params={"actor": TRADER, "limit": 2}, headers=keys.admin
    ).json()
    assert len(first["entries"]) == 2 and first["next_before"] is not None
    rest = client.get(
        "/audit/trail",
        params={"actor": TRADER, "limit": 2, "before": first["next_before"]},
        headers=keys.admin,
    ).json()
    seqs = [e["seq"] for e in first["entries"] + rest["entries"]]
    assert seqs == sorted(seqs, reverse=True) and len(set(seqs)) == len(seqs)
    _as_insider(node.engine)
    with node.engine.begin() as conn:
        conn.execute(
            text("UPDATE audit_log SET canonical = :b WHERE seq = :s"),
            {"b": b'{"what":{"forged":true}}', "s": seqs[0]},
        )
    again = client.get("/audit/trail", params={"actor": TRADER}, headers=keys.admin).json()
    assert [e["intact"] for e in again["entries"]] == [False, True, True]


def test_the_trail_is_for_supervisors_and_administrators_and_needs_a_question(client, keys):
    for who in (keys.trader, keys.officer, keys.analyst):
        answer = client.get("/audit/trail", params={"subject": "x"}, headers=who)
        assert answer.status_code == 403
    empty = client.get("/audit/trail", headers=keys.supervisor)
    assert empty.status_code == 422 and empty.json()["errors"][0]["pointer"] == "/subject"


def test_the_trail_page_shows_a_declarations_history(client, keys):
    mrn = client.post("/declarations", json=declaration("T-W"), headers=keys.trader).json()["mrn"]
    sign_in(client, keys.supervisor)
    page = client.get("/ui/trail", params={"subject": mrn})
    assert page.status_code == 200
    assert "declaration.lodged" in page.text and mrn in page.text
    assert client.get("/ui/trail").status_code == 200
