"""Joint inspections' examples for the OpenAPI document (merged into
`openapi_examples.EXAMPLES`)."""

from __future__ import annotations

from typing import Any

from karakoram.entrypoints.http.openapi_example import Example

_ID = "0193a8f2-7c1e-7d4a-9b61-2f0c5e8d1a33"
_AT = "2026-11-30T09:30:00+00:00"
_RECORD = {
    "kind": "joint_inspection",
    "proposal_id": _ID,
    "ucr": "26CN1234567890",
    "at": _AT,
    "administrations": ["CN-URC", "PK-GB"],
    "result": "compliant",
    "findings": {"quantity_matches": True, "seals": "intact", "notes": "as declared"},
}
JOINT_OUT: dict[str, Any] = {
    "proposal_id": _ID,
    "ucr": "26CN1234567890",
    "mrn": "26CN00000000001E0",
    "proposed_by": "CN-URC",
    "partner": "PK-GB",
    "at": _AT,
    "status": "proposed",
    "note": "Khunjerab, bay 2",
    "record": None,
    "signatures": {},
}
_SIGNED = {**JOINT_OUT, "status": "recorded", "record": _RECORD}
_SIGNED["signatures"] = {"CN-URC": "eyJhbGciOiJFZERTQSJ9...", "PK-GB": "eyJhbGciOiJFZERTQSJ9..."}

JOINT: dict[str, Example] = {
    "POST /declarations/{mrn}/joint-inspections": Example(
        (201, JOINT_OUT),
        {"at": _AT, "note": "Khunjerab, bay 2"},
        params={"mrn": "26CN00000000001E0"},
    ),
    "GET /joint-inspections": Example((200, [JOINT_OUT]), params={"ucr": "26CN1234567890"}),
    "POST /joint-inspections/{proposal_id}/acceptance": Example(
        (200, {**JOINT_OUT, "status": "accepted"}), params={"proposal_id": _ID}
    ),
    "POST /joint-inspections/{proposal_id}/result": Example(
        (200, _SIGNED), {"findings": _RECORD["findings"]}, params={"proposal_id": _ID}
    ),
}
