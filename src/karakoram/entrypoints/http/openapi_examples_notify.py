"""The notifications' examples for the OpenAPI document: a trader's endpoints and the delivery
log (merged into `openapi_examples.EXAMPLES`)."""

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

NOTIFY: dict[str, Example] = {
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
