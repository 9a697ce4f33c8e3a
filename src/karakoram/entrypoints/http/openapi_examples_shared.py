"""Examples of documents shared with the partner administration (merged into
`openapi_examples.EXAMPLES`)."""

from __future__ import annotations

from karakoram.entrypoints.http.openapi_bodies import MRN, UCR
from karakoram.entrypoints.http.openapi_example import Example
from karakoram.entrypoints.http.openapi_examples_documents import SHA

SHARED_DOCUMENT = {
    "sha256": SHA,
    "filename": "invoice-2026-118.pdf",
    "media_type": "application/pdf",
    "size": 48213,
    "reason": "The invoice behind the price gap the mirror check marked; please compare.",
    "sender": "CN-URC",
    "mrn": MRN,
    "shared_at": "2026-11-30T09:40:02+00:00",
    "complete": True,
}

SHARED: dict[str, Example] = {
    "POST /declarations/{mrn}/attachments/{sha256}/share": Example(
        (
            201,
            {
                "sha256": SHA,
                "filename": "invoice-2026-118.pdf",
                "partner": "PK-GB",
                "created": True,
            },
        ),
        {"reason": "The invoice behind the price gap the mirror check marked; please compare."},
        params={"mrn": MRN, "sha256": SHA},
    ),
    "GET /consignments/{ucr}/partner/documents": Example(
        (200, [SHARED_DOCUMENT]), params={"ucr": UCR}
    ),
    "GET /consignments/{ucr}/partner/documents/{sha256}": Example(
        (200, "%PDF-1.7 (the document's bytes)"), params={"ucr": UCR, "sha256": SHA}
    ),
}
