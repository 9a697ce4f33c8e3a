"""Bulk upload over HTTP with partial acceptance: good rows stored, bad rows reported, nothing
half-stored (all or nothing, the default, is in test_bulk_atomic.py)."""

from __future__ import annotations

import json

from tests.builders import bend, declaration
from tests.unit.test_files import write_csv


def test_jsonl_upload_reports_each_declaration(client, keys):
    lines = [declaration("J1"), bend(declaration("J2"), "/items/0/unit", "BOX"), declaration("J3")]
    body = "\n".join(json.dumps(d) for d in lines) + "\n{broken\n"
    response = client.post(
        "/declarations/bulk?partial=true",
        content=body.encode(),
        headers=keys.trader | {"Content-Type": "application/x-ndjson"},
    )
    assert response.status_code == 200
    report = response.json()
    assert report["summary"] == {"created": 2, "existing": 0, "rejected": 2, "conflict": 0}
    assert [r["outcome"] for r in report["results"]] == [
        "created",
        "rejected",
        "created",
        "rejected",
    ]
    assert report["results"][1]["errors"][0]["pointer"] == "/items/0/unit"
    assert report["results"][3]["location"] == "line 4"
    stored = client.get("/declarations", headers=keys.trader).json()["items"]
    assert sorted(d["declaration"]["lrn"] for d in stored) == ["J1", "J3"]


def test_csv_upload_groups_rows_and_is_idempotent(client, keys):
    bad = declaration("C2", items=2)
    bad["items"][1]["net_mass"] = "500"
    data = write_csv([declaration("C1", items=3), bad, declaration("C3", items=1)])
    headers = keys.trader | {"Content-Type": "text/csv"}
    url = "/declarations/bulk?partial=true"
    first = client.post(url, content=data, headers=headers).json()
    assert first["summary"] == {"created": 2, "existing": 0, "rejected": 1, "conflict": 0}
    assert first["results"][1]["location"] == "rows 5-6"
    again = client.post(url, content=data, headers=headers).json()
    assert again["summary"] == {"created": 0, "existing": 2, "rejected": 1, "conflict": 0}
    assert [r["mrn"] for r in again["results"]] == [r["mrn"] for r in first["results"]]
    c1 = client.get(f"/declarations/{first['results'][0]['mrn']}", headers=keys.trader).json()
    assert len(c1["declaration"]["items"]) == 3


def test_unsupported_upload_type_is_refused(client, keys):
    response = client.post(
        "/declarations/bulk",
        content=b"<xml/>",
        headers=keys.trader | {"Content-Type": "application/xml"},
    )
    assert response.status_code == 415  # issue 14: Content-Type is enforced at the edge
    assert response.json()["code"] == "unsupported_media_type"
