"""Examples for the partner's trucks, its state and the pre-arrival checks of degraded mode
(merged into `openapi_examples.EXAMPLES`)."""

from __future__ import annotations

from karakoram.entrypoints.http.openapi_bodies import CARGO_REPORT
from karakoram.entrypoints.http.openapi_example import Example

_AT = "2026-05-04T08:00:00+00:00"

DEGRADED: dict[str, Example] = {
    "GET /exchange/partners/state": Example(
        (
            200,
            [
                {
                    "administration": "PK-GB",
                    "country": "PK",
                    "state": "down",
                    "oldest_pending_at": _AT,
                    "failing": 3,
                    "last_answer_at": "2026-05-04T07:10:00+00:00",
                }
            ],
        )
    ),
    "GET /pre-arrival-checks": Example(
        (
            200,
            [
                {
                    "mrn": "26PKGB0000000042A1",
                    "ucr": "UCR-2026-0042",
                    "partner_country": "CN",
                    "status": "review",
                    "opened_at": _AT,
                    "checked_at": "2026-05-05T09:30:00+00:00",
                    "findings": ["gross_mass: declared 1200, partner 1500 (-20%)"],
                    "message_id": "01936f3e-8d2a-7c4b-9e1f-2a3b4c5d6e7f",
                }
            ],
        ),
        params={"status": "review", "limit": 20},
    ),
    "GET /partner-cargo-reports": Example(
        (
            200,
            [
                {
                    "sender": "CN-URC",
                    "message_id": "01936f3e-8d2a-7c4b-9e1f-2a3b4c5d6e7f",
                    "carrier": "CN-HAUL-0001",
                    "lodged_at": _AT,
                    "received_at": "2026-05-04T08:00:02+00:00",
                    "report": {**CARGO_REPORT, "trailer": None, "crew": []},
                }
            ],
        ),
        params={"ucr": "UCR-2026-0042", "limit": 20},
    ),
}
