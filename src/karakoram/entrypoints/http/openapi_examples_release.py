"""The gate's release examples for the OpenAPI document: settling a discrepancy and an
outbound truck's exit (merged into `openapi_examples.EXAMPLES`)."""

from __future__ import annotations

from karakoram.entrypoints.http.openapi_bodies import CARGO_REPORT_OUT, DISCREPANCY
from karakoram.entrypoints.http.openapi_example import Example

_SETTLED = {
    **DISCREPANCY,
    "seq": 1,
    "resolution": "amend",
    "reason": "Recounted at the post: 10 packages, as declared.",
    "resolved_by": "officer",
    "resolved_at": "2026-05-04T09:12:00Z",
}

RELEASE: dict[str, Example] = {
    "POST /cargo-reports/{report_id}/discrepancies/{seq}/resolution": Example(
        (
            200,
            {
                "report": {**CARGO_REPORT_OUT, "status": "cleared", "version": 5},
                "discrepancy": _SETTLED,
            },
        ),
        {
            "resolution": "amend",
            "reason": "Recounted at the post: 10 packages, as declared.",
            "packages": 10,
        },
        params={"report_id": 17, "seq": 1},
    ),
    "POST /cargo-reports/{report_id}/exit": Example(
        (200, {**CARGO_REPORT_OUT, "status": "exited", "version": 3}),
        params={"report_id": 18},
    ),
}
