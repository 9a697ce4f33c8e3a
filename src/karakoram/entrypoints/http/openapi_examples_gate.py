"""The gate's examples for the OpenAPI document: cargo reports, arrival and presentation
(merged into `openapi_examples.EXAMPLES`)."""

from __future__ import annotations

from karakoram.entrypoints.http.openapi_bodies import CARGO_REPORT, CARGO_REPORT_OUT, DISCREPANCY
from karakoram.entrypoints.http.openapi_example import Example

GATE: dict[str, Example] = {
    "POST /cargo-reports": Example((201, CARGO_REPORT_OUT), CARGO_REPORT),
    "GET /cargo-reports/{report_id}": Example((200, CARGO_REPORT_OUT), params={"report_id": 17}),
    "POST /cargo-reports/{report_id}/arrival": Example(
        (200, {**CARGO_REPORT_OUT, "status": "arrived", "version": 2}),
        {"office": "CNKJB"},
        params={"report_id": 17},
    ),
    "POST /cargo-reports/{report_id}/presentation": Example(
        (
            200,
            {
                "report": {**CARGO_REPORT_OUT, "status": "presented", "version": 3},
                "discrepancies": [DISCREPANCY],
            },
        ),
        params={"report_id": 17},
    ),
    "GET /cargo-reports/{report_id}/discrepancies": Example(
        (200, [DISCREPANCY]), params={"report_id": 17}
    ),
}
