"""The trader journey's examples for the OpenAPI document: notification endpoints, the delivery
log, review requests and guarantee references (merged into `openapi_examples.EXAMPLES`)."""

from __future__ import annotations

from karakoram.entrypoints.http.openapi_example import Example

_AT = "2026-11-30T09:12:44Z"
_WEBHOOK = {
    "id": 3,
    "channel": "webhook",
    "target": "https://hooks.kashgar-trading.example/customs",
    "created_by": "kashgar-trading",
    "created_at": _AT,
    "secret": None,
}
_DELIVERY = {
    "id": "0b6f7c1e-8a43-4d2b-9a55-2f1d0c9e7a10",
    "mrn": "26CNURC0000000042",
    "channel": "webhook",
    "target": _WEBHOOK["target"],
    "status": "delivered",
    "attempts": [
        {"at": _AT, "ok": False, "status_code": 503, "error": "HTTP 503"},
        {"at": "2026-11-30T09:12:49Z", "ok": True, "status_code": 200, "error": None},
    ],
    "next_attempt_at": None,
    "created_at": _AT,
    "delivered_at": "2026-11-30T09:12:49Z",
}

_REVIEW = {
    "id": 5,
    "mrn": "26CNURC0000000042",
    "asked_by": "kashgar-trading",
    "asked_at": _AT,
    "question": "The seal was replaced at Tashkurgan by the police; the report is attached.",
    "answered_by": None,
    "answered_at": None,
    "answer": None,
}

NOTIFY: dict[str, Example] = {
    "POST /declarations/{mrn}/review-requests": Example(
        (201, _REVIEW),
        {"question": _REVIEW["question"]},
        params={"mrn": "26CNURC0000000042"},
    ),
    "POST /declarations/{mrn}/guarantee": Example(
        (200, {"mrn": "26CNURC0000000042", "reference": "BG-ICBC-2026-0815", "version": 4}),
        {"reference": "BG-ICBC-2026-0815"},
        params={"mrn": "26CNURC0000000042"},
    ),
    "GET /review-requests": Example((200, [_REVIEW])),
    "POST /review-requests/{request_id}/answer": Example(
        (
            200,
            {
                **_REVIEW,
                "answered_by": "officer-li",
                "answered_at": "2026-11-30T10:02:00Z",
                "answer": "Seal report accepted; the inspection is booked for 14:00.",
            },
        ),
        {"answer": "Seal report accepted; the inspection is booked for 14:00."},
        params={"request_id": 5},
    ),
    "POST /notifications/endpoints": Example(
        (201, {**_WEBHOOK, "secret": "q3xV0kzQ7m1u9b4Hc2Jw8sRtY6pLdN5eFgA0iKoZxUw"}),
        {"channel": "webhook", "target": _WEBHOOK["target"]},
    ),
    "GET /notifications/endpoints": Example((200, [_WEBHOOK])),
    "POST /notifications/endpoints/{endpoint_id}/remove": Example(
        (204, None), params={"endpoint_id": 3}
    ),
    "GET /notifications/deliveries": Example((200, [_DELIVERY])),
}
