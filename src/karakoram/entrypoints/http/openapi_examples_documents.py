"""The documents' examples for the OpenAPI document: attachments, the release note, its public
check (merged into `openapi_examples.EXAMPLES`)."""

from __future__ import annotations

from karakoram.entrypoints.http.openapi_bodies import MRN
from karakoram.entrypoints.http.openapi_example import Example

SHA = "9f2c4e6b1a3d5f7e9c0b2d4f6a8c0e2b4d6f8a0c2e4b6d8f0a2c4e6b8d0f2a4c"
ATTACHMENT = {
    "sha256": SHA,
    "media_type": "application/pdf",
    "size": 48213,
    "filename": "invoice-2026-118.pdf",
    "attached_by": "kashgar-trading",
    "attached_at": "2026-11-30T09:12:44Z",
}
QR = (
    "eyJhbGciOiJFZDI1NTE5Iiwia2lkIjoiY24tdXJjLTEifQ"
    ".eyJpc3MiOiJDTi1VUkMiLCJtcm4iOiIyNkNOWjZQTVkzMlM1RDRWRTcifQ"
    ".c2lnbmF0dXJlLW9mLXRoZS1ub2Rl"
)

DOCUMENTS: dict[str, Example] = {
    "POST /attachments/{mrn}": Example(
        (201, ATTACHMENT),
        {"file": "(the document's bytes)"},
        request_type="multipart/form-data",
        params={"mrn": MRN},
    ),
    "GET /attachments/{mrn}": Example((200, [ATTACHMENT]), params={"mrn": MRN}),
    "GET /attachments/{mrn}/{sha256}": Example(
        (200, "%PDF-1.7 (the document's bytes)"), params={"mrn": MRN, "sha256": SHA}
    ),
    "GET /declarations/{mrn}/release-note.pdf": Example(
        (200, "%PDF-1.7 (the release note)"), params={"mrn": MRN}
    ),
    "GET /verify/release": Example(
        (
            200,
            {
                "verified": True,
                "mrn": MRN,
                "released_at": "2026-11-30T10:02:11Z",
                "sha256": SHA,
                "statement": {
                    "issuer": "CN-URC",
                    "mrn": MRN,
                    "released_at": "2026-11-30T10:02:11Z",
                },
            },
        ),
        params={"qr": QR},
    ),
}
