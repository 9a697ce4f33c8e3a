"""The crossing slots' examples for the OpenAPI document (merged into
`openapi_examples.EXAMPLES`)."""

from __future__ import annotations

from typing import Any

from karakoram.entrypoints.http.openapi_example import Example

BOOKING: dict[str, Any] = {
    "id": 3,
    "crossing": "KHUNJERAB",
    "direction": "outbound",
    "date": "2026-06-02",
    "time": "10:00",
    "carrier": "91650100MA66CR0001",
    "reference": "CR-2026-0001",
    "registration": "新Q-A1234",
    "ucrs": ["6CN91650100MA001-0001"],
    "status": "provisional",
    "reason": None,
    "booked_at": "2026-06-01T08:30:00Z",
    "answered_at": None,
}

SLOTS: dict[str, Example] = {
    "GET /slots/free": Example(
        (
            200,
            [
                {"date": "2026-06-02", "time": "09:00", "capacity": 7, "free": 2},
                {"date": "2026-06-02", "time": "10:00", "capacity": 7, "free": 7},
            ],
        ),
        params={"crossing": "KHUNJERAB", "from": "2026-06-02", "days": 1},
    ),
    "POST /slots/bookings": Example(
        (201, BOOKING), {"cargo_report": 17, "date": "2026-06-02", "time": "10:00"}
    ),
    "GET /slots/day": Example(
        (
            200,
            {
                "crossing": "KHUNJERAB",
                "date": "2026-06-02",
                "closed": None,
                "trucks": 1,
                "slots": [
                    {
                        "time": "10:00",
                        "capacity": 7,
                        "trucks": [
                            {
                                "booking": {**BOOKING, "status": "confirmed"},
                                "channel": "green",
                                "score": 10,
                                "lodged": True,
                                "paid": True,
                                "pre_arrival": False,
                                "mrns": ["26CNKJB0000000017"],
                            }
                        ],
                    }
                ],
            },
        ),
        params={"date": "2026-06-02", "crossing": "KHUNJERAB"},
    ),
}
