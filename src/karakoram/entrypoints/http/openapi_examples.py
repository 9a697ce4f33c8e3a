"""What the OpenAPI document says beyond what the routes declare (see `openapi.py`): a
description per tag, the problem codes an operation adds to its statuses' usual ones, and an
example request and response per operation, keyed "METHOD /path".

Examples are data, checked by tests/unit/test_openapi.py: every operation has one, and each
request and response example is valid against its operation's schema.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from karakoram.entrypoints.http.openapi_bodies import (
    AEO,
    AT,
    BULLETIN,
    CHECKED,
    CLEARANCE,
    CSV,
    DECLARATION,
    DECLARATION_OUT,
    JOB,
    JWS,
    MANDATE,
    MIRROR,
    MRN,
    POLICY,
    RULES_TOML,
    TRS,
    UCR,
    USER,
)

TAGS: dict[str, str] = {
    "declarations": "Lodge, read, amend and cancel goods declarations, one at a time or as a "
    "file (CSV, JSON Lines). Resubmitting the same LRN never creates a second declaration.",
    "clearance": "What officers do with a declaration (documents, inspection, release, exit), "
    "payments, origin certificates, the work queue and trucks' arrivals.",
    "policy": "Versioned rule sets, tariff schedules and exchange-rate tables: submit, "
    "validate, activate, roll back, back-test.",
    "exchange": "Signed messages between partner nodes, and what officers see of them: "
    "delivery status, dead letters, refusals, the partner's view of a consignment.",
    "register": "Mandates (who may declare for whom) and the AEO register.",
    "users": "Users and their API keys (administrators).",
    "statistics": "Trade statistics, Time Release Study and mirror reports (analysts).",
    "audit": "The hash-chained audit log: verify it, checkpoint it, count refusals.",
    "administration": "The node's clock (a simulated clock for exercises only).",
    "system": "Liveness and readiness, unauthenticated.",
}

REFUSED: dict[int, tuple[str, ...]] = {
    400: ("malformed", "delivery_malformed"),
    403: (
        "bad_signature",
        "unknown_sender",
        "unknown_key",
        "key_not_valid",
        "wrong_recipient",
        "not_shared",
        "delivery_key_not_valid",
        "not_in_delivery",
    ),
    413: ("too_large",),
    422: ("schema", "outside_clock_window"),
}
_LODGE: dict[int, tuple[str, ...]] = {403: ("not_represented",), 409: ("lrn_conflict",)}
_CHANGE: dict[int, tuple[str, ...]] = {
    403: ("not_represented",),
    409: ("stale_version", "invalid_transition"),
}

#: per operation, the codes it adds to its statuses' usual ones (a status named here is
#: documented even when the operation's shape would not imply it)
CODES: dict[str, dict[int, tuple[str, ...]]] = {
    "POST /declarations": _LODGE,
    "POST /declarations/bulk": {**_LODGE, 409: ("lrn_conflict", "conflict")},
    "PUT /declarations/{mrn}": _CHANGE,
    "POST /declarations/{mrn}/cancel": _CHANGE,
    "POST /declarations/{mrn}/actions/{action}": {
        409: ("invalid_transition", "stale_version", "release_refused")
    },
    "POST /declarations/{mrn}/channel": {409: ("invalid_transition",)},
    "POST /declarations/{mrn}/payments": {409: ("invalid_transition",)},
    "POST /declarations/{mrn}/origin-certificates": {409: ("invalid_transition",)},
    "POST /policy/{kind}/{version}/activate": {409: ("stale_page",)},
    "POST /policy/{kind}/rollback": {409: ("conflict",)},
    "POST /policy/rules/{version}/backtest": {409: ("conflict",)},
    "POST /exchange/messages": {**REFUSED, 409: ("conflict",)},
    "POST /exchange/held": REFUSED,
    "POST /exchange/batch": REFUSED,
    "POST /exchange/checkpoints": REFUSED,
    "POST /exchange/replay": {404: ("not_found",), 409: ("conflict",)},
    "POST /users": {409: ("conflict",)},
    "PUT /admin/clock": {404: ("not_found",), 409: ("clock_moved_back",)},
    "POST /audit/checkpoints": {409: ("conflict",)},
    "POST /aeo-register/send": {409: ("no_partner_takes_aeo_lists",)},
    "POST /mandates": {403: ("not_represented",)},
}

#: operations whose resubmission answers 200 with what the first one stored (and stores nothing)
REPEATS = frozenset(
    {
        "POST /declarations",
        "POST /declarations/{mrn}/payments",
        "POST /arrivals",
        "POST /mandates",
        "POST /aeo-register",
    }
)

#: the statistics reports answer `format=csv|xlsx|png` in these media types besides JSON
REPORTS = frozenset({"GET /stats/bulletin", "GET /stats/trs", "GET /stats/mirror"})
REPORT_MEDIA: dict[str, dict[str, Any]] = {
    "text/csv": {"schema": {"type": "string"}},
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": {},
    "image/png": {},
}


@dataclass(frozen=True)
class Example:
    """One operation's example: its parameters, its body, and one answer (status, body)."""

    response: tuple[int, Any]
    request: Any = None
    request_type: str = "application/json"
    params: dict[str, Any] = field(default_factory=dict)


EXAMPLES: dict[str, Example] = {
    "POST /declarations": Example((201, DECLARATION_OUT), DECLARATION),
    "GET /declarations": Example(
        (200, {"items": [DECLARATION_OUT], "next_cursor": None}),
        params={"status": "accepted", "type": "EX", "limit": 50},
    ),
    "POST /declarations/bulk": Example(
        (200, JOB["result"]), CSV, "text/csv", params={"partial": False}
    ),
    "GET /declarations/uploads/{job_id}": Example((200, JOB), params={"job_id": JOB["id"]}),
    "GET /declarations/{mrn}": Example((200, CHECKED), params={"mrn": MRN}),
    "PUT /declarations/{mrn}": Example(
        (200, {**DECLARATION_OUT, "version": 2}), DECLARATION, params={"mrn": MRN, "if-match": "1"}
    ),
    "POST /declarations/{mrn}/cancel": Example(
        (200, {**DECLARATION_OUT, "status": "cancelled", "version": 2}),
        {"reason": "The buyer withdrew the order."},
        params={"mrn": MRN, "if-match": "1"},
    ),
    "GET /declarations/{mrn}/clearance": Example((200, CLEARANCE), params={"mrn": MRN}),
    "POST /declarations/{mrn}/actions/{action}": Example(
        (200, {**DECLARATION_OUT, "status": "released", "version": 4, "channel": "green"}),
        {"reason": "Documents match the goods."},
        params={"mrn": MRN, "action": "release", "if-match": "3"},
    ),
    "POST /declarations/{mrn}/channel": Example(
        (200, {**DECLARATION_OUT, "channel": "red", "version": 3}),
        {"channel": "red", "reason": "Intelligence on this consignment."},
        params={"mrn": MRN},
    ),
    "POST /declarations/{mrn}/payments": Example(
        (201, {**DECLARATION_OUT, "status": "assessed", "version": 3}),
        {"reference": "PAY-2026-118", "amount": "1300.00", "currency": "CNY", "kind": "payment"},
        params={"mrn": MRN},
    ),
    "POST /declarations/{mrn}/origin-certificates": Example(
        (201, DECLARATION_OUT),
        {"certificate": "CPFTA-2026-00042", "agreement": "CPFTA"},
        params={"mrn": MRN},
    ),
    "GET /queue": Example(
        (
            200,
            [
                {
                    "mrn": MRN,
                    "status": "assessed",
                    "channel": "red",
                    "type": "EX",
                    "office": "CNKJB",
                    "trader": "91650100MA77XY1234",
                    "lodged_at": AT,
                    "waiting_minutes": 42,
                },
            ],
        ),
        params={"channel": "red", "office": "CNKJB", "limit": 50},
    ),
    "GET /policy/{kind}": Example((200, [POLICY]), params={"kind": "rules"}),
    "POST /policy/{kind}": Example(
        (201, POLICY), RULES_TOML, "application/toml", params={"kind": "rules"}
    ),
    "GET /policy/{kind}/{version}": Example(
        (200, {**POLICY, "source": RULES_TOML}), params={"kind": "rules", "version": 3}
    ),
    "POST /policy/{kind}/validate": Example(
        (200, {"valid": True, "name": "Khunjerab 2026"}),
        RULES_TOML,
        "application/toml",
        params={"kind": "rules"},
    ),
    "POST /policy/{kind}/{version}/activate": Example(
        (200, {**POLICY, "status": "active"}),
        {"reason": "Winter rules reviewed by the risk committee."},
        params={"kind": "rules", "version": 3},
    ),
    "POST /policy/{kind}/rollback": Example(
        (200, {**POLICY, "version": 2, "status": "active"}),
        {"reason": "Version 3 sent too many trucks to red."},
        params={"kind": "rules"},
    ),
    "POST /policy/rules/{version}/backtest": Example(
        (
            200,
            {
                "rule_set": "Khunjerab 2026",
                "total": 420,
                "skipped": 0,
                "changed": 31,
                "channels": {
                    "red": {"count": 40, "share": 0.095, "actual": 28, "expected_random": 0.02}
                },
                "unassessed_before": 0,
                "rules": [
                    {
                        "rule": "CU-UNDERVALUE",
                        "description": "Copper below world price",
                        "fired": 12,
                        "decisive": 9,
                    }
                ],
            },
        ),
        params={"version": 3, "lodged_from": "2026-10-01", "lodged_to": "2026-11-01"},
    ),
    "POST /exchange/checkpoints": Example((200, {"checkpoints": [JWS]}), JWS, "application/jose"),
    "GET /consignments/{ucr}/partner": Example(
        (
            200,
            [
                {
                    "type": "export_pre_arrival",
                    "sender": "CN-URC",
                    "mrn": MRN,
                    "message_id": "01936f3e-8d2a-7c4b-9e1f-2a3b4c5d6e7f",
                    "created_at": AT,
                    "body": {"ucr": UCR, "items": 1},
                }
            ],
        ),
        params={"ucr": UCR},
    ),
    "GET /exchange/status": Example(
        (
            200,
            {
                "outbox": {"pending": 0, "delivered": 118, "dead": 1},
                "dead": [
                    {
                        "message_id": "01936f3e-8d2a-7c4b-9e1f-2a3b4c5d6e7f",
                        "type": "control_result",
                        "to": "PK-GB",
                        "attempts": 12,
                        "error": "connection refused",
                    }
                ],
                "refusals": [],
            },
        )
    ),
    "POST /exchange/replay": Example((200, {"requeued": 2})),
    "GET /exchange/refusals": Example(
        (200, {"since": AT, "counts": [], "latest": []}), params={"hours": 24, "limit": 20}
    ),
    "POST /exchange/messages": Example((200, JWS), JWS, "application/jose"),
    "POST /exchange/held": Example(
        (200, {"message_ids": ["01936f3e-8d2a-7c4b-9e1f-2a3b4c5d6e7f"]}), JWS, "application/jose"
    ),
    "POST /exchange/batch": Example(
        (200, {"results": [{"receipt": JWS, "duplicate": False}, {"refused": "too_large"}]}),
        {"messages": [JWS], "delivery": JWS},
    ),
    "GET /users": Example((200, [USER])),
    "POST /users": Example(
        (201, {**USER, "api_key": "kk_ce5b9757dbd8_M7VEGGwC..."}),
        {"name": "sost-broker", "role": "trader", "party": "91650100MA77XY1234"},
    ),
    "PUT /users/{name}/password": Example(
        (204, None), {"password": "correct horse battery staple"}, params={"name": "sost-broker"}
    ),
    "POST /users/{name}/revoke": Example(
        (200, {**USER, "active": False}), params={"name": "sost-broker"}
    ),
    "GET /users/me": Example(
        (200, {"name": "kashgar", "role": "trader", "party": "91650100MA77XY1234"})
    ),
    "POST /stats/refresh": Example(
        (200, {"items": 1820, "declarations": 640, "partner_items": 1790, "seconds": 0.41})
    ),
    "GET /stats/bulletin": Example(
        (200, BULLETIN),
        params={"period": "2026-10", "by": "direction", "currency": "CNY", "format": "json"},
    ),
    "GET /stats/trs": Example(
        (200, TRS),
        params={"period": "2026-10", "format": "json"},
    ),
    "GET /stats/mirror": Example(
        (200, MIRROR),
        params={"period": "2026-10", "threshold": "10", "format": "json"},
    ),
    "POST /arrivals": Example(
        (201, {"id": 7, "ucr": UCR, "office": "PKSST", "at": AT, "recorded_by": "officer"}),
        {"ucr": UCR, "office": "PKSST"},
    ),
    "GET /admin/clock": Example((200, {"now": AT, "simulated": False})),
    "PUT /admin/clock": Example(
        (200, {"now": "2026-12-01T08:00:00Z", "simulated": True}),
        {"now": "2026-12-01T08:00:00Z"},
    ),
    "GET /audit/verify": Example(
        (
            200,
            {
                "ok": True,
                "entries": 1204,
                "head": 1204,
                "broken": None,
                "checkpoints": 12,
                "partner": "PK-GB agrees up to entry 1198",
                "partner_agrees": True,
            },
        )
    ),
    "POST /audit/checkpoints": Example(
        (201, {"size": 1204, "head": "9f2c…", "at": AT, "token": JWS, "sent_to": ["PK-GB"]})
    ),
    "GET /audit/refusals": Example(
        (
            200,
            [
                {
                    "seq": 88,
                    "user": "kashgar",
                    "code": "validation_failed",
                    "minute": "2026-11-30T09:14:00Z",
                    "count": 3,
                }
            ],
        ),
        params={"user": "kashgar"},
    ),
    "GET /ready": Example(
        (
            200,
            {
                "status": "ready",
                "database": "ok",
                "workers": [],
                "oldest_pending_at": None,
                "partners": [],
            },
        )
    ),
    "POST /mandates": Example(
        (201, MANDATE),
        {
            "principal": "91650100MA77XY1234",
            "representative": "91650100MA88ZZ5678",
            "valid_from": "2026-01-01T00:00:00Z",
            "valid_to": "2026-12-31T00:00:00Z",
        },
    ),
    "GET /mandates": Example((200, [MANDATE]), params={"party": "91650100MA77XY1234"}),
    "POST /mandates/{mandate_id}/end": Example(
        (200, {**MANDATE, "valid_to": AT}), params={"mandate_id": 3}
    ),
    "GET /aeo-register": Example((200, [AEO])),
    "POST /aeo-register": Example(
        (201, AEO),
        {"identifier": "91650100MA77XY1234", "level": "AEOF", "valid_from": "2026-01-01T00:00:00Z"},
    ),
    "POST /aeo-register/{entry_id}/end": Example(
        (200, {**AEO, "valid_to": AT}), params={"entry_id": 5}
    ),
    "POST /aeo-register/send": Example((202, {"partners": ["PK-GB"], "operators": 14})),
    "GET /health": Example((200, {"status": "ok", "administration": "CN-URC"})),
}
